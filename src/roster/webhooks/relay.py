"""The relay: numbers committed events, fans them out, and delivers them, at least once.

One loop per worker process. Each pass it sequences pending events (which creates their
deliveries), then claims due deliveries with a lease and sends them concurrently. A claim
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
from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.orm import aliased

from roster.config import Settings
from roster.events.outbox import emit, render_id, sequence_pending, sweep
from roster.kit.db import transaction
from roster.kit.timeutil import rfc3339, utcnow
from roster.models import events, webhook_deliveries, webhook_endpoints
from roster.webhooks import sender

log = logging.getLogger("roster.webhooks")
SWEEP_EVERY = 600.0  # seconds between retention sweeps
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
        self.session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Relay:
        s = self.settings
        self.session = sender.make_session(
            allow_private=s.webhooks_allow_private,
            concurrency=s.webhook_concurrency,
            connect_timeout=s.webhook_connect_timeout,
            timeout=s.webhook_timeout,
        )
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.inflight:
            await asyncio.gather(*self.inflight, return_exceptions=True)
        if self.session is not None:
            await self.session.close()

    async def run(self, stop: asyncio.Event) -> None:
        """Relay until ``stop`` is set; database outages are waited out, not fatal."""
        next_sweep = 0.0
        while not stop.is_set():
            try:
                if time.monotonic() >= next_sweep:
                    async with transaction(self.engine, write=True) as conn:
                        await sweep(conn, self.settings.events_retention_days)
                    next_sweep = time.monotonic() + SWEEP_EVERY
                busy = await self.tick()
            except Exception:  # keep relaying through outages; the cause is logged
                log.exception("relay pass failed")
                busy = 0
            if not busy:
                waiters = [*self.inflight, asyncio.ensure_future(stop.wait())]
                await asyncio.wait(
                    waiters,
                    timeout=self.settings.relay_interval,
                    return_when=asyncio.FIRST_COMPLETED,
                )
                waiters[-1].cancel()

    async def tick(self) -> int:
        """One pass: sequence, claim, start sends. Returns how much work it found."""
        async with transaction(self.engine, write=True) as conn:
            sequenced = await sequence_pending(conn)
        capacity = self.settings.webhook_concurrency - len(self.inflight)
        claimed = await self.claim(capacity) if capacity > 0 else []
        for delivery in claimed:
            self.per_endpoint[delivery["endpoint_id"]] += 1
            task = asyncio.create_task(self.deliver(delivery))
            self.inflight.add(task)
            task.add_done_callback(self._finished(delivery["endpoint_id"]))
        return sequenced + len(claimed)

    def _finished(self, endpoint_id: UUID) -> Any:
        def done(task: asyncio.Task[None]) -> None:
            self.inflight.discard(task)
            self.per_endpoint[endpoint_id] -= 1
            if not task.cancelled() and task.exception() is not None:
                log.error("delivery task failed", exc_info=task.exception())

        return done

    async def drain(self) -> None:
        """Wait for the sends in flight (tests and shutdown)."""
        while self.inflight:
            await asyncio.gather(*list(self.inflight), return_exceptions=True)

    async def claim(self, capacity: int) -> list[dict[str, Any]]:
        now = utcnow()
        earlier = aliased(webhook_deliveries)
        blocked = exists().where(
            earlier.c.tenant_id == d.tenant_id,
            earlier.c.endpoint_id == d.endpoint_id,
            earlier.c.subject_id == d.subject_id,
            earlier.c.status == "pending",
            earlier.c.event_seq < d.event_seq,
        )
        due = (
            select(d.tenant_id, d.id, d.endpoint_id)
            .where(
                d.status == "pending",
                d.next_attempt_at <= now,
                or_(d.lease_until.is_(None), d.lease_until < now),
                ~blocked,
            )
            .order_by(d.next_attempt_at, d.event_seq)
            .limit(capacity * 4)
        )
        cap = self.settings.webhook_endpoint_concurrency
        async with transaction(self.engine, write=True) as conn:
            candidates = (await conn.execute(due)).all()
            chosen: list[Any] = []
            load = Counter(self.per_endpoint)
            for row in candidates:
                if len(chosen) >= capacity or load[row.endpoint_id] >= cap:
                    continue
                load[row.endpoint_id] += 1
                chosen.append(row)
            claimed: list[dict[str, Any]] = []
            for row in chosen:
                took = await conn.execute(
                    update(webhook_deliveries)
                    .where(
                        d.tenant_id == row.tenant_id,
                        d.id == row.id,
                        d.status == "pending",
                        or_(d.lease_until.is_(None), d.lease_until < now),
                    )
                    .values(lease_until=now + timedelta(seconds=self.settings.webhook_lease))
                )
                if took.rowcount:
                    claimed.append(
                        {"tenant_id": row.tenant_id, "id": row.id, "endpoint_id": row.endpoint_id}
                    )
        return claimed

    async def deliver(self, claim: dict[str, Any]) -> None:
        tenant_id = claim["tenant_id"]
        async with transaction(self.engine, write=False) as conn:
            found = (
                await conn.execute(
                    select(
                        webhook_deliveries,
                        webhook_endpoints.c.url,
                        w.enabled,
                        w.secret,
                        w.previous_secret,
                        w.previous_secret_expires_at,
                        w.failing_since,
                        events.c.type,
                        events.c.data,
                        events.c.created_at.label("event_at"),
                    )
                    .join(
                        webhook_endpoints, and_(w.tenant_id == d.tenant_id, w.id == d.endpoint_id)
                    )
                    .join(
                        events, and_(events.c.tenant_id == d.tenant_id, events.c.id == d.event_id)
                    )
                    .where(d.tenant_id == tenant_id, d.id == claim["id"])
                )
            ).first()
        if found is None:
            return  # the endpoint or the event is gone: nothing to send
        row = dict(found._mapping)
        if not row["enabled"]:
            await self._finish(row, "failed", None, 0, "endpoint disabled")
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
        outcome = await sender.send(
            self.session,
            row["url"],
            active_secrets(row),
            render_id(row["event_id"]),
            body,
            allow_private=self.settings.webhooks_allow_private,
        )
        await self.record(row, outcome)

    async def record(self, row: dict[str, Any], outcome: sender.Outcome) -> None:
        if outcome.delivered:
            await self._finish(row, "delivered", outcome.status_code, outcome.latency_ms, None)
            return
        if outcome.status_code == 410:
            await self._finish(row, "failed", 410, outcome.latency_ms, "HTTP 410: endpoint gone")
            await self._disable(row, "the endpoint answered 410 Gone")
            return
        attempts = row["attempts"] + 1
        delays = self.settings.retry_delays
        if not outcome.retryable or attempts > len(delays):
            await self._finish(
                row,
                "failed",
                outcome.status_code,
                outcome.latency_ms,
                outcome.error,
                attempts=attempts,
            )
        else:
            delay = delays[attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311 - jitter
            if outcome.retry_after is not None:
                delay = max(delay, outcome.retry_after)
            async with transaction(self.engine, write=True) as conn:
                await conn.execute(
                    update(webhook_deliveries)
                    .where(d.tenant_id == row["tenant_id"], d.id == row["id"])
                    .values(
                        attempts=attempts,
                        next_attempt_at=utcnow() + timedelta(seconds=delay),
                        lease_until=None,
                        last_status_code=outcome.status_code,
                        last_error=outcome.error,
                        last_latency_ms=outcome.latency_ms,
                    )
                )
        await self._note_failure(row)

    async def _finish(
        self,
        row: dict[str, Any],
        status: str,
        code: int | None,
        latency: int,
        error: str | None,
        attempts: int | None = None,
    ) -> None:
        async with transaction(self.engine, write=True) as conn:
            await conn.execute(
                update(webhook_deliveries)
                .where(d.tenant_id == row["tenant_id"], d.id == row["id"])
                .values(
                    status=status,
                    attempts=attempts if attempts is not None else row["attempts"] + 1,
                    lease_until=None,
                    finished_at=utcnow(),
                    last_status_code=code,
                    last_error=error,
                    last_latency_ms=latency,
                )
            )
            if status == "delivered" and row["failing_since"] is not None:
                await conn.execute(
                    update(webhook_endpoints)
                    .where(w.tenant_id == row["tenant_id"], w.id == row["endpoint_id"])
                    .values(failing_since=None)
                )

    async def _note_failure(self, row: dict[str, Any]) -> None:
        """Start the failure clock, or disable an endpoint that has failed for too long."""
        now = utcnow()
        since = row["failing_since"]
        if since is None:
            async with transaction(self.engine, write=True) as conn:
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
                row, f"every delivery failed for {int(self.settings.webhook_disable_after)} s"
            )

    async def _disable(self, row: dict[str, Any], reason: str) -> None:
        async with transaction(self.engine, write=True) as conn:
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
                    {
                        "webhook": {"id": str(row["endpoint_id"]), "url": row["url"]},
                        "reason": reason,
                    },
                )
