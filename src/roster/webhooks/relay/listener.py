"""PostgreSQL: how an idle relay hears of events committed by another process."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roster.events.outbox_repository import RELAY_IDLE_LOCK, WAKE_CHANNEL
from roster.kit import logs
from roster.webhooks.relay.repository import listening

log = logging.getLogger("roster.webhooks")
__all__ = ["RELAY_IDLE_LOCK", "WAKE_CHANNEL", "Listener"]
# Seconds a listener waits to reconnect after its connection failed (polling goes on).
LISTEN_RETRY = 5.0
# Seconds before an idle relay tries again for the idle lock that was held elsewhere.
ARM_RETRY = 1.0
# Seconds at least between two armings of the listener (see ``Listener.arm``).
REARM_GAP = 0.05


class Listener:
    """How a relay hears, while it is idle, of events committed by another process.

    A connection of its own ``LISTEN``s on ``WAKE_CHANNEL``. When the relay is about to
    wait with no sends that will finish soon, it *arms* it: the connection takes
    ``RELAY_IDLE_LOCK`` exclusive, which waits for the writers that took it shared (they
    inserted events while no relay was armed, and notified nobody) to commit, then looks
    for unsequenced events (their events among them) and sets ``wake`` if there are any.
    From then on an emitting transaction cannot take the lock shared, so it notifies
    (``roster.events.outbox.announce``), and the notification sets ``wake``. While sends are in
    flight the relay disarms (unlocks): their finishing calls for the passes that find new
    events, and PostgreSQL commits notifying transactions one at a time.

    Arming and disarming run beside the loop, one statement at a time on the connection; the
    lock is waited for at most ``arm_timeout`` (another idle relay, or a writer committing
    events, may hold it: this one then polls, and tries again ``ARM_RETRY`` s later). Any
    other failure closes the connection, which frees the lock; the relay polls, and listens
    again ``LISTEN_RETRY`` s later."""

    def __init__(
        self, engine: AsyncEngine, wake: asyncio.Event, arm_timeout: float, rearm_gap: float
    ):
        self.engine = engine
        self.wake = wake
        self.arm_timeout = arm_timeout
        self.rearm_gap = rearm_gap
        self._armed_at = -rearm_gap
        self._later: asyncio.TimerHandle | None = None
        self.want = False  # whether the relay wants the idle lock held
        self.held = False  # whether this connection holds it
        self._conn: AsyncConnection | None = None
        self._driver: Any = None
        self._retry_at = 0.0
        self._settling: asyncio.Task[None] | None = None

    def arm(self, armed: bool) -> None:
        """Ask for the idle lock to be held (True) or given back (False). Held at most once
        per ``rearm_gap`` seconds: each writer that commits events while it is held sends a
        notification, and PostgreSQL commits notifying transactions one at a time, so a relay
        re-armed after every pass would slow a steady stream of writes; with the gap it costs
        a notification or two per gap, and the relay's polls find the rest."""
        self.want = armed
        if self._later is not None:
            self._later.cancel()
            self._later = None
        if armed and not self.held:
            wait = self._armed_at + self.rearm_gap - time.monotonic()
            if wait > 0:  # armed again once the gap is over (if still wanted then)
                self._later = asyncio.get_running_loop().call_later(wait, self._rearm)
                return
        if self.held != armed and (self._settling is None or self._settling.done()):
            self._settling = asyncio.create_task(self._settle())

    def _rearm(self) -> None:
        self._later = None
        if self.want:
            self.arm(True)

    async def _settle(self) -> None:
        while self.held != self.want:
            if not await self._open():
                return
            try:
                await listening.hold_lock(
                    self._driver, RELAY_IDLE_LOCK, self.want, bound=self.arm_timeout + 1.0
                )
            except Exception as exc:
                if getattr(exc, "sqlstate", None) == "55P03":  # lock_not_available
                    # Held elsewhere for longer than the wait (a writer committing events
                    # holds it shared, another idle relay outright): try again shortly,
                    # rather than stay unarmed until a poll that may be far off.
                    self._later = asyncio.get_running_loop().call_later(
                        max(self.rearm_gap, ARM_RETRY), self._rearm
                    )
                    return
                logs.transient(log, "relay listener failed; polling", exc)
                self._retry_at = time.monotonic() + LISTEN_RETRY
                await self._drop()
                return
            self.held = not self.held
            if self.held:
                self._armed_at = time.monotonic()
            if self.held and await self._unsequenced():
                # Writers that saw no armed relay committed events: a pass sequences them.
                self.wake.set()

    async def _unsequenced(self) -> bool:
        """Whether committed events wait for their feed position (a new snapshot, taken
        after the lock: it sees every writer that took the lock shared)."""
        try:
            return await listening.unsequenced(self._driver, bound=self.arm_timeout + 1.0)
        except Exception as exc:
            logs.transient(log, "relay listener failed; polling", exc)
            self._retry_at = time.monotonic() + LISTEN_RETRY
            await self._drop()
            return True

    def _notified(self, *_: object) -> None:
        self.wake.set()
        self.arm(False)  # one notification is enough: the pass it wakes finds the rest

    async def _open(self) -> bool:
        if self._driver is not None and not self._driver.is_closed():
            return True
        await self._drop()
        if time.monotonic() < self._retry_at:
            return False
        conn = None
        try:
            conn = await self.engine.connect()
            driver = await listening.listen(
                conn,
                WAKE_CHANNEL,
                self._notified,
                lock_timeout=self.arm_timeout,
                bound=self.arm_timeout + 1.0,
            )
        except Exception as exc:
            logs.transient(log, "relay cannot listen for events; polling", exc)
            self._retry_at = time.monotonic() + LISTEN_RETRY
            if conn is not None:
                await discard(conn)
            return False
        self._conn, self._driver = conn, driver
        return True

    async def close(self) -> None:
        self.want = False
        if self._later is not None:
            self._later.cancel()
            self._later = None
        if self._settling is not None:
            with contextlib.suppress(Exception):
                await self._settling
        await self._drop()

    async def _drop(self) -> None:
        """Close the connection, not return it to the pool: it listens, and may hold the lock."""
        conn, self._conn, self._driver = self._conn, None, None
        self.held = False
        if conn is not None:
            await discard(conn)


async def discard(conn: AsyncConnection) -> None:
    """Close a connection for good, not back into the pool (it may be broken, listen, or
    hold a lock)."""
    with contextlib.suppress(Exception):
        await conn.invalidate()
    with contextlib.suppress(Exception):
        await conn.close()
