"""The relay: numbers committed events, fans them out, and delivers them, at least once.

One loop per relay process (or inside ``roster serve``). Each pass, in one write
transaction, it records the outcomes of finished sends, sequences pending events (which
creates their deliveries), and claims due deliveries with a lease; then it sends them
concurrently. A pass runs when events are committed in this process (``on_commit``), when
enough sends have finished, or every ``relay_interval`` seconds for other processes' events. A claim
takes a delivery only when no earlier delivery about the same contact is still pending for
that endpoint, so per endpoint the events about one contact arrive in order. Each endpoint
has at most ``webhook_endpoint_concurrency`` sends in flight, so a slow or dead endpoint
cannot take the slots of the others. A worker killed mid-send leaves a lease that runs out,
and the delivery is sent again: at least once, never lost.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter
from datetime import timedelta
from typing import Any
from uuid import UUID

import aiohttp
import orjson
from sqlalchemy import and_, bindparam, exists, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.orm import aliased

from roster.config import Settings
from roster.events.outbox import emit, render_id, sequence_pending, sweep
from roster.kit.db import on_commit, transaction
from roster.kit.timeutil import rfc3339, utcnow
from roster.models import events, webhook_deliveries, webhook_endpoints
from roster.webhooks import sender

log = logging.getLogger("roster.webhooks")
SWEEP_EVERY = 600.0  # seconds between retention sweeps
# PostgreSQL: refresh the planner's statistics of the deliveries table once this relay has
# sequenced this many events (each creates its deliveries), at most once a minute. With
# statistics from when the table was small the planner checked per-contact order through
# the wrong index (17 s a claim instead of under 1 ms), before autovacuum came round to it.
ANALYZE_AFTER_ROWS = 1000
ANALYZE_EVERY = 60.0
d = webhook_deliveries.c
w = webhook_endpoints.c


def payload(event: dict[str, Any]) -> bytes:
    return orjson.dumps(
        {
            "id": render_id(event["id"]),
            "type": event["type"],
            "created_at": rfc3339(event["created_at"]),
            "data": event["data"],
        }
    )


def active_secrets(endpoint: dict[str, Any]) -> list[str]:
    found = [endpoint["secret"]]
    expires = endpoint["previous_secret_expires_at"]
    if endpoint["previous_secret"] and expires is not None and expires > utcnow():
        found.append(endpoint["previous_secret"])
    return found


class Relay:
    def __init__(self, engine: AsyncEngine, settings: Settings):
        self.engine = engine
        self.settings = settings
        self.inflight: set[asyncio.Task[None]] = set()
        self.per_endpoint: Counter[UUID] = Counter()
        # Finished sends whose outcome the next pass records (in its one transaction).
        self.done: list[tuple[dict[str, Any], sender.Outcome]] = []
        self.session: aiohttp.ClientSession | None = None
        # Set when there is work: an event committed in this process, or enough sends
        # finished (``_batch`` of them) that recording them is worth a pass.
        self.wake = asyncio.Event()
        self._batch = 1
        # Up to twice ``webhook_concurrency`` deliveries are claimed, and at most
        # ``webhook_concurrency`` are being sent: the claimed rest waits here, so sending goes
        # on while the next pass runs instead of stopping for it.
        self.sending = asyncio.Semaphore(settings.webhook_concurrency)
        self._created_since_analyze = 0
        self._next_analyze = 0.0
        self._unhook: Any = None

    async def __aenter__(self) -> Relay:
        s = self.settings
        self.session = sender.make_session(
            allow_private=s.webhooks_allow_private,
            concurrency=s.webhook_concurrency,
            connect_timeout=s.webhook_connect_timeout,
            timeout=s.webhook_timeout,
        )
        # Events committed by this process (the API when the relay runs inside `roster
        # serve`) wake the relay at once; other processes' events are found by polling.
        self._unhook = on_commit(self.engine, self.wake.set)
        return self

    async def __aexit__(self, *_: object) -> None:
        if self._unhook is not None:
            self._unhook()
        if self.inflight:
            await asyncio.gather(*self.inflight, return_exceptions=True)
        if self.session is not None:
            await self.session.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; database outages are waited out, not fatal."""
        next_sweep = 0.0
        stopping = asyncio.ensure_future(stop.wait())
        concurrency = self.settings.webhook_concurrency
        try:
            while not stop.is_set():
                self.wake.clear()
                try:
                    if time.monotonic() >= next_sweep:
                        async with transaction(self.engine, write=True) as conn:
                            await sweep(conn, self.settings.events_retention_days)
                        next_sweep = time.monotonic() + SWEEP_EVERY
                    busy = await self.tick()
                except Exception:  # keep relaying through outages; the cause is logged
                    log.exception("relay pass failed")
                    busy = 0
                if busy and len(self.inflight) < concurrency:
                    continue  # room for more: claim again at once
                # Wait for new events, or for finished sends to record: any one when the
                # pass found nothing, else half as many as may be sent at once, so that a
                # busy relay records and claims in batches rather than a pass per send.
                self._batch = max(1, min(len(self.inflight), concurrency) // 2) if busy else 1
                if len(self.done) >= self._batch:
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

    async def tick(self) -> int:
        """One pass in one write transaction: record finished sends, sequence new events,
        claim due deliveries; then start the sends. Returns how much work it found."""
        done, self.done = self.done, []
        capacity = 2 * self.settings.webhook_concurrency - len(self.inflight)
        async with transaction(self.engine, write=True) as conn:
            await self.record_all(conn, done)
            sequenced = await sequence_pending(conn)
            claimed = await self.claim(conn, capacity) if capacity > 0 else []
        await self._refresh_statistics(sequenced)
        for row in claimed:
            self.per_endpoint[row["endpoint_id"]] += 1
            task = asyncio.create_task(self.deliver(row))
            self.inflight.add(task)
            task.add_done_callback(self._finished(row["endpoint_id"]))
        return len(done) + sequenced + len(claimed)

    async def _refresh_statistics(self, sequenced: int) -> None:
        if self.engine.dialect.name != "postgresql":
            return
        self._created_since_analyze += sequenced
        now = time.monotonic()
        if self._created_since_analyze < ANALYZE_AFTER_ROWS or now < self._next_analyze:
            return
        self._created_since_analyze = 0
        self._next_analyze = now + ANALYZE_EVERY
        async with transaction(self.engine, write=False) as conn:
            await conn.execute(text("ANALYZE webhook_deliveries"))

    def _finished(self, endpoint_id: UUID) -> Any:
        def done(task: asyncio.Task[None]) -> None:
            self.inflight.discard(task)
            self.per_endpoint[endpoint_id] -= 1
            if not task.cancelled() and task.exception() is not None:
                log.error("delivery task failed", exc_info=task.exception())
            if len(self.done) >= self._batch or not self.inflight:
                self.wake.set()

        return done

    async def drain(self) -> None:
        """Wait for the sends in flight and record their outcomes (tests and shutdown)."""
        while self.inflight:
            await asyncio.gather(*list(self.inflight), return_exceptions=True)
        if self.done:
            done, self.done = self.done, []
            async with transaction(self.engine, write=True) as conn:
                await self.record_all(conn, done)

    async def claim(self, conn: AsyncConnection, capacity: int) -> list[dict[str, Any]]:
        """Lease up to ``capacity`` due deliveries, with what sending them needs.

        Candidates are read without their payloads (a few more than ``capacity``, since an
        endpoint at its concurrency cap is skipped); payloads and endpoint details are read
        for the leased ones only."""
        now = utcnow()
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
        cap = self.settings.webhook_endpoint_concurrency
        load = Counter(self.per_endpoint)
        # Endpoints this relay already sends to at their cap are left out in SQL: otherwise
        # the due deliveries of one hanging endpoint pile up at the head of the walk and fill
        # the window, and the other endpoints' deliveries behind them are never reached.
        saturated = [endpoint for endpoint, count in load.items() if count >= cap]
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
            if load[endpoint_id] >= cap:
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
            .values(lease_until=now + timedelta(seconds=self.settings.webhook_lease))
            .returning(d.tenant_id, d.id)
        )
        keys = [tuple(row) for row in taken.all()]
        if not keys:
            return []
        details = (
            select(
                d.tenant_id,
                d.id,
                d.endpoint_id,
                d.event_id,
                d.attempts,
                w.url,
                w.enabled,
                w.secret,
                w.previous_secret,
                w.previous_secret_expires_at,
                w.failing_since,
                events.c.type,
                events.c.data,
                events.c.created_at.label("event_at"),
            )
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
            self.done.append((row, sender.Outcome(None, 0, "endpoint disabled", final=True)))
            return
        assert self.session is not None
        body = payload(
            {
                "id": row["event_id"],
                "type": row["type"],
                "created_at": row["event_at"],
                "data": row["data"],
            }
        )
        async with self.sending:
            outcome = await sender.send(
                self.session,
                row["url"],
                active_secrets(row),
                render_id(row["event_id"]),
                body,
                allow_private=self.settings.webhooks_allow_private,
            )
        self.done.append((row, outcome))

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
        if plain:
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
