"""Every query on segments, each starting from the tenant-scoped base."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.exc import IntegrityError

from roster.kit.repository import TenantRepository
from roster.models import segments


class SegmentRepository(TenantRepository):
    table = segments

    async def get(self, segment_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        query = self.select().where(segments.c.id == segment_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def id_by_name(self, name: str) -> UUID | None:
        query = self.select(segments.c.id).where(segments.c.name == name)
        value: UUID | None = (await self.conn.execute(query)).scalar_one_or_none()
        return value

    async def add(self, row: dict[str, Any]) -> bool:
        """Insert a segment; False when the name is taken (nothing is written)."""
        try:
            async with self.conn.begin_nested():
                await self.insert(row)
        except IntegrityError:
            return False
        return True

    async def change(self, segment_id: UUID, version: int, values: dict[str, Any]) -> bool | None:
        """True when written, False on a name clash, None when the version moved."""
        query = (
            self.update()
            .where(segments.c.id == segment_id, segments.c.version == version)
            .values(**values)
        )
        try:
            async with self.conn.begin_nested():
                result = await self.conn.execute(query)
        except IntegrityError:
            return False
        return True if result.rowcount else None

    async def remove(self, segment_id: UUID) -> None:
        await self.conn.execute(self.delete().where(segments.c.id == segment_id))

    async def page(self, after: UUID | None, limit: int) -> list[dict[str, Any]]:
        query = self.select().order_by(segments.c.id).limit(limit)
        if after is not None:
            query = query.where(segments.c.id > after)
        return [dict(r._mapping) for r in await self.conn.execute(query)]
