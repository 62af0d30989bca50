"""Every query on ``idempotency_keys``: a tenant's keys through the repository base, and the
retention sweep over every tenant."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.repository import TenantRepository
from roster.models import idempotency_keys


class IdempotencyRepository(TenantRepository):
    table = idempotency_keys

    async def claim(self, row: dict[str, Any]) -> bool:
        """Insert the key's row; False when the key is already there. On PostgreSQL the
        insert waits for a concurrent transaction that holds the same key to end."""
        return await self.insert_unless_taken(row)

    async def get(self, key: str) -> dict[str, Any] | None:
        found = (await self.conn.execute(self.select().where(self.table.c.key == key))).first()
        return dict(found._mapping) if found else None

    async def drop(self, key: str, created_at: datetime | None = None) -> None:
        query = self.delete().where(self.table.c.key == key)
        if created_at is not None:
            query = query.where(self.table.c.created_at == created_at)
        await self.conn.execute(query)

    async def complete(self, key: str, values: dict[str, Any]) -> None:
        await self.conn.execute(self.update().where(self.table.c.key == key).values(values))


async def delete_older_than(conn: AsyncConnection, cutoff: datetime) -> int:
    """Delete every tenant's keys created before ``cutoff`` (maintenance, not a request)."""
    result = await conn.execute(
        delete(idempotency_keys).where(idempotency_keys.c.created_at < cutoff)
    )
    return int(result.rowcount or 0)
