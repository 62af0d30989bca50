"""The console as an application of its own, mounted by ``create_app`` at ``/console``: its
own error pages (HTML, not problem+json), security headers and static files."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from roster.console import (
    contact_merge,
    contact_page,
    contacts_pages,
    imports_pages,
    lists_pages,
    pages,
    segments_pages,
)
from roster.console.admin_routes import router as admin_router
from roster.console.web import HERE, PREFIX, SecurityHeaders, SignInRequired, render, sign_in_url
from roster.errors import RosterError

log = logging.getLogger("roster.console")

_TITLES = {
    400: "That request was not understood",
    401: "Please sign in",
    403: "Not allowed",
    404: "Page not found",
    405: "Not allowed here",
    409: "Conflict",
    413: "Too large",
    422: "Check the form",
    429: "Too many attempts",
    500: "Something went wrong",
    503: "Roster is unavailable",
}
_HINTS = {
    401: "Your key is not valid any more. Sign in again.",
    403: "Your key does not allow this. Ask an administrator for a key with more scopes.",
    404: "There is nothing here, or it belongs to another tenant.",
    500: "The error was logged. Try again; if it keeps happening, tell your operator.",
    503: "The database did not answer. Try again in a moment.",
}


def error_page(request: Request, status: int, detail: str | None = None) -> Response:
    headers = {"Retry-After": "2"} if status == 503 else None
    response = render(
        request,
        "error.html",
        status=status,
        title=_TITLES.get(status, "Error"),
        status_code=status,
        detail=detail,
        hint=_HINTS.get(status),
    )
    if headers:
        response.headers.update(headers)
    return response


async def _sign_in_required(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SignInRequired)
    target = sign_in_url(request)
    if exc.expired:
        target += "&expired=1"
    if request.headers.get("hx-request"):
        # htmx follows this header with a full page load instead of swapping a fragment.
        return Response(status_code=401, headers={"HX-Redirect": target})
    if request.method in ("GET", "HEAD"):
        return RedirectResponse(target, status_code=303)
    return error_page(request, 401, "Your session has ended.")


async def _roster_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RosterError)
    response = error_page(request, exc.status, exc.detail)
    for name, value in exc.headers.items():
        if name.lower() != "www-authenticate":
            response.headers[name] = value
    return response


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return error_page(request, exc.status_code)


async def _invalid(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    # A malformed id in the address names nothing: the same page as an unknown one.
    if any(error.get("loc", ("",))[0] == "path" for error in exc.errors()):
        return error_page(request, 404)
    return error_page(request, 400, "Some of the request's values are not valid.")


async def _crash(request: Request, exc: Exception) -> Response:
    log.error("console page failed: %r", exc, exc_info=exc)
    return error_page(request, 500)


def build(parent: FastAPI) -> FastAPI:
    """The console application; ``parent`` is the API's app, whose engine it uses."""
    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    console.state.parent = parent
    # Failed sign-ins count against the same per-address limit as the API's (kit.ratelimit
    # reads these from the app that serves the request).
    console.state.settings = parent.state.settings
    console.state.limiter = parent.state.limiter
    console.add_exception_handler(SignInRequired, _sign_in_required)
    console.add_exception_handler(RosterError, _roster_error)
    console.add_exception_handler(StarletteHTTPException, _http_error)
    console.add_exception_handler(RequestValidationError, _invalid)
    console.add_exception_handler(Exception, _crash)
    console.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    console.include_router(pages.router)
    console.include_router(contacts_pages.router)
    console.include_router(contact_page.router)
    console.include_router(imports_pages.router)
    console.include_router(segments_pages.router)
    console.include_router(admin_router)
    console.include_router(lists_pages.router)
    console.include_router(contact_merge.router)
    return console


def mount(parent: FastAPI) -> None:
    """Serve the console at ``/console`` on ``parent``. The security headers wrap the whole
    console app, so that even its 500 page (answered by its outermost error middleware)
    carries them."""
    parent.mount(PREFIX, SecurityHeaders(build(parent)))
