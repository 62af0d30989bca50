"""Endpoint health: the failure clock, disabling an endpoint, and ending a disabled
endpoint's backlog."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.config import Settings
from roster.events.outbox import emit
from roster.kit.timeutil import utcnow
from roster.webhooks.relay.repository import outcomes as queries

# The pending deliveries of disabled endpoints are ended in sets of this many, at most
# every END_DISABLED_EVERY seconds (at once again while a set comes back full).
END_DISABLED_BATCH = 2000
END_DISABLED_EVERY = 1.0
DISABLED_ERROR = "endpoint disabled"


async def note_failure(conn: AsyncConnection, settings: Settings, row: dict[str, Any]) -> None:
    """Start the failure clock, or disable an endpoint that has failed for too long."""
    now = utcnow()
    since = row["failing_since"]
    if since is None:
        await queries.endpoint_failing(conn, row, now)
    elif (now - since).total_seconds() >= settings.webhook_disable_after:
        await disable(
            conn, row, f"every delivery failed for {int(settings.webhook_disable_after)} s"
        )


async def disable(conn: AsyncConnection, row: dict[str, Any], reason: str) -> None:
    """Disable the delivery's endpoint (once), with a ``webhook.disabled`` event."""
    if await queries.disable_endpoint(conn, row, reason, utcnow()):
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
    return await queries.end_disabled(conn, utcnow(), END_DISABLED_BATCH, DISABLED_ERROR)
