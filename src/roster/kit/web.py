"""Small request-level helpers shared by every feature's endpoints."""

from __future__ import annotations

from collections.abc import AsyncIterator, MutableMapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol
from urllib.parse import quote

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.config import Settings
from roster.kit.db import HeldTransaction, transaction
from roster.kit.pagination import Cursors


def settings(request: Request) -> Settings:
    value: Settings = request.app.state.settings
    return value


def cursors(request: Request) -> Cursors:
    value: Cursors = request.app.state.cursors
    return value


# The request-state key of the transaction the credential check began (read requests).
HELD = "held_transaction"
# The request-state key of a ``WriteUnit`` that middleware put there for the request.
WRITE_UNIT = "write_unit"


class WriteUnit(Protocol):
    """A transaction that middleware opens for the request's writes and ends itself (the
    ``Idempotency-Key`` claim, which commits the stored response with the effect). Kit
    only knows this shape; the middleware that fills ``WRITE_UNIT`` lives above it."""

    @property
    def conn(self) -> AsyncConnection | None:
        """The open transaction's connection; None until the first write begins it."""

    def unit_of_work(self) -> AbstractAsyncContextManager[AsyncConnection]:
        """Begin the transaction on first use, continue it after."""


def take_held(scope: MutableMapping[str, Any]) -> HeldTransaction | None:
    held: HeldTransaction | None = scope.get("state", {}).pop(HELD, None)
    return held


@asynccontextmanager
async def uow(request: Request, *, write: bool) -> AsyncIterator[AsyncConnection]:
    """The request's unit of work. It commits before the response is built, so a client
    that sees a 2xx can read its write on the very next request. The first unit of work of
    a read request continues the transaction its credential was checked in. A POST with an
    ``Idempotency-Key`` writes in the transaction that claims the key (the request's
    ``WriteUnit``), committed by ``roster.idempotency`` once the response is stored beside
    the effect."""
    async with scope_uow(request.scope, write=write) as conn:
        yield conn


@asynccontextmanager
async def scope_uow(
    scope: MutableMapping[str, Any], *, write: bool
) -> AsyncIterator[AsyncConnection]:
    """``uow`` on the ASGI scope (for code that runs without the router)."""
    claim: WriteUnit | None = scope.get("state", {}).get(WRITE_UNIT)
    if claim is not None and (write or claim.conn is not None):
        # A POST with an Idempotency-Key: its key row commits with the effect.
        async with claim.unit_of_work() as conn:
            yield conn
        return
    held = take_held(scope)
    if held is not None:
        if not write:
            async with held.stack:
                yield held.conn
            return
        await held.close()
    async with transaction(scope["app"].state.engine, write=write) as conn:
        yield conn


class Problem(BaseModel):
    """RFC 9457 problem details, as every non-2xx response carries them."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    errors: list[dict[str, str]] | None = None
    field: str | None = None
    conflicting_id: str | None = None


_DESCRIPTIONS = {
    400: "Malformed request (bad JSON, query parameter or cursor)",
    401: "Missing or invalid credential",
    403: "The credential lacks the scope",
    404: "No such object in this tenant",
    409: "A unique identifier is taken (`field`, `conflicting_id`)",
    412: "If-Match does not match the current ETag",
    413: "Body over the configured limit",
    422: "Field-level problems, listed in `errors`",
    503: "Database unavailable; retry after Retry-After",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for the given error statuses (401/403/503 always)."""
    wanted = sorted({401, 403, 503, *statuses})
    return {
        status: {
            "model": Problem,
            "description": _DESCRIPTIONS[status],
        }
        for status in wanted
    }


def attachment(filename: str) -> str:
    """A ``Content-Disposition`` value that downloads as ``filename`` (RFC 6266): a plain
    ASCII ``filename`` for old clients, with any quote, backslash, control or non-ASCII
    character replaced, and the exact name as UTF-8 in ``filename*``."""
    plain = "".join(ch if " " <= ch <= "~" and ch not in '"\\' else "_" for ch in filename)
    exact = quote(filename, safe="")
    if exact == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{exact}"
