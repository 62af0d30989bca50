"""The CLI's own read: how many contacts a local export will write (its progress bar)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import ColumnElement, func
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.repository import TenantRepository
from roster.models import contacts


class ExportCountRepository(TenantRepository):
    table = contacts


async def count_matching(conn: AsyncConnection, tenant_id: UUID, where: ColumnElement[bool]) -> int:
    """The tenant's live contacts matching ``where``."""
    repo = ExportCountRepository(conn, tenant_id)
    return int((await conn.execute(repo.select(func.count()).where(where))).scalar_one())
