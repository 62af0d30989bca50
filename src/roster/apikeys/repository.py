"""Queries on API keys for their management: a tenant's keys through the repository base,
and every tenant's for the operator's CLI. The per-request credential check reads keys
through ``roster.auth.repository``."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.repository import TenantRepository
from roster.models import api_keys


async def keys_of_every_tenant(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every API key of every tenant, oldest first (the operator's CLI, not a request)."""
    rows = await conn.execute(select(api_keys).order_by(api_keys.c.created_at))
    return [dict(r._mapping) for r in rows]


async def key_by_id(conn: AsyncConnection, key_id: UUID) -> dict[str, Any] | None:
    """An API key by its id, whatever its tenant (the operator's CLI, not a request)."""
    row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
    return dict(row._mapping) if row else None


class ApiKeyRepository(TenantRepository):
    table = api_keys

    async def add(self, row: dict[str, Any]) -> None:
        await self.insert(row)

    async def names(self, key_ids: set[UUID]) -> dict[UUID, str]:
        """The names of those of ``key_ids`` that are the tenant's keys."""
        if not key_ids:
            return {}
        query = self.select(api_keys.c.id, api_keys.c.name).where(api_keys.c.id.in_(key_ids))
        return {row.id: row.name for row in await self.conn.execute(query)}

    async def get(self, key_id: UUID) -> dict[str, Any] | None:
        row = (await self.conn.execute(self.select().where(api_keys.c.id == key_id))).first()
        return dict(row._mapping) if row else None

    async def page(self, after: UUID | None, limit: int) -> list[dict[str, Any]]:
        """Keys in creation order (ids are UUIDv7), ``limit`` of them after ``after``."""
        query = self.select().order_by(api_keys.c.id).limit(limit)
        if after is not None:
            query = query.where(api_keys.c.id > after)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def revoke(self, key_id: UUID, at: datetime) -> bool:
        result = await self.conn.execute(
            self.update()
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(result.rowcount)
