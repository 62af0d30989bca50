"""Recording the outcomes of finished sends: delivered, retried later, or failed."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.config import Settings
from roster.kit.timeutil import utcnow
from roster.webhooks import sender
from roster.webhooks.relay import health
from roster.webhooks.relay.repository import outcomes as queries

Finished = list[tuple[dict[str, Any], sender.Outcome]]


async def record_all(conn: AsyncConnection, settings: Settings, done: Finished) -> None:
    """Record finished sends: the common case (delivered, endpoint not failing) in one
    statement for the batch; the others one by one, in the order they finished."""
    plain = [
        (row, outcome)
        for row, outcome in done
        if outcome.delivered and row["failing_since"] is None
    ]
    if plain:
        sent = [(row, outcome.status_code, outcome.latency_ms) for row, outcome in plain]
        await queries.delivered(conn, sent, utcnow())
    for row, outcome in done:
        if not (outcome.delivered and row["failing_since"] is None):
            await record(conn, settings, row, outcome)


async def record(
    conn: AsyncConnection, settings: Settings, row: dict[str, Any], outcome: sender.Outcome
) -> None:
    """Record one send: delivered (and the endpoint healthy again), due again after its
    retry delay, or failed for good; a failure counts against the endpoint's health."""
    attempts = row["attempts"] + 1
    report = {
        "attempts": attempts,
        "lease_until": None,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "last_latency_ms": outcome.latency_ms,
    }
    if outcome.delivered:
        await queries.set_delivery(
            conn, row, {"status": "delivered", "finished_at": utcnow(), **report}
        )
        if row["failing_since"] is not None:
            await queries.endpoint_recovered(conn, row)
        return
    delays = settings.retry_delays
    if outcome.status_code == 410:
        report["last_error"] = "HTTP 410: endpoint gone"
    if outcome.retryable and attempts <= len(delays):
        delay = delays[attempts - 1] * random.uniform(0.8, 1.2)  # noqa: S311 - jitter
        if outcome.retry_after is not None:
            delay = max(delay, outcome.retry_after)
        due = utcnow() + timedelta(seconds=delay)
        await queries.set_delivery(conn, row, {"next_attempt_at": due, **report})
    else:
        await queries.set_delivery(
            conn, row, {"status": "failed", "finished_at": utcnow(), **report}
        )
    if outcome.status_code == 410:
        await health.disable(conn, row, "the endpoint answered 410 Gone")
    elif not outcome.final:
        await health.note_failure(conn, settings, row)
