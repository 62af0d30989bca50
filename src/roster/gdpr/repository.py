"""Every query of erasure on the tenant's own rows: the keyed hashes of erased identifiers,
and the contact rows an erasure reaches (contacts merged into it) and leaves as tombstones."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from roster.contacts import fields
from roster.contacts.repository import ContactRepository
from roster.kit.repository import TenantRepository
from roster.kit.timeutil import utcnow
from roster.models import PREFERENCE_CHANNELS, contacts, erased_identifiers

Row = dict[str, Any]


class ErasedRepository(TenantRepository):
    table = erased_identifiers

    async def channels_for(self, digests: list[str]) -> set[str]:
        e = erased_identifiers.c
        query = self.select(e.channels).where(e.digest.in_(digests))
        found: set[str] = set()
        for (channels,) in await self.conn.execute(query):
            found.update(channels)
        return found

    async def any_kept(self) -> bool:
        """Whether the tenant has erased identifiers at all."""
        query = self.select(erased_identifiers.c.digest).limit(1)
        return (await self.conn.execute(query)).first() is not None

    async def channels_by_digest(self, digests: list[str]) -> list[tuple[str, list[str]]]:
        """(digest, channels) of those of ``digests`` that are kept."""
        e = erased_identifiers.c
        query = self.select(e.digest, e.channels).where(e.digest.in_(digests))
        return [(value, channels) for value, channels in await self.conn.execute(query)]

    async def remember(self, digests: list[str], channels: list[str]) -> None:
        e = erased_identifiers.c
        now = utcnow()
        for value in digests:
            query = self.select(e.channels).where(e.digest == value).with_for_update()
            existing = (await self.conn.execute(query)).scalar_one_or_none()
            if existing is None:
                await self.insert({"digest": value, "channels": sorted(channels), "erased_at": now})
            else:
                merged = sorted(set(existing) | set(channels))
                await self.conn.execute(
                    self.update().where(e.digest == value).values(channels=merged, erased_at=now)
                )


class ErasureRepository(ContactRepository):
    async def merged_into(self, contact_id: UUID) -> list[Row]:
        query = (
            self.select(include_deleted=True)
            .where(contacts.c.merged_into == contact_id)
            .with_for_update()
        )
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def tombstone(self, row: Row) -> None:
        now = utcnow()
        values: Row = dict.fromkeys(fields.WRITABLE_COLUMNS)
        values.update(
            name_set=False,
            source="erased",
            tags=[],
            custom_fields={},
            suppressed=False,
            **{f"pref_{ch}": "unknown" for ch in PREFERENCE_CHANNELS},
            deleted_at=row["deleted_at"] or now,
            updated_at=now,
            erased_at=now,
            version=row["version"] + 1,
            # The derived search columns hold the same personal data (and feed the SQLite
            # full-text index through its triggers): blank them too.
            search_text="",
            sort_name="",
        )
        await self.conn.execute(
            self.update(include_deleted=True).where(contacts.c.id == row["id"]).values(**values)
        )
        await self.replace_tags(row, row["tags"], [])
