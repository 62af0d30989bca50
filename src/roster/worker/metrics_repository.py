"""The job queue as the metrics scrape reads it (registered in ``roster.wiring``)."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.models import jobs


async def queue_depths(conn: AsyncConnection) -> list[tuple[tuple[str, ...], float]]:
    """Jobs waiting or running, by (kind, status), across every tenant (an indexed count)."""
    c = jobs.c
    counted = await conn.execute(
        select(c.kind, c.status, func.count())
        .where(c.status.in_(("queued", "running")))
        .group_by(c.kind, c.status)
    )
    return [((kind, status), float(count)) for kind, status, count in counted]
