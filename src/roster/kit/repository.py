"""The repository base: the one place the tenant and soft-delete filters are written.

Every query on a tenant-owned table starts from ``select``, ``update`` or ``delete`` here,
and every insert goes through ``insert``, so no query can forget ``tenant_id``. A table with
a ``deleted_at`` column (contacts) is read without its archived rows unless the caller asks
for them with ``include_deleted=True``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import (
    Delete,
    Insert,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import FromClause

from roster.kit.db import first_row


def scoped(table: FromClause, tenant: Any, *, include_deleted: bool = False) -> ColumnElement[bool]:
    """``table.tenant_id = tenant`` (a value, a bind parameter, or another table's
    ``tenant_id`` for a join), and ``deleted_at IS NULL`` where the table (or alias) has
    that column, unless ``include_deleted``. Cross-tenant work (queues, the relay) that
    claims one tenant at a time scopes its statements with this."""
    condition: ColumnElement[bool] = table.c.tenant_id == tenant
    if not include_deleted and "deleted_at" in table.c:
        condition = and_(condition, table.c.deleted_at.is_(None))
    return condition


def live(table: Table) -> ColumnElement[bool]:
    """``deleted_at IS NULL``, for a joined table whose tenant is already fixed by a join."""
    condition: ColumnElement[bool] = table.c.deleted_at.is_(None)
    return condition


class TenantRepository:
    table: ClassVar[Table]

    def __init__(self, conn: AsyncConnection, tenant_id: UUID):
        self.conn = conn
        self.tenant_id = tenant_id

    def scope(
        self, table: Table | None = None, *, include_deleted: bool = False
    ) -> ColumnElement[bool]:
        """The tenant condition for ``table`` (default: this repository's own), and
        ``deleted_at IS NULL`` where the table has one, unless ``include_deleted``."""
        target = table if table is not None else self.table
        return scoped(target, self.tenant_id, include_deleted=include_deleted)

    def select(
        self, *columns: Any, table: Table | None = None, include_deleted: bool = False
    ) -> Select[Any]:
        target = table if table is not None else self.table
        return select(*(columns or (target,))).where(
            self.scope(target, include_deleted=include_deleted)
        )

    @classmethod
    def prepared(
        cls, *where: ColumnElement[bool], columns: Sequence[Any] = (), include_deleted: bool = False
    ) -> Select[Any]:
        """A query built once, at import: the tenant condition is a bind parameter that
        ``first`` always fills. Building a statement and computing its cache key cost more
        than a primary-key look-up; a prepared statement keeps its cache key."""
        return select(*(columns or (cls.table,))).where(
            scoped(cls.table, bindparam("tenant_id"), include_deleted=include_deleted), *where
        )

    async def first(self, statement: Select[Any], **params: Any) -> dict[str, Any] | None:
        """The first row of a ``prepared`` query for this repository's tenant, as a dict
        (through the driver directly where ``kit.db.first_row`` can)."""
        return await first_row(self.conn, statement, {**params, "tenant_id": self.tenant_id})

    def update(self, table: Table | None = None, *, include_deleted: bool = False) -> Update:
        target = table if table is not None else self.table
        return update(target).where(self.scope(target, include_deleted=include_deleted))

    def delete(self, table: Table | None = None, *, include_deleted: bool = False) -> Delete:
        target = table if table is not None else self.table
        return delete(target).where(self.scope(target, include_deleted=include_deleted))

    async def insert(
        self, rows: Mapping[str, Any] | Sequence[Mapping[str, Any]], table: Table | None = None
    ) -> None:
        target = table if table is not None else self.table
        batch = [rows] if isinstance(rows, Mapping) else list(rows)
        if batch:
            await self.conn.execute(
                insert(target), [{**row, "tenant_id": self.tenant_id} for row in batch]
            )

    def insert_or_skip(self, table: Table | None = None) -> Insert:
        """``INSERT ... ON CONFLICT DO NOTHING`` on this engine: a row whose unique key is
        taken (every unique index of the table is an arbiter) is left out, not an error."""
        target = table if table is not None else self.table
        build = postgresql_insert if self.conn.dialect.name == "postgresql" else sqlite_insert
        return build(target).on_conflict_do_nothing()

    async def insert_unless_taken(self, row: Mapping[str, Any]) -> bool:
        """Insert one row; False, with nothing written, when a unique key is taken.

        One statement (``insert_or_skip``) rather than the insert inside a savepoint: the
        savepoint and its release were two more round trips on every create."""
        result = await self.conn.execute(
            self.insert_or_skip(), {**row, "tenant_id": self.tenant_id}
        )
        return bool(result.rowcount)

    async def update_at_version(
        self, object_id: UUID, version: int, values: Mapping[str, Any]
    ) -> bool | None:
        """Optimistic update of the row ``object_id`` at ``version``: True when written,
        False when a unique key is taken, None when the version moved."""
        t = self.table.c
        query = (
            self.update(include_deleted=True)
            .where(t.id == object_id, t.version == version)
            .values(**values)
        )
        try:
            async with self.conn.begin_nested():
                result = await self.conn.execute(query)
        except IntegrityError:
            return False
        return True if result.rowcount else None


class NamedRepository(TenantRepository):
    """Objects of a tenant with an ``id``, a unique ``name`` and a ``version`` (lists,
    segments): look-up, insert and optimistic update, where a name clash is an answer."""

    async def get(self, object_id: UUID, *, for_update: bool = False) -> dict[str, Any] | None:
        query = self.select().where(self.table.c.id == object_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def id_by_name(self, name: str) -> UUID | None:
        query = self.select(self.table.c.id).where(self.table.c.name == name)
        value: UUID | None = (await self.conn.execute(query)).scalar_one_or_none()
        return value

    async def add(self, row: dict[str, Any]) -> bool:
        """Insert the object; False when the name is taken (nothing is written)."""
        return await self.insert_unless_taken(row)

    async def change(self, object_id: UUID, version: int, values: dict[str, Any]) -> bool | None:
        """True when written, False on a name clash, None when the version moved."""
        return await self.update_at_version(object_id, version, values)

    async def page(self, after: UUID | None, limit: int) -> list[dict[str, Any]]:
        """Objects in id order, after ``after``."""
        query = self.select().order_by(self.table.c.id).limit(limit)
        if after is not None:
            query = query.where(self.table.c.id > after)
        return [dict(r._mapping) for r in await self.conn.execute(query)]
