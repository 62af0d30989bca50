"""Recording the outcomes of finished sends: delivered, retried later, or failed."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, bindparam, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.config import Settings
from roster.kit.timeutil import utcnow
from roster.kit.types import UTCDateTime
from roster.models import webhook_deliveries, webhook_endpoints
from roster.webhooks import sender
from roster.webhooks.relay import health
from roster.webhooks.relay.claims import INTS, UUIDS

d = webhook_deliveries.c
w = webhook_endpoints.c
Finished = list[tuple[dict[str, Any], sender.Outcome]]

DELIVERED = (
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

# PostgreSQL: a batch of deliveries delivered in one statement, the outcomes as arrays.
DELIVERED_PG = text(
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
    bindparam("owners", type_=UUIDS),
    bindparam("ids", type_=UUIDS),
    bindparam("tries", type_=INTS),
    bindparam("codes", type_=INTS),
    bindparam("latencies", type_=INTS),
)


async def record_all(conn: AsyncConnection, settings: Settings, done: Finished) -> None:
    """Record finished sends: the common case (delivered, endpoint not failing) in one
    statement for the batch; the others one by one, in the order they finished."""
    plain = [
        (row, outcome)
        for row, outcome in done
        if outcome.delivered and row["failing_since"] is None
    ]
    if plain and conn.dialect.name == "postgresql":
        await conn.execute(
            DELIVERED_PG,
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
            DELIVERED,
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
            await record(conn, settings, row, outcome)


async def record(
    conn: AsyncConnection, settings: Settings, row: dict[str, Any], outcome: sender.Outcome
) -> None:
    """Record one send: delivered (and the endpoint healthy again), due again after its
    retry delay, or failed for good; a failure counts against the endpoint's health."""
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
    delays = settings.retry_delays
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
        await health.disable(conn, row, "the endpoint answered 410 Gone")
    elif not outcome.final:
        await health.note_failure(conn, settings, row)
