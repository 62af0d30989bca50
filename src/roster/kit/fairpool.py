"""A connection pool that hands a returned connection to the longest waiter.

SQLAlchemy's asyncio pool keeps its idle connections in an ``asyncio.Queue``. A returned
connection goes into the queue and wakes the first waiter, but the waiter only runs on a
later turn of the event loop; any task that asks for a connection before then (a new
request, or the same request's next unit of work) takes it at once, and the woken waiter,
finding the queue empty again, waits anew at the back. Under load a few requests lose that
race again and again: B1 (64 clients, 20 connections, each held about 7 ms) measured a
pool wait of 0 ms at the median and 261 ms at p99, up to a second, and a request p99 of
300-640 ms against 41-47 ms for the same work with asyncpg's own pool.

Here a returned connection is given straight to the oldest waiter still waiting
(``roster.kit.handoff``); it enters the idle set only when nobody waits, so a newcomer can
take only what no one is queued for.

The pool also keeps the connections it opened beyond its size (up to the overflow) while
they are in use, instead of closing each one the moment it comes back to a full set of idle
connections. SQLAlchemy's pool closes a returned connection whenever ``pool_size`` are
already idle; with between ``pool_size`` and twice as many requests in flight, the idle
count crosses that line again and again, and each crossing cost a connection closed and a
new one opened (a TCP connect, the startup handshake, and asyncpg's SSL attempt): 16
concurrent reads by id on a pool of 10 spent 12-15 % of their CPU opening and closing
connections. Here a connection beyond ``pool_size`` is closed only once it has stayed idle
for ``idle_lifetime`` seconds, checked whenever a connection comes back; idle connections
are taken most recently used first (``pool_use_lifo``, as ``create_engine`` sets it), so
under light load the extra ones are the ones left to age.
"""

from __future__ import annotations

import asyncio
import collections
import time
from typing import Any, Generic, TypeVar

from sqlalchemy.pool import AsyncAdaptedQueuePool
from sqlalchemy.util import await_, greenlet_spawn
from sqlalchemy.util.concurrency import in_greenlet
from sqlalchemy.util.queue import Empty, QueueCommon

from roster.kit.handoff import Handoff

_T = TypeVar("_T")


class FairQueue(QueueCommon[_T], Generic[_T]):
    """The pool's idle connections, first come first served. Never full: ``maxsize`` (the
    pool's size) is how many ``stale`` leaves, however long they have been idle."""

    def __init__(self, maxsize: int = 0, use_lifo: bool = False):
        self.maxsize = maxsize
        self.use_lifo = use_lifo
        # (connection, when it came back), most recently returned on the right.
        self._items: collections.deque[tuple[_T, float]] = collections.deque()
        self._waiters: Handoff[_T] = Handoff(self.put_nowait)

    def empty(self) -> bool:
        return not self._items

    def full(self) -> bool:
        return False

    def qsize(self) -> int:
        return len(self._items)

    def put_nowait(self, item: _T) -> None:
        if self._waiters.hand_over(item):
            return
        self._items.append((item, time.monotonic()))

    def put(self, item: _T, block: bool = True, timeout: float | None = None) -> None:
        # Never blocks: the pool only returns connections it handed out.
        self.put_nowait(item)

    def get_nowait(self) -> _T:
        if not self._items:
            raise Empty()
        return (self._items.pop() if self.use_lifo else self._items.popleft())[0]

    def get(self, block: bool = True, timeout: float | None = None) -> _T:
        if self._items or not block:
            return self.get_nowait()
        try:
            return await_(self._wait(timeout))
        except TimeoutError:
            raise Empty() from None

    async def _wait(self, seconds: float | None) -> _T:
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for runs the wait in a task of
        # its own, one more task per request that waits for a connection.
        async with asyncio.timeout(seconds):
            return await self._waiters.wait()

    def peek(self) -> _T | None:
        """The idle connection ``get`` would hand out next, or None."""
        if not self._items:
            return None
        return self._items[-1 if self.use_lifo else 0][0]

    def stale(self, returned_before: float) -> list[_T]:
        """Take out the idle connections beyond ``maxsize`` that came back before
        ``returned_before`` (longest returned first)."""
        taken = []
        while len(self._items) > self.maxsize and self._items[0][1] < returned_before:
            taken.append(self._items.popleft()[0])
        return taken


class FairAsyncQueuePool(AsyncAdaptedQueuePool):
    """SQLAlchemy's asyncio queue pool with a ``FairQueue`` of idle connections, which keeps
    its connections beyond ``pool_size`` until they have been idle ``idle_lifetime`` s."""

    _queue_class: Any = FairQueue
    _pool: FairQueue[Any]
    idle_lifetime = 60.0

    def _do_return_conn(self, record: Any) -> None:
        self._pool.put(record, False)
        stale = self._pool.stale(time.monotonic() - self.idle_lifetime)
        if not stale:
            return
        if in_greenlet():
            self._close_idle(stale)
        else:
            # Returned outside a greenlet (``kit.db.direct``): closing is I/O, so it runs
            # in one, beside the caller.
            task = asyncio.get_running_loop().create_task(greenlet_spawn(self._close_idle, stale))
            _closing.add(task)
            task.add_done_callback(_closing.discard)

    def _close_idle(self, stale: list[Any]) -> None:
        for idle in stale:
            try:
                idle.close()
            finally:
                self._dec_overflow()


# Closings of idle connections under way outside a greenlet (kept until done).
_closing: set[asyncio.Task[None]] = set()
