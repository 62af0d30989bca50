"""First come, first served: what is freed goes straight to the longest waiter.

asyncio's own primitives wake a waiter and let it take what was freed when it next runs, a
turn of the event loop later; a task that asks in between takes it first, and the woken
waiter waits again (asyncio.Queue), or newcomers wait behind waiters that already have a
free slot (asyncio.Semaphore in 3.11). Under load some waiters lose again and again. Here
what is freed is handed to the oldest waiter at once, so a newcomer can take only what no
one is waiting for: the relay's sending slots and the places in front of the connection pool
(``roster.kit.fairpool``) are both ``Slots``.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from typing import Generic, TypeVar

_T = TypeVar("_T")


class Handoff(Generic[_T]):
    """The waiters for something freed now and then, in the order they came."""

    def __init__(self, give_back: Callable[[_T], None]):
        # Where a thing goes that was handed to a waiter who then gave up (timed out or
        # was cancelled before it ran): on to whoever is next, instead of being lost.
        self._give_back = give_back
        self._waiters: deque[asyncio.Future[_T]] = deque()

    def __bool__(self) -> bool:
        return bool(self._waiters)

    def hand_over(self, item: _T) -> bool:
        """Give ``item`` to the oldest waiter still waiting; False when there is none."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # one that timed out or was cancelled is passed over
                waiter.set_result(item)
                return True
        return False

    async def wait(self) -> _T:
        """Wait in line for the next thing handed over (bound it with ``asyncio.timeout``)."""
        waiter: asyncio.Future[_T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                # Served, then cancelled (a timeout, a cancelled task) before it ran: the
                # thing goes on to the next waiter.
                self._give_back(waiter.result())
            else:
                waiter.cancel()
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
            raise


class Slots:
    """A counting semaphore whose freed slots go straight to the longest waiter."""

    def __init__(self, value: int):
        self.free = value
        self._waiters: Handoff[None] = Handoff(lambda _: self.release())

    def try_acquire(self) -> bool:
        """Take a free slot if nobody waits for one; False otherwise."""
        if self.free > 0 and not self._waiters:
            self.free -= 1
            return True
        return False

    async def acquire(self) -> None:
        if not self.try_acquire():
            await self._waiters.wait()

    def release(self) -> None:
        if not self._waiters.hand_over(None):
            self.free += 1
