"""The repository base: the one place the tenant filter is written.

Every query on a tenant-owned table starts from ``select``, ``update`` or ``delete`` here,
and every insert goes through ``insert``, so no query can forget ``tenant_id``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import Delete, Select, Table, Update, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement


class TenantRepository:
    table: ClassVar[Table]

    def __init__(self, conn: AsyncConnection, tenant_id: UUID):
        self.conn = conn
        self.tenant_id = tenant_id

    def scope(self, table: Table | None = None) -> ColumnElement[bool]:
        """The tenant condition for ``table`` (default: this repository's own)."""
        return (table if table is not None else self.table).c.tenant_id == self.tenant_id

    def select(self, *columns: Any, table: Table | None = None) -> Select[Any]:
        target = table if table is not None else self.table
        return select(*(columns or (target,))).where(self.scope(target))

    def update(self, table: Table | None = None) -> Update:
        target = table if table is not None else self.table
        return update(target).where(self.scope(target))

    def delete(self, table: Table | None = None) -> Delete:
        target = table if table is not None else self.table
        return delete(target).where(self.scope(target))

    async def insert(
        self, rows: Mapping[str, Any] | Sequence[Mapping[str, Any]], table: Table | None = None
    ) -> None:
        target = table if table is not None else self.table
        batch = [rows] if isinstance(rows, Mapping) else list(rows)
        if batch:
            await self.conn.execute(
                insert(target), [{**row, "tenant_id": self.tenant_id} for row in batch]
            )
