"""Every query on lists and their members, each starting from the tenant-scoped base."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func

from roster.kit.repository import NamedRepository, scoped
from roster.models import contacts, list_members, lists

m = list_members.c


class ListRepository(NamedRepository):
    table = lists

    async def remove(self, list_id: UUID) -> list[UUID]:
        """Delete the list and its memberships; returns the contacts that were members."""
        # Memberships go with the list (and by ON DELETE CASCADE too); contacts stay.
        result = await self.conn.execute(
            self.delete(list_members).where(m.list_id == list_id).returning(m.contact_id)
        )
        members = sorted(result.scalars())
        await self.conn.execute(self.delete().where(lists.c.id == list_id))
        return members

    async def member_count(self, list_id: UUID) -> int:
        # Live contacts only: an archived contact is no member until it is restored.
        query = (
            self.select(func.count(), table=list_members)
            .join(contacts, and_(scoped(contacts, m.tenant_id), contacts.c.id == m.contact_id))
            .where(m.list_id == list_id)
        )
        return int((await self.conn.execute(query)).scalar_one())

    async def live_contacts(self, ids: Iterable[UUID]) -> set[UUID]:
        """Which of ``ids`` are live contacts of this tenant."""
        query = self.select(contacts.c.id, table=contacts).where(contacts.c.id.in_(list(ids)))
        return set((await self.conn.execute(query)).scalars())

    async def contact_exists(self, contact_id: UUID) -> bool:
        query = self.select(contacts.c.id, table=contacts, include_deleted=True).where(
            contacts.c.id == contact_id
        )
        return (await self.conn.execute(query)).first() is not None

    async def add_members(self, list_id: UUID, ids: list[UUID], now: datetime) -> list[UUID]:
        """Insert memberships, skipping ones that exist; returns the contacts newly added."""
        if not ids:
            return []
        rows = [
            {"tenant_id": self.tenant_id, "list_id": list_id, "contact_id": cid, "added_at": now}
            for cid in ids
        ]
        statement = self.insert_or_skip(list_members).values(rows).returning(m.contact_id)
        result = await self.conn.execute(statement)
        return sorted(result.scalars())

    async def forget_contact(self, contact_id: UUID) -> None:
        """Erasure: the contact leaves every list (no event: ``contact.erased`` says it)."""
        await self.conn.execute(self.delete(list_members).where(m.contact_id == contact_id))

    async def list_ids_of(self, contact_ids: list[UUID]) -> set[UUID]:
        """The lists any of ``contact_ids`` belongs to."""
        query = self.select(m.list_id, table=list_members).where(m.contact_id.in_(contact_ids))
        return set((await self.conn.execute(query.distinct())).scalars())

    async def of_contact(self, contact_id: UUID, limit: int) -> list[dict[str, Any]]:
        """The lists the contact belongs to, by name (at most ``limit``)."""
        on = and_(scoped(list_members, lists.c.tenant_id), m.list_id == lists.c.id)
        query = (
            self.select()
            .join(list_members, on)
            .where(m.contact_id == contact_id)
            .order_by(lists.c.name, lists.c.id)
            .limit(limit)
        )
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def join(self, contact_id: UUID, list_ids: Iterable[UUID], now: datetime) -> int:
        """Make ``contact_id`` a member of ``list_ids`` (existing memberships are kept);
        returns how many memberships are new."""
        rows = [
            {"tenant_id": self.tenant_id, "list_id": lid, "contact_id": contact_id, "added_at": now}
            for lid in sorted(list_ids)
        ]
        if not rows:
            return 0
        result = await self.conn.execute(self.insert_or_skip(list_members).values(rows))
        return int(result.rowcount)

    async def leave_all(self, contact_ids: list[UUID]) -> list[tuple[UUID, UUID]]:
        """Remove every membership of ``contact_ids``; the (list, contact) pairs removed."""
        result = await self.conn.execute(
            self.delete(list_members)
            .where(m.contact_id.in_(contact_ids))
            .returning(m.list_id, m.contact_id)
        )
        return sorted((row[0], row[1]) for row in result)

    async def remove_members(self, list_id: UUID, contact_ids: list[UUID]) -> list[UUID]:
        """Delete the memberships of ``contact_ids`` in the list; the contacts that were in."""
        result = await self.conn.execute(
            self.delete(list_members)
            .where(m.list_id == list_id, m.contact_id.in_(contact_ids))
            .returning(m.contact_id)
        )
        return sorted(result.scalars())

    async def remove_member(self, list_id: UUID, contact_id: UUID) -> bool:
        """Whether the contact was a member (and is no longer)."""
        result = await self.conn.execute(
            self.delete(list_members).where(m.list_id == list_id, m.contact_id == contact_id)
        )
        return bool(result.rowcount)
