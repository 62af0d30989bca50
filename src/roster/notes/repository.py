"""Every query on notes. Each starts from the tenant-scoped base."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from roster.kit.repository import TenantRepository
from roster.models import notes

Row = dict[str, Any]
n = notes.c


class NoteRepository(TenantRepository):
    table = notes

    async def get(self, contact_id: UUID, note_id: UUID) -> Row | None:
        query = self.select().where(n.contact_id == contact_id, n.id == note_id)
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def page(
        self, contact_id: UUID, before: UUID | None, offset: int | None, limit: int
    ) -> list[Row]:
        query = self.select().where(n.contact_id == contact_id)
        if before is not None:
            query = query.where(n.id < before)
        query = query.order_by(n.id.desc()).limit(limit)
        if offset:
            query = query.offset(offset)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def all_for(self, contact_id: UUID) -> list[Row]:
        query = self.select().where(n.contact_id == contact_id).order_by(n.id)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def change(self, note_id: UUID, values: Row) -> None:
        await self.conn.execute(self.update().where(n.id == note_id).values(**values))

    async def remove(self, note_id: UUID) -> None:
        await self.conn.execute(self.delete().where(n.id == note_id))

    async def move(self, from_ids: list[UUID], to_id: UUID) -> None:
        await self.conn.execute(
            self.update().where(n.contact_id.in_(from_ids)).values(contact_id=to_id)
        )

    async def delete_for(self, contact_id: UUID) -> None:
        await self.conn.execute(self.delete().where(n.contact_id == contact_id))
