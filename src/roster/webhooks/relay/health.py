"""Endpoint health: the failure clock, disabling an endpoint, and ending a disabled
endpoint's backlog."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.config import Settings
from roster.events.outbox import emit
from roster.kit.timeutil import utcnow
from roster.models import webhook_deliveries, webhook_endpoints

# The pending deliveries of disabled endpoints are ended in sets of this many, at most
# every END_DISABLED_EVERY seconds (at once again while a set comes back full).
END_DISABLED_BATCH = 2000
END_DISABLED_EVERY = 1.0
DISABLED_ERROR = "endpoint disabled"
d = webhook_deliveries.c
w = webhook_endpoints.c


async def note_failure(conn: AsyncConnection, settings: Settings, row: dict[str, Any]) -> None:
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
    elif (now - since).total_seconds() >= settings.webhook_disable_after:
        await disable(
            conn, row, f"every delivery failed for {int(settings.webhook_disable_after)} s"
        )


async def disable(conn: AsyncConnection, row: dict[str, Any], reason: str) -> None:
    """Disable the delivery's endpoint (once), with a ``webhook.disabled`` event."""
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


async def end_disabled(conn: AsyncConnection) -> int:
    """End the pending deliveries of disabled endpoints (``failed``, "endpoint disabled"),
    up to ``END_DISABLED_BATCH`` in one statement; returns how many.

    A disabled endpoint is sent nothing more, and the claim leaves it out (PostgreSQL):
    ending its backlog here, set by set, keeps a large one from taking the claims' room
    from the other endpoints. Deliveries being sent (leased) are left to their send."""
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
