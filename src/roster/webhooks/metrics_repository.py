"""The webhook backlog as the metrics scrape reads it (registered in ``roster.wiring``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.models import webhook_deliveries


async def pending_deliveries(conn: AsyncConnection) -> list[tuple[tuple[str, ...], float]]:
    """Deliveries not yet delivered, given up or disabled, across every tenant."""
    query = select(func.count()).where(webhook_deliveries.c.status == "pending")
    return [((), float((await conn.execute(query)).scalar_one()))]
