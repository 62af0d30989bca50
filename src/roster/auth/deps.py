"""Named dependencies: each route declares the scope it needs with one of these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from roster.auth import scopes
from roster.auth.principal import Principal, authenticate
from roster.errors import Forbidden
from roster.kit import ratelimit
from roster.kit.db import hold_transaction
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
    ``request.state``). Raises Unauthorized (401) or RateLimited (429)."""
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        app_state = request.app.state
        held = None
        if request.method in _READS:
            # The unit of work continues this transaction (roster.kit.web.uow); the request
            # middleware closes it if nothing takes it.
            held = await hold_transaction(app_state.engine)
            request.scope.setdefault("state", {})[HELD] = held
        principal = await authenticate(
            app_state.engine,
            request.headers.get("authorization"),
            getattr(app_state, "jwt", None),
            held.conn if held is not None else None,
        )
        request.state.principal = principal
    state: ratelimit.RateState | None = getattr(request.state, "ratelimit", None)
    if state is None:
        limiter = getattr(request.app.state, "limiter", None)
        if limiter is not None:
            try:
                state = await ratelimit.check(
                    limiter,
                    str(principal.credential_id),
                    principal.rate_limit,
                    request.app.state.settings.rate_limit,
                )
            except ratelimit.RateLimited as exc:
                request.state.ratelimit = exc.state
                raise
            request.state.ratelimit = state
    elif not state.allowed:
        raise ratelimit.RateLimited(state)
    return principal


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(request: Request, _: object = Depends(_bearer)) -> Principal:
        principal = await resolve(request)
        if scope not in principal.scopes:
            raise Forbidden(f"this credential lacks the scope {scope!r}")
        return principal

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return dependency


ContactsRead = Annotated[Principal, Depends(require(scopes.CONTACTS_READ))]
ContactsWrite = Annotated[Principal, Depends(require(scopes.CONTACTS_WRITE))]
Admin = Annotated[Principal, Depends(require(scopes.ADMIN))]
