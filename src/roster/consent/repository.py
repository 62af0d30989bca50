"""Every query of consent: the append-only history, and the opt-out list (which reads the
live contacts through the repository base)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement

from roster.kit.repository import TenantRepository
from roster.models import consent_events, contacts

Row = dict[str, Any]


class ConsentRepository(TenantRepository):
    table = consent_events

    async def page(
        self, contact_id: UUID, before: UUID | None, offset: int | None, limit: int
    ) -> list[Row]:
        c = consent_events.c
        query = self.select().where(c.contact_id == contact_id)
        if before is not None:
            query = query.where(c.id < before)
        query = query.order_by(c.id.desc()).limit(limit)
        if offset:
            query = query.offset(offset)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def all_for(self, contact_id: UUID) -> list[Row]:
        c = consent_events.c
        query = self.select().where(c.contact_id == contact_id).order_by(c.id)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def move(self, from_ids: list[UUID], to_id: UUID) -> None:
        c = consent_events.c
        await self.conn.execute(
            self.update().where(c.contact_id.in_(from_ids)).values(contact_id=to_id)
        )

    async def delete_for(self, contact_id: UUID) -> None:
        await self.conn.execute(self.delete().where(consent_events.c.contact_id == contact_id))


class OptOutRepository(TenantRepository):
    """The opt-out list reads the contacts table (live contacts only: the base leaves the
    archived out)."""

    table = contacts

    async def page(
        self, where: ColumnElement[bool], before: UUID | None, offset: int | None, limit: int
    ) -> list[Row]:
        """Live contacts matching ``where`` (``filters.listing.opted_out``), newest id
        first, before ``before``."""
        c = contacts.c
        query = self.select().where(where)
        if before is not None:
            query = query.where(c.id < before)
        query = query.order_by(c.id.desc()).limit(limit)
        if offset:
            query = query.offset(offset)
        return [dict(r._mapping) for r in await self.conn.execute(query)]
