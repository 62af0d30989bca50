"""Every query on the activity timeline. Each starts from the tenant-scoped base."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, tuple_

from roster.kit.repository import TenantRepository
from roster.models import activities

Row = dict[str, Any]
a = activities.c


class ActivityRepository(TenantRepository):
    table = activities

    async def add(self, row: Row) -> bool:
        """Insert one activity; False when its external_id is already taken."""
        return await self.insert_unless_taken(row)

    async def by_external_id(self, external_id: str) -> Row | None:
        query = self.select().where(a.external_id == external_id)
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def timeline(
        self,
        contact_id: UUID,
        *,
        types: list[str] | None,
        type_prefix: str | None,
        channel: str | None,
        before: datetime | None,
        after: datetime | None,
        key: tuple[datetime, UUID] | None,
        offset: int | None,
        limit: int,
    ) -> list[Row]:
        """One contact's activities newest first, served by ix_activities_timeline."""
        query = self.select().where(a.contact_id == contact_id)
        if types:
            query = query.where(a.type.in_(types))
        if type_prefix:
            query = query.where(a.type.startswith(type_prefix, autoescape=True))
        if channel:
            query = query.where(a.channel == channel)
        if before is not None:
            query = query.where(a.occurred_at < before)
        if after is not None:
            query = query.where(a.occurred_at > after)
        if key is not None:
            marker = tuple_(
                bindparam(None, key[0], type_=a.occurred_at.type),
                bindparam(None, key[1], type_=a.id.type),
            )
            query = query.where(tuple_(a.occurred_at, a.id) < marker)
        query = query.order_by(a.occurred_at.desc(), a.id.desc()).limit(limit)
        if offset:
            query = query.offset(offset)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def all_for(self, contact_id: UUID) -> list[Row]:
        query = self.select().where(a.contact_id == contact_id).order_by(a.occurred_at, a.id)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def move(self, from_ids: list[UUID], to_id: UUID) -> None:
        """Move ingested activities; the contacts' own events (contact.*) stay with them."""
        await self.conn.execute(
            self.update()
            .where(a.contact_id.in_(from_ids), ~a.type.startswith("contact."))
            .values(contact_id=to_id)
        )

    async def delete_for(self, contact_id: UUID) -> None:
        await self.conn.execute(self.delete().where(a.contact_id == contact_id))
