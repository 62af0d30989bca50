"""Sign-in, sign-out and the console's front door."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from roster.console import sessions
from roster.console.web import (
    CSRF_FIELD,
    PREFIX,
    Posted,
    engine,
    form_of,
    render,
    secure,
    settings,
)
from roster.errors import Forbidden, RosterError, Unauthorized
from roster.kit import ratelimit

router = APIRouter()

# The sign-in form's own CSRF token (no session exists yet): a cookie the form must echo.
PRE_COOKIE = "roster_console_signin"
HOME = PREFIX + "/contacts"


def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a console page only (never another site)."""
    if (
        target
        and (target == PREFIX or target.startswith(PREFIX + "/"))
        and "//" not in target
        and "\\" not in target
    ):
        return target
    return HOME


def _cookie(response: Response, request: Request, name: str, value: str) -> None:
    response.set_cookie(
        name,
        value,
        httponly=True,
        samesite="strict",
        secure=secure(request),
        path=PREFIX,
    )


def _form(request: Request, *, status: int = 200, error: str | None = None) -> Response:
    token = sessions.new_token()
    response = render(
        request,
        "sign_in.html",
        status=status,
        title="Sign in",
        error=error,
        expired=request.query_params.get("expired") == "1",
        next=_safe_next(request.query_params.get("next")),
        sign_in_token=token,
    )
    _cookie(response, request, PRE_COOKIE, token)
    return response


@router.get("/", include_in_schema=False)
async def front_door() -> Response:
    return RedirectResponse(HOME, status_code=303)


@router.get("/sign-in")
async def sign_in_form(request: Request) -> Response:
    return _form(request)


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await form_of(request)
    token = form.get(CSRF_FIELD)
    expected = request.cookies.get(PRE_COOKIE)
    if expected is None or not sessions.csrf_matches(
        expected, token if isinstance(token, str) else None
    ):
        raise Forbidden("the sign-in form is out of date; reload the page and try again")
    credential = form.get("credential")
    if not isinstance(credential, str) or not credential.strip():
        return _form(request, status=422, error="Paste an API key or a token.")
    if len(credential) > sessions.MAX_CREDENTIAL_CHARS:
        return _form(request, status=422, error="That is too long to be a key or a token.")
    try:
        cookie, _ = await sessions.sign_in(
            engine(request),
            credential,
            request.app.state.parent.state.jwt,
            settings(request).console_session_idle,
        )
    except Unauthorized as exc:
        outcome: RosterError = await ratelimit.failed_authentication(request.scope, exc)
        if outcome is not exc:
            raise outcome from None
        return _form(request, status=401, error="That key or token is not valid.")
    next_page = form.get("next")
    response = RedirectResponse(
        _safe_next(next_page if isinstance(next_page, str) else None), status_code=303
    )
    _cookie(response, request, sessions.COOKIE, cookie)
    response.delete_cookie(PRE_COOKIE, path=PREFIX)
    return response


@router.post("/sign-out")
async def sign_out(request: Request, session: Posted) -> Response:
    await sessions.sign_out(engine(request), session)
    response = RedirectResponse(PREFIX + "/sign-in", status_code=303)
    response.delete_cookie(sessions.COOKIE, path=PREFIX)
    return response
