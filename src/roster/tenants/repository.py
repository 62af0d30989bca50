"""Queries on tenants and instance settings: the control plane, above any one tenant.
API keys have their own repositories (``roster.apikeys``, ``roster.auth``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.models import instance_settings, tenants


async def insert_tenant(conn: AsyncConnection, row: dict[str, Any]) -> None:
    await conn.execute(insert(tenants), row)


async def get_tenant(conn: AsyncConnection, tenant_id: UUID) -> dict[str, Any] | None:
    row = (await conn.execute(select(tenants).where(tenants.c.id == tenant_id))).first()
    return dict(row._mapping) if row else None


async def all_tenants(conn: AsyncConnection, limit: int | None = None) -> list[dict[str, Any]]:
    """Every tenant (or the ``limit`` oldest), oldest first (the operator's CLI)."""
    rows = await conn.execute(select(tenants).order_by(tenants.c.created_at).limit(limit))
    return [dict(r._mapping) for r in rows]


async def first_tenant(conn: AsyncConnection) -> dict[str, Any] | None:
    row = (await conn.execute(select(tenants).order_by(tenants.c.created_at).limit(1))).first()
    return dict(row._mapping) if row else None


async def get_setting(conn: AsyncConnection, key: str) -> str | None:
    query = select(instance_settings.c.value).where(instance_settings.c.key == key)
    return (await conn.execute(query)).scalar_one_or_none()


async def put_setting(conn: AsyncConnection, key: str, value: str) -> None:
    await conn.execute(insert(instance_settings), {"key": key, "value": value})
