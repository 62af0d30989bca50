"""Every query on contacts and their tags. Each starts from the tenant-scoped base."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, bindparam, func, tuple_
from sqlalchemy.exc import IntegrityError

from roster.kit.repository import TenantRepository
from roster.models import HANDLE_CHANNELS, contact_tags, contacts

# Identifier columns that are unique among a tenant's live contacts, and the field name a
# client knows each by (reported in 409 responses).
IDENTIFIERS: dict[str, str] = {
    "phone": "phone",
    "email_key": "email",
    "external_id": "external_id",
    **{f"handle_{channel}": f"handles.{channel}" for channel in HANDLE_CHANNELS},
}

c = contacts.c
live = c.deleted_at.is_(None)

SORTS: dict[str, tuple[ColumnElement[Any], bool]] = {
    # sort name → (key expression, descending)
    "created_at": (c.created_at, False),
    "-created_at": (c.created_at, True),
    "updated_at": (c.updated_at, False),
    "-updated_at": (c.updated_at, True),
    "name": (func.lower(func.coalesce(c.name, "")), False),
    "-name": (func.lower(func.coalesce(c.name, "")), True),
}


class ContactRepository(TenantRepository):
    table = contacts

    async def get(
        self, contact_id: UUID, *, include_deleted: bool = False, for_update: bool = False
    ) -> dict[str, Any] | None:
        query = self.select().where(c.id == contact_id)
        if not include_deleted:
            query = query.where(live)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def find_live(self, column: str, value: str) -> dict[str, Any] | None:
        query = self.select().where(contacts.c[column] == value, live).limit(1)
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def merged_into(self, contact_id: UUID) -> list[dict[str, Any]]:
        query = self.select().where(c.merged_into == contact_id).order_by(c.id)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def find_conflict(
        self, values: dict[str, Any], exclude_id: UUID | None
    ) -> tuple[str, UUID] | None:
        """The first identifier in ``values`` that another live contact already holds."""
        for column, field in IDENTIFIERS.items():
            value = values.get(column)
            if value is None:
                continue
            query = self.select(c.id).where(contacts.c[column] == value, live)
            if exclude_id is not None:
                query = query.where(c.id != exclude_id)
            other = (await self.conn.execute(query.limit(1))).scalar_one_or_none()
            if other is not None:
                return field, other
        return None

    async def add(self, row: dict[str, Any]) -> bool:
        """Insert a contact; False when a unique identifier is taken (nothing is written)."""
        try:
            async with self.conn.begin_nested():
                await self.insert(row)
        except IntegrityError:
            return False
        return True

    async def change(self, contact_id: UUID, version: int, values: dict[str, Any]) -> bool | None:
        """Update a contact at ``version``: True when written, False on an identifier clash,
        None when the version moved (another writer got there first)."""
        query = self.update().where(c.id == contact_id, c.version == version).values(**values)
        try:
            async with self.conn.begin_nested():
                result = await self.conn.execute(query)
        except IntegrityError:
            return False
        return True if result.rowcount else None

    async def replace_tags(self, contact_id: UUID, old: Iterable[str], new: Iterable[str]) -> None:
        old_set, new_set = set(old), set(new)
        gone, added = old_set - new_set, new_set - old_set
        if gone:
            await self.conn.execute(
                self.delete(contact_tags).where(
                    contact_tags.c.contact_id == contact_id, contact_tags.c.tag.in_(gone)
                )
            )
        await self.insert(
            [{"contact_id": contact_id, "tag": tag} for tag in sorted(added)], table=contact_tags
        )

    async def page(
        self,
        *,
        sort: str,
        after: list[Any] | None,
        offset: int | None,
        limit: int,
        include_deleted: bool,
    ) -> list[dict[str, Any]]:
        key, descending = SORTS[sort]
        query = self.select()
        if not include_deleted:
            query = query.where(live)
        if after is not None:
            bound = tuple_(key, c.id)
            marker = tuple_(
                bindparam(None, after[0], type_=key.type),
                bindparam(None, after[1], type_=c.id.type),
            )
            query = query.where(bound < marker if descending else bound > marker)
        order = (key.desc(), c.id.desc()) if descending else (key.asc(), c.id.asc())
        query = query.order_by(*order).limit(limit)
        if offset:
            query = query.offset(offset)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def count(self, *, include_deleted: bool) -> int:
        query = self.select(func.count())
        if not include_deleted:
            query = query.where(live)
        return int((await self.conn.execute(query)).scalar_one())

    async def tag_counts(self, after: str | None, limit: int) -> list[tuple[str, int]]:
        t = contact_tags.c
        query = (
            self.select(t.tag, func.count(), table=contact_tags)
            .join(contacts, and_(c.tenant_id == t.tenant_id, c.id == t.contact_id))
            .where(live)
            .group_by(t.tag)
            .order_by(t.tag)
            .limit(limit)
        )
        if after is not None:
            query = query.where(t.tag > after)
        return [(row[0], int(row[1])) for row in await self.conn.execute(query)]
