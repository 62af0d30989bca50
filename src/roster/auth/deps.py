"""Named dependencies: each route declares the scope it needs with one of these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from starlette.types import Scope

from roster.auth import scopes
from roster.auth.principal import Principal, api_key, authenticate
from roster.errors import Forbidden, Unauthorized
from roster.kit import ratelimit
from roster.kit.db import ConnectionLost, hold_transaction
from roster.kit.web import HELD

# Requests that only read check their credential in the transaction they then read in.
# Writes do not: their idempotency check needs a connection of its own first, and a held
# connection per waiting request could then exhaust the pool.
_READS = frozenset({"GET", "HEAD"})
# Declares the bearer scheme in the OpenAPI document; the check itself is ours, so that
# every failure is a problem+json 401 rather than the framework's own 403.
_bearer = HTTPBearer(auto_error=False, description="An API key (rk_live_…) or a JWT")


async def resolve(request: Request) -> Principal:
    """Authenticate the request and count it against its credential's rate limit, once per
    request (middleware that needs the tenant early calls this too; the result is kept in
    ``request.state``). Raises Unauthorized (401) or RateLimited (429); a failure counts
    against the client address's limit of failed authentications."""
    return await resolve_scope(request.scope)


async def resolve_scope(scope: Scope, *, single_reads: bool = False) -> Principal:
    """``resolve`` on the ASGI scope (for code that runs before or without the router).
    ``single_reads``: the request's reads need no shared snapshot (``kit.db.transaction``)."""
    state: dict[str, Any] = scope.setdefault("state", {})
    app_state = scope["app"].state
    principal: Principal | None = state.get("principal")
    if principal is None:
        failed = ratelimit.failure_of(scope)
        if failed is not None:  # checked before in this request, and counted then
            raise failed
        engine, header = app_state.engine, authorization_header(scope)
        jwt = getattr(app_state, "jwt", None)
        held = None
        # A single read's API key is read on a connection taken without the liveness ping,
        # and that read checks it instead: one round trip fewer.
        unpinged = single_reads and scope["method"] in _READS and api_key(header) is not None
        if scope["method"] in _READS:
            # The unit of work continues this transaction (roster.kit.web.uow); the request
            # middleware closes it if nothing takes it.
            held = await hold_transaction(engine, single_reads=single_reads, unpinged=unpinged)
            state[HELD] = held
        try:
            try:
                conn = held.conn if held is not None else None
                principal = await authenticate(engine, header, jwt, conn, liveness=unpinged)
            except ConnectionLost:
                # That connection was dead: read again on a pinged one.
                assert held is not None
                await held.close()
                held = await hold_transaction(engine, single_reads=single_reads)
                state[HELD] = held
                principal = await authenticate(engine, header, jwt, held.conn)
        except Unauthorized as exc:
            raise await ratelimit.failed_authentication(scope, exc) from None
        state["principal"] = principal
    limits: ratelimit.RateState | None = state.get("ratelimit")
    if limits is None:
        limiter = getattr(app_state, "limiter", None)
        if limiter is not None:
            try:
                limits = await ratelimit.check(
                    limiter,
                    str(principal.credential_id),
                    principal.rate_limit,
                    app_state.settings.rate_limit,
                )
            except ratelimit.RateLimited as exc:
                state["ratelimit"] = exc.state
                raise
            state["ratelimit"] = limits
    elif not limits.allowed:
        raise ratelimit.RateLimited(limits)
    return principal


def authorization_header(scope: Scope) -> str | None:
    for key, value in scope["headers"]:
        if key == b"authorization":
            decoded: str = value.decode("latin-1")
            return decoded
    return None


def check_scope(principal: Principal, scope: str) -> Principal:
    """``principal`` if it holds ``scope``; else Forbidden (403)."""
    if scope not in principal.scopes:
        raise Forbidden(f"this credential lacks the scope {scope!r}")
    return principal


def require(scope: str, *, single_reads: bool = False) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the request's principal, which must hold ``scope``. ``single_reads``:
    a read request's statements need no shared snapshot (``kit.db.transaction``)."""

    async def dependency(request: Request, _: object = Depends(_bearer)) -> Principal:
        return check_scope(await resolve_scope(request.scope, single_reads=single_reads), scope)

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return dependency


ContactsRead = Annotated[Principal, Depends(require(scopes.CONTACTS_READ))]
# A listing whose statements each stand alone: no BEGIN and COMMIT around them.
ContactsListRead = Annotated[Principal, Depends(require(scopes.CONTACTS_READ, single_reads=True))]
ContactsWrite = Annotated[Principal, Depends(require(scopes.CONTACTS_WRITE))]
Admin = Annotated[Principal, Depends(require(scopes.ADMIN))]
