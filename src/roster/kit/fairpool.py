"""First come, first served for database connections, in front of SQLAlchemy's own pool.

SQLAlchemy's asyncio pool wakes its first waiter when a connection comes back, but any task
that asks before that waiter runs takes the connection, so under load a few requests lose
again and again. A ``Gate`` with as many places as the pool has connections stands in front
of the checkouts of Roster's unit of work and direct reads; a freed place goes straight to
the oldest waiter (``roster.kit.handoff``), and with a place in hand the pool always has a
connection.

The pool has the whole allowance (twice ``pool_size``) and no overflow: the stock pool
closes a returned overflow connection whenever ``pool_size`` are idle, and between one and
two pool sizes of requests in flight it would open and close connections all the time.
docs/decisions.md, "The fair connection pool", has the figures.
"""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import AsyncAdaptedQueuePool

from roster.kit.handoff import Slots


class Gate:
    """Places for the pool's connections, given out in the order they were asked for."""

    def __init__(self, places: int, timeout: float):
        self.slots = Slots(places)
        self.timeout = timeout

    async def enter(self) -> None:
        """Take a place, waiting in line at most ``timeout`` seconds (then ``PoolTimeout``,
        as SQLAlchemy's pool raises)."""
        if self.slots.try_acquire():
            return
        try:
            async with asyncio.timeout(self.timeout):
                await self.slots.acquire()
        except TimeoutError:
            raise PoolTimeout(f"no database connection free within {self.timeout} s") from None

    def leave(self) -> None:
        """Give the place back, once the connection is back in the pool."""
        self.slots.release()


_GATES: weakref.WeakKeyDictionary[Engine, Gate] = weakref.WeakKeyDictionary()


def gate(engine: AsyncEngine) -> Gate | None:
    """The gate in front of ``engine``'s pool (None for an engine made elsewhere)."""
    return _GATES.get(engine.sync_engine)


def pool_settings(pool_size: int, pool_timeout: float) -> dict[str, Any]:
    """``create_async_engine``'s pool arguments for a fair pool of ``pool_size`` connections
    that may grow to twice that under load."""
    return {
        "poolclass": AsyncAdaptedQueuePool,
        "pool_size": 2 * pool_size,
        "max_overflow": 0,
        # Most recently used first: under light load the same few connections serve.
        "pool_use_lifo": True,
        # Only a checkout that bypasses the gate waits here.
        "pool_timeout": pool_timeout,
    }


def install(engine: AsyncEngine, pool_size: int, pool_timeout: float) -> None:
    """Put a gate in front of ``engine``'s pool (made with ``pool_settings``)."""
    _GATES[engine.sync_engine] = Gate(2 * pool_size, pool_timeout)
