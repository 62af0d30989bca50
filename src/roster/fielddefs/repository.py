"""Queries on custom field definitions, and on the contact values a definition governs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from roster.kit.repository import TenantRepository
from roster.models import contacts, field_definitions

Row = dict[str, Any]
f = field_definitions.c


class FieldDefinitionRepository(TenantRepository):
    table = field_definitions

    async def all(self) -> list[Row]:
        query = self.select().order_by(f.key)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def get(self, key: str, *, for_update: bool = False) -> Row | None:
        query = self.select().where(f.key == key)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def change(self, key: str, values: Row) -> None:
        await self.conn.execute(self.update().where(f.key == key).values(**values))

    async def remove(self, key: str) -> bool:
        result = await self.conn.execute(self.delete().where(f.key == key))
        return bool(result.rowcount)

    async def live_values(self, key: str, batch: int = 1000) -> AsyncIterator[Any]:
        """Every live contact's value for custom field ``key`` (contacts without it skipped),
        streamed in batches so memory stays flat."""
        c = contacts.c
        value = c.custom_fields[key]
        query = self.select(value, table=contacts).where(value.is_not(None))
        result = await self.conn.stream(query.execution_options(yield_per=batch))
        async for (item,) in result:
            if item is not None:
                yield item
