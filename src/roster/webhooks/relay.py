"""The relay: numbers committed events, fans them out, and delivers them, at least once.

One loop per relay process (or inside ``roster serve``). Each pass, in one write
transaction, it records the outcomes of finished sends, sequences pending events (which
creates their deliveries), and claims due deliveries with a lease; then it sends them
concurrently. A pass runs when events are committed in this process (``on_commit``), when
enough sends have finished, when another process commits events while this relay is idle
(PostgreSQL: ``LISTEN``, see ``_Listener``), or every ``relay_interval`` seconds (other
processes' events when no notification comes, retries falling due). A claim
takes a delivery only when no earlier delivery about the same contact is still pending for
that endpoint, so per endpoint the events about one contact arrive in order. Each endpoint
has at most ``webhook_endpoint_concurrency`` sends in flight, so a slow or dead endpoint
cannot take the slots of the others. A worker killed mid-send leaves a lease that runs out,
and the delivery is sent again: at least once, never lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from operator import itemgetter
from typing import Any, cast
from uuid import UUID

import aiohttp
import orjson
from sqlalchemy import (
    Integer,
    Text,
    and_,
    bindparam,
    column,
    exists,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import aliased

from roster.config import Settings
from roster.events.outbox import emit, render_id, sequence_pending, sweep
from roster.kit import logs
from roster.kit.db import on_commit, take_notify, transaction
from roster.kit.handoff import Slots
from roster.kit.timeutil import rfc3339, utcnow
from roster.kit.types import UTCDateTime
from roster.models import events, webhook_deliveries, webhook_endpoints
from roster.webhooks import sender

log = logging.getLogger("roster.webhooks")
SWEEP_EVERY = 600.0  # seconds between retention sweeps
# PostgreSQL: refresh the planner's statistics of the deliveries table once this relay has
# sequenced this many events (each creates its deliveries), at most once a minute; and of
# the deliveries and the events sooner, whenever it has sequenced as many as up to the
# previous refresh (100, 200, 400, ...: tables that may have doubled). With statistics from
# when the table was small the planner checked per-contact order through the wrong index
# (17 s a claim instead of under 1 ms), before autovacuum came round to it. On a new
# database at 1k events/s the claim was planned from empty tables (events joined by tenant
# alone, 52k rows for 186 deliveries) and hit the statement timeout within seconds, each
# time rolling back its pass's sequencing: deliveries 7-12 s late for the whole run.
ANALYZE_AFTER_ROWS = 100
ANALYZE_EVERY = 60.0
# Events a pass sequences at most; when it sequenced that many, another pass follows at once.
SEQUENCE_BATCH = 1000
# Deliveries claimed at most, as a multiple of ``webhook_concurrency``: those beyond the
# sends in flight wait for a slot, so that sends go on while a pass runs. A pass on a busy
# relay takes tens of milliseconds (five statements, on an event loop busy with the sends),
# and at twice the concurrency the claimed deliveries ran out before it ended.
CLAIM_AHEAD = 4
# A send that has taken this long no longer counts against the relay's concurrency, only
# against its endpoint's cap (seconds).
SLOW_SEND = 1.0
# A claimed delivery is sent only with at least the send timeout plus this much lease left
# (or half of what the lease has beyond the timeout, when that is less).
LEASE_MARGIN = 5.0
# The pending deliveries of disabled endpoints are ended in sets of this many, at most
# every END_DISABLED_EVERY seconds (at once again while a set comes back full).
END_DISABLED_BATCH = 2000
END_DISABLED_EVERY = 1.0
DISABLED_ERROR = "endpoint disabled"
# PostgreSQL: the channel an idle relay LISTENs on, and the advisory lock it holds while
# idle; the trigger of migration 0011 notifies only while some relay holds that lock.
WAKE_CHANNEL = "roster_events"
RELAY_IDLE_LOCK = 727_1009
# Seconds a listener waits to reconnect after its connection failed (polling goes on).
LISTEN_RETRY = 5.0
# Seconds at least between two armings of the listener (see ``_Listener.arm``).
REARM_GAP = 0.05
d = webhook_deliveries.c
w = webhook_endpoints.c


def payload(event_id: UUID, type_: str, created_at: datetime, data: str | None) -> bytes:
    """The body of a delivery: the event's JSON ``data`` as the database keeps it as text
    (PostgreSQL's rendering of the jsonb, SQLite's stored text), spliced in as it is, not
    decoded and encoded again for each send."""
    return b"".join(
        (
            b'{"id":"',
            render_id(event_id).encode(),
            b'","type":',
            orjson.dumps(type_),
            b',"created_at":"',
            cast(str, rfc3339(created_at)).encode(),
            b'","data":',
            b"null" if data is None else data.encode(),
            b"}",
        )
    )


def active_secrets(endpoint: dict[str, Any]) -> list[str]:
    found = [endpoint["secret"]]
    expires = endpoint["previous_secret_expires_at"]
    if endpoint["previous_secret"] and expires is not None and expires > utcnow():
        found.append(endpoint["previous_secret"])
    return found


class _Listener:
    """PostgreSQL: how a relay hears, while it is idle, of events committed by another process.

    A connection of its own ``LISTEN``s on ``WAKE_CHANNEL``. When the relay is about to
    wait with no sends that will finish soon, it *arms* it: the connection takes
    ``RELAY_IDLE_LOCK`` exclusive, which waits for the writers that took it shared (they
    inserted events while no relay was armed, and notified nobody) to commit, then looks
    for unsequenced events (their events among them) and sets ``wake`` if there are any.
    From then on an emitting transaction cannot take the lock shared, so its trigger
    notifies (migration 0011), and the notification sets ``wake``. While sends are in
    flight the relay disarms (unlocks): their finishing calls for the passes that find new
    events, and PostgreSQL commits notifying transactions one at a time.

    Arming and disarming run beside the loop, one statement at a time on the connection; the
    lock is waited for at most ``arm_timeout`` (another idle relay may hold it: this one then
    polls, and its next idle pass tries again). Any other failure closes the connection,
    which frees the lock; the relay polls, and listens again ``LISTEN_RETRY`` s later."""

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
        notification, and PostgreSQL commits notifying transactions one at a time, so a
        relay re-armed after every pass under a steady stream of writes made most of them
        notify (16 writers of single contacts: 15-20 % fewer writes a second). With the gap
        a busy stream costs a notification or two per gap, and the relay's polls find the
        rest."""
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
            statement = "pg_advisory_lock" if self.want else "pg_advisory_unlock"
            try:
                await self._driver.execute(
                    f"SELECT {statement}({RELAY_IDLE_LOCK})", timeout=self.arm_timeout + 1.0
                )
            except Exception as exc:
                if getattr(exc, "sqlstate", None) == "55P03":  # lock_not_available
                    return  # held elsewhere for longer than a poll: polling it is, this time
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
            return bool(await self._driver.fetchval(_UNSEQUENCED, timeout=self.arm_timeout + 1.0))
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
            driver: Any = (await conn.get_raw_connection()).driver_connection
            await driver.execute(
                f"SET lock_timeout = {max(1, int(self.arm_timeout * 1000))}",
                timeout=self.arm_timeout + 1.0,
            )
            await driver.add_listener(WAKE_CHANNEL, self._notified)
        except Exception as exc:
            logs.transient(log, "relay cannot listen for events; polling", exc)
            self._retry_at = time.monotonic() + LISTEN_RETRY
            if conn is not None:
                await self._close(conn)
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
            await self._close(conn)

    @staticmethod
    async def _close(conn: AsyncConnection) -> None:
        with contextlib.suppress(Exception):
            await conn.invalidate()
        with contextlib.suppress(Exception):
            await conn.close()


class Relay:
    def __init__(self, engine: AsyncEngine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.inflight: set[asyncio.Task[None]] = set()
        # Deliveries claimed and not yet finished, per endpoint (sending or waiting to).
        self.per_endpoint: Counter[UUID] = Counter()
        # Sends per endpoint that have taken longer than ``SLOW_SEND``: such an endpoint
        # hangs or crawls, and its claimed deliveries are not counted on to finish soon.
        self.slow: Counter[UUID] = Counter()
        # At most ``webhook_endpoint_concurrency`` sends in flight per endpoint.
        self.endpoint_slots: dict[UUID, Slots] = {}
        # Finished sends whose outcome the next pass records (in its one transaction).
        self.done: list[tuple[dict[str, Any], sender.Outcome]] = []
        # Claimed deliveries given back unsent (their lease ran too short while they
        # waited for a slot); the next pass frees their lease.
        self.released: list[dict[str, Any]] = []
        self.session: aiohttp.ClientSession | None = None
        # Set when there is work: an event committed in this process, or enough sends
        # finished that recording them and claiming more is worth a pass.
        self.wake = asyncio.Event()
        # Up to ``CLAIM_AHEAD`` times ``webhook_concurrency`` deliveries are claimed (twice
        # the endpoint's cap per endpoint), and at most ``webhook_concurrency`` are being
        # sent: the claimed rest waits here, so sending goes on while the next pass runs
        # instead of stopping for it. A slow send gives its slot back (see ``SLOW_SEND``).
        self.sending = Slots(settings.webhook_concurrency)
        # Sends holding a sending slot, in the order they started: number -> (start,
        # endpoint); and those that turned slow (gave their slot back): number -> endpoint.
        self._sends: dict[int, tuple[float, UUID]] = {}
        self._slow_sends: dict[int, UUID] = {}
        self._send_numbers = itertools.count()
        self._slow_check: asyncio.TimerHandle | None = None
        self._created_since_analyze = 0
        self._created_until_analyze = 0
        self._next_analyze = 0.0
        self._next_end_disabled = 0.0
        self._analyzing: asyncio.Task[None] | None = None
        # The connection the passes run on, kept between them (see ``_unit_of_work``).
        self._conn: AsyncConnection | None = None
        self._unhook: Any = None
        # PostgreSQL: notifications of events committed by other processes, while idle.
        self._listener = (
            _Listener(
                engine,
                self.wake,
                arm_timeout=min(settings.relay_interval, 0.05),
                rearm_gap=min(settings.relay_interval, REARM_GAP),
            )
            if engine.dialect.name == "postgresql" and settings.relay_listen
            else None
        )

    async def __aenter__(self) -> Relay:
        s = self.settings
        self.session = sender.make_session(
            allow_private=s.webhooks_allow_private,
            # No pool-wide limit: the relay's own limits bound the connections (the
            # concurrency, plus each endpoint's cap for slow sends), and a pool-wide limit
            # would let hanging endpoints hold every connection.
            concurrency=0,
            connect_timeout=s.webhook_connect_timeout,
            timeout=s.webhook_timeout,
        )
        # Events committed by this process (the API when the relay runs inside `roster
        # serve`) wake the relay at once; other processes' events are found by polling.
        self._unhook = on_commit(self.engine, self.wake.set)
        if self.engine.dialect.name == "postgresql":
            # Doubling counts from the rows the statistics already describe, not from this
            # relay's start: counted from zero, a relay restarted beside 200k deliveries
            # ANALYZEd both tables seven times in its first 10 s at 1k events/s, and the
            # sends waited behind the CPU that took (B7 p99 187-210 ms, else 66).
            with contextlib.suppress(Exception):  # unknown: counted from zero, as before
                self._created_until_analyze = await self._rows_known()
        return self

    async def _rows_known(self) -> int:
        """PostgreSQL: how many deliveries the planner's statistics count (0 before any)."""
        async with transaction(self.engine, write=False) as conn:
            known = await conn.execute(
                text(
                    "SELECT greatest(reltuples, 0)::bigint FROM pg_class "
                    "WHERE oid = 'webhook_deliveries'::regclass"
                )
            )
            return int(known.scalar_one())

    async def __aexit__(self, *_: object) -> None:
        if self._unhook is not None:
            self._unhook()
        if self.inflight:
            await asyncio.gather(*self.inflight, return_exceptions=True)
        if self._slow_check is not None:
            self._slow_check.cancel()
            self._slow_check = None
        if self._analyzing is not None:
            await asyncio.gather(self._analyzing, return_exceptions=True)
        if self._listener is not None:
            await self._listener.close()
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(Exception):
                await conn.close()
        if self.session is not None:
            await self.session.close()

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
                # passes that find their events (see _Listener).
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
        if not self.slow:
            return len(self.inflight)
        stuck = sum(self.per_endpoint[endpoint] for endpoint, n in self.slow.items() if n)
        return len(self.inflight) - stuck

    def _worth_a_pass(self) -> bool:
        """Whether enough sends have finished to record them and claim more: half of those
        that can finish soon (the claimed deliveries of endpoints that are not slow), so a
        busy relay records and claims in batches rather than a pass per send, and a hanging
        endpoint's deliveries do not hold back the passes that feed the others."""
        if self.released:
            return True
        if not self.done:
            return False
        moving = min(self._moving(), self.settings.webhook_concurrency)
        return len(self.done) >= max(1, moving // 2)

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
        done, self.done = self.done, []
        released, self.released = self.released, []
        async with self._unit_of_work() as conn:
            await self.record_all(conn, done)
            if released:
                await self._release(conn, released)
            if time.monotonic() >= self._next_end_disabled:
                ended = await self.end_disabled(conn)
                wait = 0.0 if ended >= END_DISABLED_BATCH else END_DISABLED_EVERY
                self._next_end_disabled = time.monotonic() + wait
            sequenced = await sequence_pending(conn, limit=SEQUENCE_BATCH)
            # Counted now, not when the pass began: the sends that finished while it recorded
            # and sequenced (tens of milliseconds on a busy relay) make room too. Counted at
            # the start, a busy relay's passes each claimed only what had finished before
            # them, and half the sending slots stood empty.
            capacity = CLAIM_AHEAD * self.settings.webhook_concurrency - len(self.inflight)
            claimed = await self.claim(conn, capacity) if capacity > 0 else []
        for row in claimed:
            endpoint = row["endpoint_id"]
            self.per_endpoint[endpoint] += 1
            task = asyncio.create_task(self.deliver(row))
            self.inflight.add(task)
            task.add_done_callback(self._finished(endpoint))
        self._refresh_statistics(sequenced)
        return len(done) + sequenced + len(claimed), sequenced >= SEQUENCE_BATCH

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
            with contextlib.suppress(Exception):
                await conn.invalidate()
            with contextlib.suppress(Exception):
                await conn.close()
            raise
        finally:
            # The relay's own connection is not handed back to ``transaction``, so the relay
            # takes the ``notify_on_commit`` flag itself.
            announced = take_notify(conn)
        # Events the pass emitted itself (webhook.disabled) call for another pass.
        if committed and announced:
            self.wake.set()

    def _refresh_statistics(self, sequenced: int) -> None:
        """ANALYZE the deliveries on PostgreSQL after a burst, beside the loop: the passes
        (and the sends they start) do not wait for it."""
        if self.engine.dialect.name != "postgresql":
            return
        self._created_since_analyze += sequenced
        now = time.monotonic()
        since = self._created_since_analyze
        if since < ANALYZE_AFTER_ROWS:
            return
        grown = since >= self._created_until_analyze
        if not grown and (now < self._next_analyze or since < 10 * ANALYZE_AFTER_ROWS):
            return
        if self._analyzing is not None and not self._analyzing.done():
            return
        self._created_until_analyze += since
        self._created_since_analyze = 0
        self._next_analyze = now + ANALYZE_EVERY
        # The events table (the larger, read by sampling) only while it may have doubled.
        tables = "webhook_deliveries, events" if grown else "webhook_deliveries"
        self._analyzing = asyncio.create_task(self._analyze(tables))

    async def _analyze(self, tables: str) -> None:
        try:
            async with transaction(self.engine, write=False) as conn:
                await conn.execute(text(f"ANALYZE {tables}"))
        except Exception:  # statistics are refreshed again after the next burst
            log.warning("ANALYZE %s failed", tables, exc_info=True)

    def _finished(self, endpoint_id: UUID) -> Any:
        def done(task: asyncio.Task[None]) -> None:
            self.inflight.discard(task)
            self.per_endpoint[endpoint_id] -= 1
            if self.per_endpoint[endpoint_id] <= 0:
                del self.per_endpoint[endpoint_id]
                self.endpoint_slots.pop(endpoint_id, None)
            if not task.cancelled() and task.exception() is not None:
                log.error("delivery task failed", exc_info=task.exception())
            if not self.inflight or self._worth_a_pass():
                self.wake.set()

        return done

    async def drain(self) -> None:
        """Wait for the sends in flight and record their outcomes (tests and shutdown)."""
        while self.inflight:
            await asyncio.gather(*list(self.inflight), return_exceptions=True)
        if self.done or self.released:
            done, self.done = self.done, []
            released, self.released = self.released, []
            async with transaction(self.engine, write=True) as conn:
                await self.record_all(conn, done)
                if released:
                    await self._release(conn, released)

    async def _release(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        """Free the leases of claimed deliveries that were not sent, so they are claimed
        again at once; a lease another relay has taken meanwhile is left alone."""
        for row in rows:
            await conn.execute(
                update(webhook_deliveries)
                .where(
                    d.tenant_id == row["tenant_id"],
                    d.id == row["id"],
                    d.status == "pending",
                    d.lease_until == row["lease_until"],
                )
                .values(lease_until=None)
            )

    async def end_disabled(self, conn: AsyncConnection) -> int:
        """End the pending deliveries of disabled endpoints (``failed``, "endpoint
        disabled"), up to ``END_DISABLED_BATCH`` in one statement; returns how many.

        A disabled endpoint is sent nothing more. Its backlog used to be ended one delivery
        at a time, each claimed, "sent" and recorded like a real send: an endpoint disabled
        with 100k deliveries pending (one that had hung, then was switched off) took the
        claims' room for minutes, and the other endpoints' rate fell to a third (B7). The
        claim now leaves disabled endpoints out (PostgreSQL), and their backlog ends here.
        Deliveries being sent (leased) are left to their send."""
        now = utcnow()
        ending = (
            select(d.tenant_id, d.id)
            .join(webhook_endpoints, and_(w.tenant_id == d.tenant_id, w.id == d.endpoint_id))
            .where(
                w.enabled.is_(False),
                d.status == "pending",
                or_(d.lease_until.is_(None), d.lease_until < now),
            )
            .limit(END_DISABLED_BATCH)
        )
        if conn.dialect.name == "postgresql":
            ending = ending.with_for_update(of=webhook_deliveries, skip_locked=True)
        result = await conn.execute(
            update(webhook_deliveries)
            .where(tuple_(d.tenant_id, d.id).in_(ending))
            .values(status="failed", finished_at=now, lease_until=None, last_error=DISABLED_ERROR)
        )
        return int(result.rowcount or 0)

    async def claim(self, conn: AsyncConnection, capacity: int) -> list[dict[str, Any]]:
        """Lease up to ``capacity`` due deliveries, with what sending them needs; per
        endpoint up to twice its cap, counting what this relay holds already.

        A delivery is taken only when no earlier delivery about the same contact is still
        pending for that endpoint. Endpoints this relay holds at their limit are left out
        of the walk in SQL: otherwise the due deliveries of one hanging endpoint pile up at
        the head of the walk and fill it, and the other endpoints' deliveries behind them
        are never reached."""
        limit = 2 * self.settings.webhook_endpoint_concurrency
        timeout, lease = self.settings.webhook_timeout, self.settings.webhook_lease
        # A send starts only with at least the timeout and a margin of the lease left:
        # the latest moment it may start, on the monotonic clock (read once per claim).
        send_by = time.monotonic() + lease - timeout - min(LEASE_MARGIN, (lease - timeout) / 2)
        now = utcnow()
        until = now + timedelta(seconds=lease)
        if conn.dialect.name == "postgresql":
            rows = await self._claim_postgresql(conn, capacity, limit, now, until)
        else:
            rows = await self._claim_portable(conn, capacity, limit, now, until)
        for row in rows:
            row["lease_until"] = until
            row["send_by"] = send_by
        return rows

    async def _claim_postgresql(
        self, conn: AsyncConnection, capacity: int, limit: int, now: Any, until: Any
    ) -> list[dict[str, Any]]:
        """The claim in one statement: walk the due deliveries (locking them, skipping
        rows another relay is claiming), keep each endpoint within its room, lease them,
        and return them with their event and endpoint."""
        busy = [(endpoint, limit - n) for endpoint, n in self.per_endpoint.items() if n > 0]
        result = await conn.execute(
            _CLAIM,
            {
                "now": now,
                "until": until,
                "capacity": capacity,
                "limit": limit,
                "full": [endpoint for endpoint, room in busy if room <= 0],
                "busy": [endpoint for endpoint, room in busy if room > 0],
                "room": [room for _, room in busy if room > 0],
            },
        )
        keys = list(result.keys())
        rows = sorted(result.all(), key=itemgetter(0))  # by place: due, then feed position
        return [dict(zip(keys, row, strict=True)) for row in rows]

    async def _claim_portable(
        self, conn: AsyncConnection, capacity: int, limit: int, now: Any, until: Any
    ) -> list[dict[str, Any]]:
        """Candidates are read without their payloads (a few more than ``capacity``,
        since an endpoint at its limit is skipped); payloads and endpoint details are read
        for the leased ones only."""
        earlier = aliased(webhook_deliveries)
        blocked = exists().where(
            earlier.c.tenant_id == d.tenant_id,
            earlier.c.endpoint_id == d.endpoint_id,
            earlier.c.subject_id == d.subject_id,
            earlier.c.status == "pending",
            earlier.c.event_seq < d.event_seq,
        )
        # Ordered as the due index is (status, next_attempt_at), so the database walks it
        # and stops at the limit instead of sorting every due delivery.
        load = Counter(self.per_endpoint)
        saturated = [endpoint for endpoint, count in load.items() if count >= limit]
        due = (
            select(d.tenant_id, d.id, d.endpoint_id)
            .where(
                d.status == "pending",
                d.next_attempt_at <= now,
                or_(d.lease_until.is_(None), d.lease_until < now),
                ~blocked,
                *([d.endpoint_id.not_in(saturated)] if saturated else []),
            )
            .order_by(d.next_attempt_at)
            .limit(capacity * 4)
        )
        chosen: list[tuple[UUID, UUID]] = []
        for tenant_id, delivery_id, endpoint_id in (await conn.execute(due)).all():
            if len(chosen) >= capacity:
                break
            if load[endpoint_id] >= limit:
                continue
            load[endpoint_id] += 1
            chosen.append((tenant_id, delivery_id))
        if not chosen:
            return []
        # A lease that another relay took meanwhile is not taken twice: only rows whose
        # lease is still free are updated, and only those come back.
        taken = await conn.execute(
            update(webhook_deliveries)
            .where(
                # With the tenant, so that the primary key (tenant_id, id) finds the rows.
                tuple_(d.tenant_id, d.id).in_(chosen),
                d.status == "pending",
                or_(d.lease_until.is_(None), d.lease_until < now),
            )
            .values(lease_until=until)
            .returning(d.tenant_id, d.id)
        )
        keys = [tuple(row) for row in taken.all()]
        if not keys:
            return []
        details = (
            select(*_DETAILS)
            .join(webhook_endpoints, and_(w.tenant_id == d.tenant_id, w.id == d.endpoint_id))
            .join(events, and_(events.c.tenant_id == d.tenant_id, events.c.id == d.event_id))
            .where(tuple_(d.tenant_id, d.id).in_(keys))
        )
        rows = [dict(found._mapping) for found in (await conn.execute(details)).all()]
        order = {delivery_id: n for n, (_, delivery_id) in enumerate(chosen)}
        rows.sort(key=lambda row: order[row["id"]])
        return rows

    async def deliver(self, row: dict[str, Any]) -> None:
        """Send one claimed delivery; its outcome is recorded by the next pass."""
        if not row["enabled"]:
            self.done.append((row, sender.Outcome(None, 0, DISABLED_ERROR, final=True)))
            return
        assert self.session is not None
        endpoint = row["endpoint_id"]
        slots = self.endpoint_slots.get(endpoint)
        if slots is None:
            slots = Slots(self.settings.webhook_endpoint_concurrency)
            self.endpoint_slots[endpoint] = slots
        await slots.acquire()
        try:
            # A delivery that waited long for its endpoint (one that hangs) may have too
            # little lease left for a whole send: it is given back, not sent, so that no
            # other relay can take it over while it is still being sent here.
            if time.monotonic() > row["send_by"]:
                self.released.append(row)
                return
            body = payload(row["event_id"], row["type"], row["event_at"], row["data"])
            await self.sending.acquire()
            token = next(self._send_numbers)
            self._sends[token] = (time.monotonic(), endpoint)
            if self._slow_check is None:
                self._watch_slow_sends()
            try:
                outcome = await sender.send(
                    self.session,
                    row["url"],
                    active_secrets(row),
                    render_id(row["event_id"]),
                    body,
                    allow_private=self.settings.webhooks_allow_private,
                )
            finally:
                if self._sends.pop(token, None) is not None:
                    self.sending.release()
                else:  # counted slow meanwhile: its slot went back then
                    del self._slow_sends[token]
                    self.slow[endpoint] -= 1
                    if self.slow[endpoint] <= 0:
                        del self.slow[endpoint]
        finally:
            slots.release()
        self.done.append((row, outcome))

    def _watch_slow_sends(self) -> None:
        """Give back the sending slot of each send that has taken ``SLOW_SEND``: a hanging
        endpoint then holds only its own cap of sends, not the slots the other endpoints'
        sends need. One timer for all sends, due when the oldest one turns slow (sends start
        in order, so the oldest is the first in ``_sends``), rather than a timer per send."""
        self._slow_check = None
        now = time.monotonic()
        turned = []
        for token, (started, endpoint) in self._sends.items():
            if now - started < SLOW_SEND:
                self._slow_check = asyncio.get_running_loop().call_later(
                    started + SLOW_SEND - now, self._watch_slow_sends
                )
                break
            turned.append((token, endpoint))
        for token, endpoint in turned:
            del self._sends[token]
            self._slow_sends[token] = endpoint
            self.slow[endpoint] += 1
            self.sending.release()

    async def record_all(
        self, conn: AsyncConnection, done: list[tuple[dict[str, Any], sender.Outcome]]
    ) -> None:
        """Record finished sends: the common case (delivered, endpoint not failing) in one
        statement for the batch; the others one by one, in the order they finished."""
        plain = [
            (row, outcome)
            for row, outcome in done
            if outcome.delivered and row["failing_since"] is None
        ]
        if plain and conn.dialect.name == "postgresql":
            # One statement whatever the batch: the outcomes travel as arrays.
            await conn.execute(
                _DELIVERED_PG,
                {
                    "finished": utcnow(),
                    "owners": [row["tenant_id"] for row, _ in plain],
                    "ids": [row["id"] for row, _ in plain],
                    "tries": [row["attempts"] + 1 for row, _ in plain],
                    "codes": [outcome.status_code for _, outcome in plain],
                    "latencies": [outcome.latency_ms for _, outcome in plain],
                },
            )
        elif plain:
            now = utcnow()
            await conn.execute(
                _DELIVERED,
                [
                    {
                        "owner": row["tenant_id"],
                        "delivery": row["id"],
                        "tries": row["attempts"] + 1,
                        "code": outcome.status_code,
                        "latency": outcome.latency_ms,
                        "finished": now,
                    }
                    for row, outcome in plain
                ],
            )
        for row, outcome in done:
            if not (outcome.delivered and row["failing_since"] is None):
                await self.record(conn, row, outcome)

    async def record(
        self, conn: AsyncConnection, row: dict[str, Any], outcome: sender.Outcome
    ) -> None:
        key = and_(d.tenant_id == row["tenant_id"], d.id == row["id"])
        attempts = row["attempts"] + 1
        report = {
            "attempts": attempts,
            "lease_until": None,
            "last_status_code": outcome.status_code,
            "last_error": outcome.error,
            "last_latency_ms": outcome.latency_ms,
        }
        if outcome.delivered:
            await conn.execute(
                update(webhook_deliveries)
                .where(key)
                .values(status="delivered", finished_at=utcnow(), **report)
            )
            if row["failing_since"] is not None:
                await conn.execute(
                    update(webhook_endpoints)
                    .where(w.tenant_id == row["tenant_id"], w.id == row["endpoint_id"])
                    .values(failing_since=None)
                )
            return
        delays = self.settings.retry_delays
        if outcome.status_code == 410:
            report["last_error"] = "HTTP 410: endpoint gone"
        if outcome.retryable and attempts <= len(delays):
            delay = delays[attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311 - jitter
            if outcome.retry_after is not None:
                delay = max(delay, outcome.retry_after)
            await conn.execute(
                update(webhook_deliveries)
                .where(key)
                .values(next_attempt_at=utcnow() + timedelta(seconds=delay), **report)
            )
        else:
            await conn.execute(
                update(webhook_deliveries)
                .where(key)
                .values(status="failed", finished_at=utcnow(), **report)
            )
        if outcome.status_code == 410:
            await self._disable(conn, row, "the endpoint answered 410 Gone")
        elif not outcome.final:
            await self._note_failure(conn, row)

    async def _note_failure(self, conn: AsyncConnection, row: dict[str, Any]) -> None:
        """Start the failure clock, or disable an endpoint that has failed for too long."""
        now = utcnow()
        since = row["failing_since"]
        if since is None:
            await conn.execute(
                update(webhook_endpoints)
                .where(
                    w.tenant_id == row["tenant_id"],
                    w.id == row["endpoint_id"],
                    w.failing_since.is_(None),
                )
                .values(failing_since=now)
            )
        elif (now - since).total_seconds() >= self.settings.webhook_disable_after:
            await self._disable(
                conn, row, f"every delivery failed for {int(self.settings.webhook_disable_after)} s"
            )

    async def _disable(self, conn: AsyncConnection, row: dict[str, Any], reason: str) -> None:
        result = await conn.execute(
            update(webhook_endpoints)
            .where(w.tenant_id == row["tenant_id"], w.id == row["endpoint_id"], w.enabled)
            .values(enabled=False, disabled_reason=reason, updated_at=utcnow())
        )
        if result.rowcount:
            await emit(
                conn,
                row["tenant_id"],
                "webhook.disabled",
                {"webhook": {"id": str(row["endpoint_id"]), "url": row["url"]}, "reason": reason},
            )


# Reads ``ix_events_unsequenced`` (partial: only events still without their position).
_UNSEQUENCED = "SELECT EXISTS (SELECT 1 FROM events WHERE seq IS NULL)"

_DELIVERED = (
    update(webhook_deliveries)
    .where(d.tenant_id == bindparam("owner"), d.id == bindparam("delivery"))
    .values(
        status="delivered",
        finished_at=bindparam("finished"),
        attempts=bindparam("tries"),
        lease_until=None,
        last_status_code=bindparam("code"),
        last_error=None,
        last_latency_ms=bindparam("latency"),
    )
)

_UUIDS = ARRAY(webhook_deliveries.c.id.type)
_INTS = ARRAY(Integer)

_DELIVERED_PG = text(
    """
    UPDATE webhook_deliveries AS d
    SET status = 'delivered', finished_at = :finished, attempts = o.tries,
        lease_until = NULL, last_status_code = o.code, last_error = NULL,
        last_latency_ms = o.latency
    FROM unnest(:owners, :ids, :tries, :codes, :latencies) AS o(owner, id, tries, code, latency)
    WHERE d.tenant_id = o.owner AND d.id = o.id
    """
).bindparams(
    bindparam("finished", type_=UTCDateTime),
    bindparam("owners", type_=_UUIDS),
    bindparam("ids", type_=_UUIDS),
    bindparam("tries", type_=_INTS),
    bindparam("codes", type_=_INTS),
    bindparam("latencies", type_=_INTS),
)

_DETAILS = (
    d.tenant_id,
    d.id,
    d.endpoint_id,
    d.event_id,
    d.event_seq,
    d.attempts,
    d.next_attempt_at,
    w.url,
    w.enabled,
    w.secret,
    w.previous_secret,
    w.previous_secret_expires_at,
    w.failing_since,
    events.c.type,
    # As text, spliced into the payload (see ``payload``).
    sa_cast(events.c.data, Text).label("data"),
    events.c.created_at.label("event_at"),
)

# The claim on PostgreSQL in one round trip, walking each endpoint's pending deliveries on
# its own (``ix_webhook_deliveries_pending``), so that the backlog of an endpoint at its limit
# (one that hangs) is never stepped over. ``owners`` are the enabled endpoints with a due
# delivery (a disabled one's backlog is ended by ``end_disabled``), except those this relay
# holds at their limit: a probe per endpoint, ordered as the index
# so that it is read there (as ``EXISTS`` PostgreSQL made it a join reading every pending
# delivery; unordered, a table scan that stepped over the endpoint's delivered rows). Each
# may take its room (``room`` for those this relay already sends to, else ``limit``), at
# most its share of twice the capacity; ``due`` walks each one's due deliveries in order,
# leaving out those whose contact has an earlier delivery pending for the endpoint, and
# locks what it takes, skipping rows that another relay is claiming at the same moment;
# ``chosen`` keeps the oldest ``capacity``; the UPDATE leases them, re-checking that the
# lease is free, and returns them with their event and endpoint.
_CLAIM = (
    text(
        """
    WITH owners AS MATERIALIZED (
        SELECT w.tenant_id, w.id AS endpoint_id, COALESCE(held.room, :limit) AS room
        FROM webhook_endpoints AS w
        LEFT JOIN unnest(:busy, :room) AS held(endpoint_id, room) ON held.endpoint_id = w.id
        CROSS JOIN LATERAL (
            SELECT 1 FROM webhook_deliveries AS p
            WHERE p.tenant_id = w.tenant_id AND p.endpoint_id = w.id
              AND p.status = 'pending' AND p.next_attempt_at <= :now
            ORDER BY p.next_attempt_at
            LIMIT 1
        ) AS has_due
        WHERE w.enabled AND w.id <> ALL(:full)
    ),
    share AS MATERIALIZED (
        SELECT (2 * :capacity + count(*) - 1) / GREATEST(count(*), 1) AS n FROM owners
    ),
    due AS MATERIALIZED (
        SELECT walk.*
        FROM owners CROSS JOIN share
        CROSS JOIN LATERAL (
            SELECT d.tenant_id, d.id, d.next_attempt_at, d.event_seq
            FROM webhook_deliveries AS d
            WHERE d.tenant_id = owners.tenant_id AND d.endpoint_id = owners.endpoint_id
              AND d.status = 'pending' AND d.next_attempt_at <= :now
              AND (d.lease_until IS NULL OR d.lease_until < :now)
              AND NOT EXISTS (
                  SELECT 1 FROM webhook_deliveries AS earlier
                  WHERE earlier.tenant_id = d.tenant_id AND earlier.endpoint_id = d.endpoint_id
                    AND earlier.subject_id = d.subject_id AND earlier.status = 'pending'
                    AND earlier.event_seq < d.event_seq)
            ORDER BY d.next_attempt_at
            LIMIT LEAST(owners.room, share.n, :capacity)
            FOR UPDATE OF d SKIP LOCKED
        ) AS walk
    ),
    chosen AS (
        SELECT due.tenant_id, due.id,
            row_number() OVER (ORDER BY due.next_attempt_at, due.event_seq) AS place
        FROM due
        ORDER BY due.next_attempt_at, due.event_seq
        LIMIT :capacity
    )
    UPDATE webhook_deliveries AS d
    SET lease_until = :until
    FROM chosen, events AS e, webhook_endpoints AS w
    WHERE d.tenant_id = chosen.tenant_id AND d.id = chosen.id
      AND d.status = 'pending' AND (d.lease_until IS NULL OR d.lease_until < :now)
      AND e.tenant_id = d.tenant_id AND e.id = d.event_id
      AND w.tenant_id = d.tenant_id AND w.id = d.endpoint_id
    RETURNING chosen.place, d.tenant_id, d.id, d.endpoint_id, d.event_id, d.attempts,
        w.url, w.enabled, w.secret, w.previous_secret, w.previous_secret_expires_at,
        w.failing_since, e.type, e.data::text AS data, e.created_at AS event_at
    """
    )
    .bindparams(
        bindparam("now", type_=UTCDateTime),
        bindparam("until", type_=UTCDateTime),
        bindparam("capacity", type_=Integer),
        bindparam("limit", type_=Integer),
        bindparam("full", type_=_UUIDS),
        bindparam("busy", type_=_UUIDS),
        bindparam("room", type_=_INTS),
    )
    .columns(
        column("place", Integer),
        *(column(c.key, c.type) for c in _DETAILS if c.key not in ("event_seq", "next_attempt_at")),
    )
)
