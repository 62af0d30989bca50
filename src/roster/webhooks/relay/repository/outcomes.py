"""The queries that record finished sends, and an endpoint's health (its failure clock,
disabling it, ending a disabled endpoint's backlog)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.repository import scoped
from roster.kit.types import UTCDateTime
from roster.models import webhook_deliveries, webhook_endpoints
from roster.webhooks.relay.repository import sql
from roster.webhooks.relay.repository.claims import INTS, UUIDS

d = webhook_deliveries.c
w = webhook_endpoints.c
Row = dict[str, Any]

_DELIVERED = (
    update(webhook_deliveries)
    .where(scoped(webhook_deliveries, bindparam("owner")), d.id == bindparam("delivery"))
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
_DELIVERED_PG = text(sql("delivered.sql")).bindparams(
    bindparam("finished", type_=UTCDateTime),
    bindparam("owners", type_=UUIDS),
    bindparam("ids", type_=UUIDS),
    bindparam("tries", type_=INTS),
    bindparam("codes", type_=INTS),
    bindparam("latencies", type_=INTS),
)


async def delivered(
    conn: AsyncConnection, sent: list[tuple[Row, int | None, int]], now: datetime
) -> None:
    """Deliveries delivered at ``now``, each ``(delivery, status code, latency)``, in one
    statement (on PostgreSQL the outcomes travel as arrays; elsewhere executemany)."""
    if conn.dialect.name == "postgresql":
        params = {
            "finished": now,
            "owners": [row["tenant_id"] for row, _, _ in sent],
            "ids": [row["id"] for row, _, _ in sent],
            "tries": [row["attempts"] + 1 for row, _, _ in sent],
            "codes": [code for _, code, _ in sent],
            "latencies": [latency for _, _, latency in sent],
        }
        await conn.execute(_DELIVERED_PG, params)
        return
    await conn.execute(
        _DELIVERED,
        [
            {
                "owner": row["tenant_id"],
                "delivery": row["id"],
                "tries": row["attempts"] + 1,
                "code": code,
                "latency": latency,
                "finished": now,
            }
            for row, code, latency in sent
        ],
    )


async def set_delivery(conn: AsyncConnection, row: Row, values: Row) -> None:
    """Write ``values`` to the delivery ``row``."""
    await conn.execute(
        update(webhook_deliveries)
        .where(scoped(webhook_deliveries, row["tenant_id"]), d.id == row["id"])
        .values(**values)
    )


def _endpoint_of(row: Row) -> Any:
    """The condition for the endpoint of the delivery ``row``."""
    return and_(scoped(webhook_endpoints, row["tenant_id"]), w.id == row["endpoint_id"])


async def endpoint_failing(conn: AsyncConnection, row: Row, since: datetime) -> None:
    """Start the failure clock of the delivery's endpoint at ``since``, unless it runs."""
    await conn.execute(
        update(webhook_endpoints)
        .where(_endpoint_of(row), w.failing_since.is_(None))
        .values(failing_since=since)
    )


async def endpoint_recovered(conn: AsyncConnection, row: Row) -> None:
    """Stop the failure clock of the delivery's endpoint."""
    await conn.execute(
        update(webhook_endpoints).where(_endpoint_of(row)).values(failing_since=None)
    )


async def disable_endpoint(conn: AsyncConnection, row: Row, reason: str, now: datetime) -> bool:
    """Disable the delivery's endpoint; False when it was disabled already."""
    result = await conn.execute(
        update(webhook_endpoints)
        .where(_endpoint_of(row), w.enabled)
        .values(enabled=False, disabled_reason=reason, updated_at=now)
    )
    return bool(result.rowcount)


async def end_disabled(conn: AsyncConnection, now: datetime, batch: int, error: str) -> int:
    """End up to ``batch`` pending deliveries of disabled endpoints (``failed``, with
    ``error``), but those being sent (leased); returns how many. Across tenants, a sweep:
    the disabled endpoints with pending deliveries are found without locks, then each
    tenant's are ended in one statement, which on PostgreSQL skips rows another relay is
    claiming."""
    backlog = (
        select(d.id)
        .where(scoped(webhook_deliveries, w.tenant_id), d.endpoint_id == w.id)
        .where(d.status == "pending")
        .exists()
    )
    disabled = select(w.tenant_id).where(w.enabled.is_(False), backlog).distinct()
    ended = 0
    for tenant in (await conn.execute(disabled)).scalars().all():
        if ended >= batch:
            break
        ending = (
            select(d.tenant_id, d.id)
            .join(
                webhook_endpoints,
                and_(scoped(webhook_endpoints, d.tenant_id), w.id == d.endpoint_id),
            )
            .where(
                scoped(webhook_deliveries, tenant),
                w.enabled.is_(False),
                d.status == "pending",
                or_(d.lease_until.is_(None), d.lease_until < now),
            )
            .limit(batch - ended)
        )
        if conn.dialect.name == "postgresql":
            ending = ending.with_for_update(of=webhook_deliveries, skip_locked=True)
        result = await conn.execute(
            update(webhook_deliveries)
            .where(scoped(webhook_deliveries, tenant), tuple_(d.tenant_id, d.id).in_(ending))
            .values(status="failed", finished_at=now, lease_until=None, last_error=error)
        )
        ended += int(result.rowcount or 0)
    return ended
