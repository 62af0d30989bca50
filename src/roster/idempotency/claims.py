"""A key claimed by the running request, and the transaction that carries it.

The request's first write unit of work (``kit.web.uow``, through the ``WriteUnit`` slot of
the request state) begins the transaction that holds the claim: it inserts the key row
there, so the row and the effect commit or roll back together. A concurrent identical
request waits on that row (PostgreSQL's unique index, SQLite's write lock) and then replays
the committed result, or runs if the first rolled back.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roster.errors import RosterError
from roster.idempotency.repository import IdempotencyRepository, delete_older_than
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow

log = logging.getLogger("roster.idempotency")


async def sweep(engine: AsyncEngine, ttl_seconds: int) -> int:
    """Delete keys older than the retention, for every tenant (maintenance, not a request)."""
    cutoff = utcnow() - timedelta(seconds=ttl_seconds)
    async with transaction(engine, write=True) as conn:
        return await delete_older_than(conn, cutoff)


class Replay(Exception):
    """The key already holds a completed result: answer with it instead of running."""

    def __init__(self, stored: dict[str, Any]) -> None:
        super().__init__("idempotent replay")
        self.stored = stored


class InProgress(Exception):
    """Another request with the key held it for longer than a statement may wait."""


def _waited_too_long(exc: DBAPIError) -> bool:
    text = str(exc.orig).lower()
    return "statement timeout" in text or "lock timeout" in text


@dataclass(slots=True, eq=False)
class Pending:
    """A key claimed by the running request: its row is inserted by the transaction that
    carries the request's effect, which stays open until the response is stored in it.
    It is the request's ``kit.web.WriteUnit``."""

    engine: AsyncEngine
    tenant_id: UUID
    row: dict[str, Any]
    ttl: timedelta
    conn: AsyncConnection | None = None
    _stack: AsyncExitStack | None = field(default=None, repr=False)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncConnection]:
        """The request's write transaction, begun (and the key claimed) on first use and
        continued by later units of work of the same request. An error rolls back the
        whole transaction, claim included, so the key is free again."""
        if self.conn is None:
            await self._begin()
        assert self.conn is not None
        try:
            yield self.conn
        except BaseException:
            await self.rollback()
            raise

    async def _begin(self) -> None:
        stack = AsyncExitStack()
        conn = await stack.enter_async_context(transaction(self.engine, write=True))
        try:
            stored = await self._claim(conn)
        except BaseException as exc:
            await _unwind(stack, exc)
            raise
        if stored is not None:
            await _unwind(stack, Replay(stored))
            raise Replay(stored)
        self.conn, self._stack = conn, stack

    async def _claim(self, conn: AsyncConnection) -> dict[str, Any] | None:
        """None once this transaction holds the key; else the completed row that holds it."""
        repo = IdempotencyRepository(conn, self.tenant_id)
        key = self.row["key"]
        for _ in range(3):
            now = utcnow()
            try:
                if await repo.claim({**self.row, "created_at": now}):
                    return None
            except DBAPIError as exc:
                if _waited_too_long(exc):
                    raise InProgress from exc
                raise
            stored = await repo.get(key)
            if stored is None:
                continue  # deleted between the two statements: try again
            # Expired, or left in flight by a version that claimed keys on their own.
            if stored["created_at"] < now - self.ttl or stored["completed_at"] is None:
                await repo.drop(key, stored["created_at"])
                continue
            return stored
        raise InProgress

    async def commit(self, result: dict[str, Any] | None) -> None:
        """Commit the effect, with ``result`` stored in the key row (None: the key is
        dropped, for a response that is not stored)."""
        stack, conn = self._stack, self.conn
        if stack is None or conn is None:
            return
        self._stack = self.conn = None
        try:
            repo = IdempotencyRepository(conn, self.tenant_id)
            if result is None:
                await repo.drop(self.row["key"])
            else:
                await repo.complete(self.row["key"], result)
        except BaseException as exc:
            await _unwind(stack, exc)
            raise
        await stack.aclose()

    async def rollback(self) -> None:
        stack = self._stack
        self._stack = self.conn = None
        if stack is not None:
            await _unwind(stack, _RolledBack())

    async def record(self, result: dict[str, Any]) -> None:
        """Store the response of a request that opened no transaction (it wrote nothing),
        unless a concurrent identical request stored its own first."""
        async with transaction(self.engine, write=True) as conn:
            await IdempotencyRepository(conn, self.tenant_id).claim(
                {**self.row, **result, "created_at": utcnow()}
            )

    async def completed(self) -> dict[str, Any] | None:
        """The key's completed, unexpired row, read before running anything."""
        async with transaction(self.engine, write=False, single_reads=True) as conn:
            stored = await IdempotencyRepository(conn, self.tenant_id).get(self.row["key"])
        if stored is None or stored["completed_at"] is None:
            return None
        if stored["created_at"] < utcnow() - self.ttl:
            return None
        return stored


class _RolledBack(Exception):
    """Raised into a unit of work to end it with a rollback."""


async def _unwind(stack: AsyncExitStack, exc: BaseException) -> None:
    """Close ``stack`` as if ``exc`` were raised inside it (the transaction rolls back);
    a second error while doing so is logged, not raised over the first."""
    try:
        await stack.__aexit__(type(exc), exc, exc.__traceback__)
    except BaseException as raised:
        if raised is not exc and not isinstance(raised, RosterError):
            log.warning("rolling back an idempotent request failed: %r", raised)
