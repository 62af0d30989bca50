"""The unit of work: one connection, one transaction (or none, for single reads)."""

from __future__ import annotations

import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roster.errors import Unavailable
from roster.kit import fairpool
from roster.kit.db.engine import SINGLE_READS, UNPINGED, WRITE
from roster.kit.db.outage import FAILURES, LOST, is_unavailable, unreachable

_NOTIFY = "roster_notify_on_commit"
_AFTER = "roster_after_commit"
_commit_hooks: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = (
    weakref.WeakKeyDictionary()
)


def on_commit(engine: AsyncEngine, callback: Callable[[], None]) -> Callable[[], None]:
    """Call ``callback`` after each unit of work on ``engine`` that asked for it
    (``notify_on_commit``) has committed. Returns the function that removes the hook."""
    hooks = _commit_hooks.setdefault(engine.sync_engine, [])
    hooks.append(callback)

    def remove() -> None:
        if callback in hooks:
            hooks.remove(callback)

    return remove


def notify_on_commit(conn: AsyncConnection) -> None:
    """Ask for the ``on_commit`` hooks to run once this unit of work has committed."""
    conn.info[_NOTIFY] = True


def wakes_on_commit(engine: AsyncEngine) -> bool:
    """Whether this process has an ``on_commit`` hook on ``engine`` (a relay of its own)."""
    return bool(_commit_hooks.get(engine.sync_engine))


def after_commit(conn: AsyncConnection, callback: Callable[[], None]) -> None:
    """Call ``callback`` once the unit of work of ``conn`` (begun by ``transaction``) has
    committed; it is dropped when the unit rolls back."""
    conn.info.setdefault(_AFTER, []).append(callback)


def _take(conn: AsyncConnection, key: str) -> Any:
    """Take (and clear) ``conn.info[key]``; None when it is not there."""
    if conn.invalidated:
        # Its info went with the lost connection (and reading ``info`` would reconnect).
        return None
    try:
        return conn.info.pop(key, None)
    except Exception:  # a connection closed some other way: nothing was committed
        return None


def _take_after(conn: AsyncConnection) -> list[Callable[[], None]]:
    return list(_take(conn, _AFTER) or ())


def take_notify(conn: AsyncConnection) -> bool:
    """Take (and clear) the ``notify_on_commit`` flag of ``conn``: True if it was set."""
    return bool(_take(conn, _NOTIFY))
    try:
        return bool(conn.info.pop(_NOTIFY, False))
    except Exception:  # a connection closed some other way: nothing to announce either
        return False


_CUSTOM_PLANS = text("SELECT set_config('plan_cache_mode', 'force_custom_plan', true)")
_custom_planned: weakref.WeakSet[Any] = weakref.WeakSet()


async def custom_plans(conn: AsyncConnection) -> None:
    """PostgreSQL: plan the rest of this transaction's statements for their own values.

    The driver prepares each statement once per connection, and after five executions
    PostgreSQL may switch it to a generic plan, costed with default selectivities instead
    of the values. For a filter over a large tenant that plan can be far worse: a
    five-condition segment count at 1M contacts took 0.36 s on its first five executions
    and 1.0 s from the sixth on (B6). One round trip, once per transaction; outside one
    (``single_reads``) it lasts a statement and is skipped.
    """
    if conn.dialect.name != "postgresql" or not conn.in_transaction():
        return
    current = conn.sync_connection.get_transaction() if conn.sync_connection else None
    if current is None or current in _custom_planned:
        return
    await conn.execute(_CUSTOM_PLANS)
    _custom_planned.add(current)


def single_reads(conn: AsyncConnection) -> bool:
    """Whether ``conn`` is a unit of work of single reads (no BEGIN, see ``transaction``)."""
    if conn.sync_connection is None:
        return False
    options = conn.sync_connection.get_execution_options()
    if conn.dialect.name == "postgresql":
        return bool(options.get("isolation_level") == "AUTOCOMMIT")
    return bool(options.get(SINGLE_READS))


@asynccontextmanager
async def transaction(
    engine: AsyncEngine, *, write: bool, single_reads: bool = False
) -> AsyncIterator[AsyncConnection]:
    """One unit of work: commits when the block ends, rolls back when it raises.

    ``single_reads``: the block only reads, and each statement may see the database as of
    its own start (no snapshot shared between statements), so no BEGIN and COMMIT are sent:
    two round trips fewer on PostgreSQL, two thread crossings fewer on SQLite. For a read
    of one object whose statements do not depend on each other's consistency.

    Database outages surface as ``Unavailable`` (503 with Retry-After) instead of a 500.
    """
    committed = False
    after: list[Callable[[], None]] = []
    gate = fairpool.gate(engine)
    try:
        if gate is not None:
            await gate.enter()
        try:
            async with engine.connect() as conn:
                if write:
                    await conn.execution_options(**{WRITE: True})
                elif single_reads:
                    if conn.dialect.name == "postgresql":
                        await conn.execution_options(isolation_level="AUTOCOMMIT")
                    else:
                        await conn.execution_options(**{SINGLE_READS: True})
                    # Nothing to begin or commit: each statement is its own transaction (a
                    # statement SQLAlchemy runs begins one that sends nothing, and closing the
                    # connection ends it).
                    yield conn
                    return
                # Left by work that committed some other way: not this unit's.
                _take_after(conn)
                try:
                    async with conn.begin():
                        yield conn
                        if conn.invalidated:
                            # A statement lost the connection and its error did not end the
                            # block (raised elsewhere, or caught): nothing is committed.
                            raise Unavailable(LOST)
                    after = _take_after(conn)
                    committed = take_notify(conn)
                finally:
                    if not after:
                        _take_after(conn)
                    if not committed:
                        take_notify(conn)
        finally:
            if gate is not None:
                gate.leave()
    except FAILURES as exc:
        if is_unavailable(exc):
            raise unreachable() from exc
        raise
    for callback in after:
        callback()
    if committed:
        for hook in list(_commit_hooks.get(engine.sync_engine, ())):
            hook()


@dataclass(slots=True)
class HeldTransaction:
    """A read transaction begun before the code that will use it is known: a read request
    checks its credential in the transaction that its unit of work then continues, so the
    request costs one transaction instead of two."""

    conn: AsyncConnection
    stack: AsyncExitStack

    async def close(self) -> None:
        """End the transaction when no unit of work took it. It only read, so a lost
        connection here costs nothing (the request's own error says what went wrong)."""
        with suppress(Unavailable):
            await self.stack.aclose()


async def hold_transaction(
    engine: AsyncEngine, *, single_reads: bool = False, unpinged: bool = False
) -> HeldTransaction:
    """A read transaction held open for the request. ``unpinged``: its connection is taken
    without the liveness ping, and its first read must check it instead
    (``first_row(..., liveness=True)``)."""
    stack = AsyncExitStack()
    token = UNPINGED.set(unpinged)
    try:
        conn = await stack.enter_async_context(
            transaction(engine, write=False, single_reads=single_reads)
        )
    finally:
        UNPINGED.reset(token)
    return HeldTransaction(conn, stack)
