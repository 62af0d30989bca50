"""What every console page shares: the templates, the signed-in session as a dependency,
the CSRF check of every form, the scope check of every write, and the security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.datastructures import FormData
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roster.auth import scopes
from roster.config import Settings
from roster.console import sessions
from roster.console.sessions import Session
from roster.errors import Forbidden, InvalidRequest
from roster.kit import ratelimit
from roster.kit.pagination import Cursors, PageRequest, page_request

HERE = Path(__file__).parent
PREFIX = "/console"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
# Bounds on what one form may send (uploads have their own limit).
MAX_FIELDS = 200
MAX_FIELD_CHARS = 10_000

# No inline script or style anywhere; everything the pages load comes from Roster itself.
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
]

templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


class SignInRequired(Exception):
    """No live session: a page sends the browser to the sign-in form."""

    def __init__(self, expired: bool = False):
        super().__init__("sign in first")
        self.expired = expired


class SecurityHeaders:
    """Adds the Content-Security-Policy and its companions to every console response, and
    keeps pages out of shared caches."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(PREFIX + "/static/")

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_HEADERS)
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, sending)


def engine(request: Request) -> AsyncEngine:
    value: AsyncEngine = request.app.state.parent.state.engine
    return value


def page_cursors(request: Request) -> Cursors:
    """The API's cursor signer: console pages page with the API's own cursors."""
    value: Cursors = request.app.state.parent.state.cursors
    return value


def cursor_page(request: Request, size: int, kind: str) -> PageRequest:
    """The page of ``size`` that the address's ``cursor`` asks for (the first without one),
    its cursors bound to ``kind``."""
    cursor = request.query_params.get("cursor") or None
    return page_request(size, cursor, None, None, cursors=page_cursors(request), kind=kind)


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def secure(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly or, as the proxy says, through
    one), so that the cookie is marked Secure."""
    forwarded = request.headers.get("x-forwarded-proto", "")
    return request.url.scheme == "https" or forwarded.split(",")[0].strip() == "https"


async def current(request: Request) -> Session:
    """The signed-in session; SignInRequired when there is none (or it ended)."""
    cookie = request.cookies.get(sessions.COOKIE)
    found = await sessions.load(engine(request), cookie, settings(request).console_session_idle)
    if found is None:
        raise SignInRequired(expired=cookie is not None)
    request.state.console_session = found
    # A console page counts against its key's rate limit as an API request does.
    limiter = getattr(request.app.state.parent.state, "limiter", None)
    if limiter is not None:
        principal = found.principal
        await ratelimit.check(
            limiter,
            str(principal.credential_id),
            principal.rate_limit,
            settings(request).rate_limit,
        )
    return found


async def form_of(request: Request) -> FormData:
    """The request's form, bounded: at most ``MAX_FIELDS`` fields of ``MAX_FIELD_CHARS``."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS)
    for name, value in form.multi_items():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise InvalidRequest(f"{name} is longer than {MAX_FIELD_CHARS} characters")
    return form


async def posted(request: Request, session: Annotated[Session, Depends(current)]) -> Session:
    """The session of a state-changing request whose CSRF token (the form's field, or the
    header htmx sends) is the session's; else 403."""
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        given_field = (await form_of(request)).get(CSRF_FIELD)
        given = given_field if isinstance(given_field, str) else None
    if not sessions.csrf_matches(session.csrf_token, given):
        raise Forbidden("the form's security token is missing or out of date; reload the page")
    return session


Signed = Annotated[Session, Depends(current)]
Posted = Annotated[Session, Depends(posted)]


def need(session: Session, scope: str) -> None:
    """403 unless the session's credential holds ``scope``."""
    if scope not in session.principal.scopes:
        raise Forbidden(f"your key lacks the scope {scope!r}")


def can(session: Session | None, scope: str) -> bool:
    return session is not None and scope in session.principal.scopes


def render(
    request: Request,
    template: str,
    /,
    *,
    status: int = 200,
    session: Session | None = None,
    **ctx: Any,
) -> HTMLResponse:
    """The template ``name`` with what every page needs: the session, its CSRF token and
    what it may do."""
    if session is None:
        session = getattr(request.state, "console_session", None)
    context = {
        "session": session,
        "csrf_token": session.csrf_token if session else "",
        "can_read": can(session, scopes.CONTACTS_READ),
        "can_write": can(session, scopes.CONTACTS_WRITE),
        "is_admin": can(session, scopes.ADMIN),
        "path": request.url.path,
        "prefix": PREFIX,
        **ctx,
    }
    html = templates.get_template(template).render(context)
    return HTMLResponse(html, status_code=status)


def sign_in_url(request: Request) -> str:
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return f"{PREFIX}/sign-in?next={quote(target, safe='')}"
