"""Named dependencies: each route declares the scope it needs with one of these."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPBearer

from roster.auth import scopes
from roster.auth.principal import Principal, authenticate
from roster.errors import Forbidden

# Declares the bearer scheme in the OpenAPI document; the check itself is ours, so that
# every failure is a problem+json 401 rather than the framework's own 403.
_bearer = HTTPBearer(auto_error=False, description="An API key (rk_live_…) or a JWT")


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(request: Request, _: object = Depends(_bearer)) -> Principal:
        principal: Principal | None = getattr(request.state, "principal", None)
        if principal is None:
            principal = await authenticate(
                request.app.state.engine, request.headers.get("authorization")
            )
            request.state.principal = principal
        if scope not in principal.scopes:
            raise Forbidden(f"this credential lacks the scope {scope!r}")
        return principal

    dependency.__name__ = f"require_{scope.replace(':', '_')}"
    return dependency


ContactsRead = Annotated[Principal, Depends(require(scopes.CONTACTS_READ))]
ContactsWrite = Annotated[Principal, Depends(require(scopes.CONTACTS_WRITE))]
Admin = Annotated[Principal, Depends(require(scopes.ADMIN))]
