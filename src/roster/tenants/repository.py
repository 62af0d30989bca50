"""Queries on tenants, API keys and instance settings.

Credential look-up is the one query that runs before a tenant is known: it finds the
tenant from the key hash. Everything else here is scoped through ``TenantRepository``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.db import first_row
from roster.kit.repository import TenantRepository
from roster.models import api_keys, instance_settings, tenants


async def insert_tenant(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(tenants), row)


async def get_tenant(conn: AsyncConnection, tenant_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(select(tenants).where(tenants.c.id == tenant_id))).first()
    return dict(row._mapping) if row else None


async def all_tenants(conn: AsyncConnection, limit: int | None = None) -> list[dict[str, Any]]:
    """Every tenant (or the ``limit`` oldest), oldest first (the operator's CLI)."""
    rows = await conn.execute(select(tenants).order_by(tenants.c.created_at).limit(limit))
    return [dict(r._mapping) for r in rows]


async def keys_of_every_tenant(conn: AsyncConnection) -> list[dict[str, Any]]:
    """Every API key of every tenant, oldest first (the operator's CLI, not a request)."""
    rows = await conn.execute(select(api_keys).order_by(api_keys.c.created_at))
    return [dict(r._mapping) for r in rows]


async def key_by_id(conn: AsyncConnection, key_id: UUID) -> dict[str, Any] | None:
    """An API key by its id, whatever its tenant (the operator's CLI, not a request)."""
    row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
    return dict(row._mapping) if row else None


async def first_tenant(conn: AsyncConnection) -> dict[str, Any] | None:
    row = (await conn.execute(select(tenants).order_by(tenants.c.created_at).limit(1))).first()
    return dict(row._mapping) if row else None


# What a request's credential check reads: the key and its tenant's default region.
CREDENTIAL_COLUMNS = (
    api_keys.c.id,
    api_keys.c.tenant_id,
    api_keys.c.scopes,
    api_keys.c.rate_limit,
    api_keys.c.expires_at,
    api_keys.c.revoked_at,
    api_keys.c.last_used_at,
    tenants.c.default_region,
)
KEYS_WITH_TENANT = api_keys.join(tenants, tenants.c.id == api_keys.c.tenant_id)
BY_KEY_HASH = api_keys.c.key_hash == bindparam("key_hash")
# Runs on every request: built once (its cache key is then computed once, too).
_CREDENTIAL = select(*CREDENTIAL_COLUMNS).select_from(KEYS_WITH_TENANT).where(BY_KEY_HASH)


async def credential_by_hash(conn: AsyncConnection, key_hash: str) -> dict[str, Any] | None:
    """The key with this hash and its tenant's default region, revoked or not."""
    return await first_row(conn, _CREDENTIAL, {"key_hash": key_hash})


async def get_setting(conn: AsyncConnection, key: str) -> str | None:
    query = select(instance_settings.c.value).where(instance_settings.c.key == key)
    return (await conn.execute(query)).scalar_one_or_none()


async def put_setting(conn: AsyncConnection, key: str, value: str) -> None:
    await conn.execute(insert(instance_settings), {"key": key, "value": value})


class ApiKeyRepository(TenantRepository):
    table = api_keys

    async def add(self, row: dict[str, Any]) -> None:
        await self.insert(row)

    async def list_all(self) -> list[dict[str, Any]]:
        rows = await self.conn.execute(self.select().order_by(api_keys.c.created_at))
        return [dict(r._mapping) for r in rows]

    async def get(self, key_id: UUID) -> dict[str, Any] | None:
        row = (await self.conn.execute(self.select().where(api_keys.c.id == key_id))).first()
        return dict(row._mapping) if row else None

    async def page(self, after: UUID | None, limit: int) -> list[dict[str, Any]]:
        """Keys in creation order (ids are UUIDv7), ``limit`` of them after ``after``."""
        query = self.select().order_by(api_keys.c.id).limit(limit)
        if after is not None:
            query = query.where(api_keys.c.id > after)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def touch(self, key_id: UUID, at: datetime, not_since: datetime) -> None:
        """Set ``last_used_at`` unless another request already did so after ``not_since``."""
        await self.conn.execute(
            self.update()
            .where(
                api_keys.c.id == key_id,
                (api_keys.c.last_used_at.is_(None)) | (api_keys.c.last_used_at < not_since),
            )
            .values(last_used_at=at)
        )

    async def revoke(self, key_id: UUID, at: datetime) -> bool:
        result = await self.conn.execute(
            self.update()
            .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
            .values(revoked_at=at)
        )
        return bool(result.rowcount)
