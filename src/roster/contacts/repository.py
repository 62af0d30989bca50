"""Every query on contacts and their tags. Each starts from the tenant-scoped base."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from roster.auth.repository import BY_KEY_HASH, CREDENTIAL_COLUMNS, KEYS_WITH_TENANT
from roster.contacts.query import SEARCH_SOURCES, derived
from roster.kit.db import single_read
from roster.kit.repository import TenantRepository, scoped
from roster.models import HANDLE_CHANNELS, api_keys, contact_tags, contacts

# Identifier columns that are unique among a tenant's live contacts, and the field name a
# client knows each by (reported in 409 responses).
IDENTIFIERS: dict[str, str] = {
    "phone": "phone",
    "email_key": "email",
    "external_id": "external_id",
    **{f"handle_{channel}": f"handles.{channel}" for channel in HANDLE_CHANNELS},
}

c = contacts.c


def _with_derived(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` plus the search/sort columns when it writes any field they derive from."""
    if any(name in values for name in SEARCH_SOURCES):
        return {**values, **derived(values)}
    return values


class ContactRepository(TenantRepository):
    table = contacts

    async def get(
        self, contact_id: UUID, *, include_deleted: bool = False, for_update: bool = False
    ) -> dict[str, Any] | None:
        if not for_update:
            return await self.first(_GET[include_deleted], contact_id=contact_id)
        query = self.select(include_deleted=include_deleted).where(c.id == contact_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def find_live(self, column: str, value: str) -> dict[str, Any] | None:
        query = self.select().where(contacts.c[column] == value).limit(1)
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def merged_into(self, contact_id: UUID) -> list[dict[str, Any]]:
        query = self.select(include_deleted=True).where(c.merged_into == contact_id).order_by(c.id)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def find_conflict(
        self, values: dict[str, Any], exclude_id: UUID | None
    ) -> tuple[str, UUID] | None:
        """The first identifier in ``values`` that another live contact already holds."""
        for column, field in IDENTIFIERS.items():
            value = values.get(column)
            if value is None:
                continue
            query = self.select(c.id).where(contacts.c[column] == value)
            if exclude_id is not None:
                query = query.where(c.id != exclude_id)
            other = (await self.conn.execute(query.limit(1))).scalar_one_or_none()
            if other is not None:
                return field, other
        return None

    async def add(self, row: dict[str, Any]) -> bool:
        """Insert a contact; False when a unique identifier is taken (nothing is written)."""
        return await self.insert_unless_taken(_with_derived(row))

    async def change(self, contact_id: UUID, version: int, values: dict[str, Any]) -> bool | None:
        """Update a contact at ``version``: True when written, False on an identifier clash,
        None when the version moved (another writer got there first)."""
        return await self.update_at_version(contact_id, version, _with_derived(values))

    async def replace_tags(
        self, contact: dict[str, Any], old: Iterable[str], new: Iterable[str]
    ) -> None:
        """Make the contact's tag rows go from ``old`` to ``new`` (each row carries the
        contact's created_at, the order of the tag index)."""
        contact_id = contact["id"]
        old_set, new_set = set(old), set(new)
        gone, added = old_set - new_set, new_set - old_set
        if gone:
            await self.conn.execute(
                self.delete(contact_tags).where(
                    contact_tags.c.contact_id == contact_id, contact_tags.c.tag.in_(gone)
                )
            )
        await self.insert(
            [
                {"contact_id": contact_id, "tag": tag, "created_at": contact["created_at"]}
                for tag in sorted(added)
            ],
            table=contact_tags,
        )

    async def tag_counts(self, after: str | None, limit: int) -> list[tuple[str, int]]:
        t = contact_tags.c
        query = (
            self.select(t.tag, func.count(), table=contact_tags)
            .join(contacts, and_(scoped(contacts, t.tenant_id), c.id == t.contact_id))
            .group_by(t.tag)
            .order_by(t.tag)
            .limit(limit)
        )
        if after is not None:
            query = query.where(t.tag > after)
        return [(row[0], int(row[1])) for row in await self.conn.execute(query)]


# GET by id is the hottest query there is: built once (see TenantRepository.prepared).
_GET = {
    False: ContactRepository.prepared(c.id == bindparam("contact_id")),
    True: ContactRepository.prepared(c.id == bindparam("contact_id"), include_deleted=True),
}

# A live contact and the API key asking for it, in one look-up (one round trip, not two):
# the key's columns as ``credential_by_hash`` reads them, then the contact's, labelled
# apart. The contact is joined on the key's own tenant, and the outer join keeps the key's
# row when there is no such live contact in that tenant.
_CONTACT_LABELS = tuple((f"c_{column.name}", column.name) for column in contacts.c)
_KEY_AND_CONTACT = (
    select(
        *CREDENTIAL_COLUMNS,
        *(contacts.c[name].label(label) for label, name in _CONTACT_LABELS),
    )
    .select_from(
        KEYS_WITH_TENANT.outerjoin(
            contacts,
            and_(scoped(contacts, api_keys.c.tenant_id), c.id == bindparam("contact_id")),
        )
    )
    .where(BY_KEY_HASH)
)


async def key_and_contact(
    engine: AsyncEngine, key_hash: str, contact_id: UUID
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """``(the key's row or None, its tenant's live contact with this id or None)``, read
    in a unit of work of its own (``kit.db.single_read``: one round trip)."""
    params = {"key_hash": key_hash, "contact_id": contact_id}
    row = await single_read(engine, _KEY_AND_CONTACT, params)
    if row is None:
        return None, None
    contact = {name: row.pop(label) for label, name in _CONTACT_LABELS}
    return row, contact if contact["id"] is not None else None
