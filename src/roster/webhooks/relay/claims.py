"""Claiming due deliveries with a lease, and giving back the leases of unsent ones.

A claim takes a delivery only when no earlier delivery about the same contact is still
pending for that endpoint, so per endpoint the events about one contact arrive in order.
A relay killed mid-send leaves a lease that runs out, and the delivery is claimed again.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.config import Settings
from roster.kit.timeutil import utcnow
from roster.webhooks.relay.repository import claims as queries

# A claimed delivery is sent only with at least the send timeout plus this much lease left
# (or half of what the lease has beyond the timeout, when that is less).
LEASE_MARGIN = 5.0


async def claim(
    conn: AsyncConnection, settings: Settings, held: Counter[UUID], capacity: int
) -> list[dict[str, Any]]:
    """Lease up to ``capacity`` due deliveries, with what sending them needs; per endpoint
    up to twice its cap, counting what this relay holds already (``held``).

    Endpoints this relay holds at their limit are left out of the walk in SQL: otherwise the
    due deliveries of one hanging endpoint pile up at the head of the walk and fill it, and
    the other endpoints' deliveries behind them are never reached."""
    limit = 2 * settings.webhook_endpoint_concurrency
    timeout, lease = settings.webhook_timeout, settings.webhook_lease
    # A send starts only with at least the timeout and a margin of the lease left:
    # the latest moment it may start, on the monotonic clock (read once per claim).
    send_by = time.monotonic() + lease - timeout - min(LEASE_MARGIN, (lease - timeout) / 2)
    now = utcnow()
    until = now + timedelta(seconds=lease)
    if conn.dialect.name == "postgresql":
        rows = await queries.claim_postgresql(conn, held, capacity, limit, now, until)
    else:
        rows = await queries.claim_portable(conn, held, capacity, limit, now, until)
    for row in rows:
        row["lease_until"] = until
        row["send_by"] = send_by
    return rows


async def release(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Free the leases of claimed deliveries that were not sent, so they are claimed again
    at once; a lease another relay has taken meanwhile is left alone."""
    await queries.release(conn, rows)
