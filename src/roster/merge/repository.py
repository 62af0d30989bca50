"""The queries of merging: archiving a duplicate into its survivor, and finding likely
duplicates among the tenant's live contacts."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, or_

from roster.contacts import normalize
from roster.contacts.repository import ContactRepository
from roster.kit.timeutil import utcnow
from roster.models import contacts

Row = dict[str, Any]
_PHONE_COLUMNS = ("phone", *(f"handle_{ch}" for ch in sorted(normalize.PHONE_HANDLES)))


class MergeRepository(ContactRepository):
    async def archive_into(self, duplicate: Row, survivor_id: UUID) -> bool:
        now = utcnow()
        values = {
            "deleted_at": now,
            "updated_at": now,
            "version": duplicate["version"] + 1,
            "merged_into": survivor_id,
        }
        return bool(await self.change(duplicate["id"], duplicate["version"], values))

    async def likely_duplicates(self, row: Row, limit: int = 50) -> list[tuple[Row, str]]:
        """Live contacts sharing a phone number (in phone or a phone-based handle), the
        email ignoring case, or name and company ignoring case; each with its reason."""
        c = contacts.c
        found: list[tuple[Row, str]] = []
        others = self.select().where(c.id != row["id"])
        phones = [row[col] for col in _PHONE_COLUMNS if row.get(col)]
        if phones:
            query = others.where(or_(*(c[col].in_(phones) for col in _PHONE_COLUMNS)))
            found += [
                (dict(r._mapping), "phone") for r in await self.conn.execute(query.limit(limit))
            ]
        if row.get("email_key"):
            query = others.where(func.lower(c.email) == row["email_key"])
            found += [
                (dict(r._mapping), "email") for r in await self.conn.execute(query.limit(limit))
            ]
        if row.get("name") and row.get("company"):
            query = others.where(
                func.lower(c.name) == row["name"].lower(),
                func.lower(c.company) == row["company"].lower(),
            )
            found += [
                (dict(r._mapping), "name_and_company")
                for r in await self.conn.execute(query.limit(limit))
            ]
        return found
