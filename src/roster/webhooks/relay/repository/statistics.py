"""PostgreSQL: the statements that keep the planner's statistics of the deliveries current
(see ``roster.webhooks.relay.statistics``)."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

_ROWS_KNOWN = text(
    "SELECT greatest(reltuples, 0)::bigint FROM pg_class WHERE oid = 'webhook_deliveries'::regclass"
)


async def rows_known(conn: AsyncConnection) -> int:
    """How many deliveries the planner's statistics count (0 before any)."""
    return int((await conn.execute(_ROWS_KNOWN)).scalar_one())


async def analyze(conn: AsyncConnection, tables: str) -> None:
    """ANALYZE ``tables`` (names written by the relay itself, never a client's)."""
    await conn.execute(text(f"ANALYZE {tables}"))
