"""The relay loop: when a pass runs, and what one pass does in its transaction."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roster.config import Settings
from roster.events.outbox import sequence_pending, sweep
from roster.kit.db import on_commit, take_notify, transaction
from roster.webhooks.relay import claims, fanout, health, outcomes
from roster.webhooks.relay.listener import REARM_GAP, Listener, discard
from roster.webhooks.relay.sending import Sends
from roster.webhooks.relay.statistics import Statistics

log = logging.getLogger("roster.webhooks")
SWEEP_EVERY = 600.0  # seconds between retention sweeps
# Events a pass sequences at most; when it sequenced that many, another pass follows at once.
SEQUENCE_BATCH = 1000
# Deliveries claimed at most, as a multiple of ``webhook_concurrency``: those beyond the
# sends in flight wait for a slot, so that sends go on while a pass runs (a pass on a busy
# relay takes tens of milliseconds).
CLAIM_AHEAD = 4


class Relay:
    """Numbers committed events, fans them out, and delivers them, at least once.

    One loop per relay process (or inside ``roster serve``). Each pass, in one write
    transaction, records the outcomes of finished sends, sequences pending events (which
    creates their deliveries), and claims due deliveries with a lease; then it sends them
    concurrently. A pass runs when events are committed in this process (``on_commit``),
    when enough sends have finished, when another process commits events while this relay
    is idle (PostgreSQL: ``LISTEN``, see ``Listener``), or every ``relay_interval`` seconds
    (other processes' events when no notification comes, retries falling due)."""

    def __init__(self, engine: AsyncEngine, settings: Settings):
        # The events it sequences get their deliveries, whoever started this relay.
        fanout.install()
        self.engine = engine
        self.settings = settings
        self.inflight: set[asyncio.Task[None]] = set()
        # Deliveries claimed and not yet finished, per endpoint (sending or waiting to).
        self.per_endpoint: Counter[UUID] = Counter()
        self.sends = Sends(settings)
        # Set when there is work: an event committed in this process, or enough sends
        # finished that recording them and claiming more is worth a pass.
        self.wake = asyncio.Event()
        self.statistics = Statistics(engine)
        self._next_end_disabled = 0.0
        # The connection the passes run on, kept between them (see ``_unit_of_work``).
        self._conn: AsyncConnection | None = None
        self._unhook: Any = None
        # PostgreSQL: notifications of events committed by other processes, while idle.
        self._listener = (
            Listener(
                engine,
                self.wake,
                arm_timeout=min(settings.relay_interval, 0.05),
                rearm_gap=min(settings.relay_interval, REARM_GAP),
            )
            if engine.dialect.name == "postgresql" and settings.relay_listen
            else None
        )

    async def __aenter__(self) -> Relay:
        self.sends.open()
        # Events committed by this process (the API when the relay runs inside `roster
        # serve`) wake the relay at once; other processes' events are found by polling.
        self._unhook = on_commit(self.engine, self.wake.set)
        await self.statistics.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._unhook is not None:
            self._unhook()
        if self.inflight:
            await asyncio.gather(*self.inflight, return_exceptions=True)
        self.sends.stop_watching()
        await self.statistics.close()
        if self._listener is not None:
            await self._listener.close()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.close()
        await self.sends.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; database outages are waited out, not fatal."""
        next_sweep = 0.0
        stopping = asyncio.ensure_future(stop.wait())
        try:
            while not stop.is_set():
                self.wake.clear()
                try:
                    if time.monotonic() >= next_sweep:
                        async with transaction(self.engine, write=True) as conn:
                            await sweep(conn, self.settings.events_retention_days)
                        next_sweep = time.monotonic() + SWEEP_EVERY
                    more = await self.pass_()
                except Exception:  # keep relaying through outages; the cause is logged
                    log.exception("relay pass failed")
                    more = False
                # PostgreSQL: a relay about to wait with no sends that will finish soon is
                # told of other processes' commits; otherwise finishing sends call for the
                # passes that find their events (see Listener).
                if self._listener is not None:
                    self._listener.arm(not more and not self._moving())
                # Again at once when the sequencer left events behind, or when enough sends
                # finished during the pass; else wait for a commit, for sends to finish,
                # or for the poll interval (other processes' events, retries falling due).
                if more or self._worth_a_pass():
                    continue
                waking = asyncio.ensure_future(self.wake.wait())
                await asyncio.wait(
                    [waking, stopping],
                    timeout=self.settings.relay_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                waking.cancel()
        finally:
            stopping.cancel()

    def _moving(self) -> int:
        """Sends in flight that can finish soon: not those of endpoints that hang or crawl."""
        slow = self.sends.slow
        if not slow:
            return len(self.inflight)
        stuck = sum(self.per_endpoint[endpoint] for endpoint, n in slow.items() if n)
        return len(self.inflight) - stuck

    def _worth_a_pass(self) -> bool:
        """Whether enough sends have finished to record them and claim more: half of those
        that can finish soon (the claimed deliveries of endpoints that are not slow), so a
        busy relay records and claims in batches rather than a pass per send, and a hanging
        endpoint's deliveries do not hold back the passes that feed the others."""
        if self.sends.released:
            return True
        if not self.sends.done:
            return False
        moving = min(self._moving(), self.settings.webhook_concurrency)
        return len(self.sends.done) >= max(1, moving // 2)

    async def tick(self) -> int:
        """One pass in one write transaction: record finished sends, sequence new events,
        claim due deliveries; then start the sends. Returns how much work it found."""
        found, _ = await self._pass()
        return found

    async def pass_(self) -> bool:
        """One pass; True when events were left unsequenced (a pass should follow at once)."""
        _, more = await self._pass()
        return more

    async def _pass(self) -> tuple[int, bool]:
        done, released = self._take_finished()
        async with self._unit_of_work() as conn:
            await outcomes.record_all(conn, self.settings, done)
            if released:
                await claims.release(conn, released)
            if time.monotonic() >= self._next_end_disabled:
                ended = await health.end_disabled(conn)
                full = ended >= health.END_DISABLED_BATCH
                wait = 0.0 if full else health.END_DISABLED_EVERY
                self._next_end_disabled = time.monotonic() + wait
            sequenced = await sequence_pending(conn, limit=SEQUENCE_BATCH)
            # Counted now, not when the pass began: the sends that finished while it
            # recorded and sequenced make room too.
            capacity = CLAIM_AHEAD * self.settings.webhook_concurrency - len(self.inflight)
            claimed = (
                await claims.claim(conn, self.settings, self.per_endpoint, capacity)
                if capacity > 0
                else []
            )
        for row in claimed:
            endpoint = row["endpoint_id"]
            self.per_endpoint[endpoint] += 1
            task = asyncio.create_task(self.sends.deliver(row))
            self.inflight.add(task)
            task.add_done_callback(self._finished(endpoint))
        self.statistics.sequenced(sequenced)
        return len(done) + sequenced + len(claimed), sequenced >= SEQUENCE_BATCH

    def _take_finished(self) -> tuple[outcomes.Finished, list[dict[str, Any]]]:
        """The outcomes and unsent deliveries to record, taken from the sends."""
        done, self.sends.done = self.sends.done, []
        released, self.sends.released = self.sends.released, []
        return done, released

    @asynccontextmanager
    async def _unit_of_work(self) -> AsyncIterator[AsyncConnection]:
        """A pass's write transaction, on PostgreSQL on a connection the relay keeps between
        passes: a busy relay makes hundreds of passes a second, and taking a pooled
        connection costs a liveness ping each time. A connection that fails is dropped, and
        the next pass takes a fresh one from the pool (which waits out an outage as every
        request does)."""
        if self.engine.dialect.name != "postgresql":
            # SQLite's pooled checkout has no ping to save: the pool's unit of work it is.
            async with transaction(self.engine, write=True) as pooled:
                yield pooled
            return
        conn = self._conn
        if conn is None:
            conn = await self.engine.connect()
            await conn.execution_options(roster_write=True)
            self._conn = conn
        committed = False
        try:
            async with conn.begin():
                yield conn
            committed = True
        except BaseException:
            self._conn = None
            await discard(conn)
            raise
        finally:
            # The relay's own connection is not handed back to ``transaction``, so the relay
            # takes the ``notify_on_commit`` flag itself.
            announced = take_notify(conn)
        # Events the pass emitted itself (webhook.disabled) call for another pass.
        if committed and announced:
            self.wake.set()

    def _finished(self, endpoint_id: UUID) -> Callable[[asyncio.Task[None]], None]:
        def done(task: asyncio.Task[None]) -> None:
            self.inflight.discard(task)
            self.per_endpoint[endpoint_id] -= 1
            if self.per_endpoint[endpoint_id] <= 0:
                del self.per_endpoint[endpoint_id]
                self.sends.forget(endpoint_id)
            if not task.cancelled() and task.exception() is not None:
                log.error("delivery task failed", exc_info=task.exception())
            if not self.inflight or self._worth_a_pass():
                self.wake.set()

        return done

    async def drain(self) -> None:
        """Wait for the sends in flight and record their outcomes (tests and shutdown)."""
        while self.inflight:
            await asyncio.gather(*list(self.inflight), return_exceptions=True)
        if self.sends.done or self.sends.released:
            done, released = self._take_finished()
            async with transaction(self.engine, write=True) as conn:
                await outcomes.record_all(conn, self.settings, done)
                if released:
                    await claims.release(conn, released)
