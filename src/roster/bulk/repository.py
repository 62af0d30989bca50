"""Every query of bulk writes (batches, imports, bulk actions) on a tenant's contacts: the
contacts a chunk names, the tenant's bulk lock, the chunk's writes (PostgreSQL's COPY for
large inserts), and the planner's statistics of the tables they grow."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ARRAY, ColumnElement, Table, any_, bindparam, func, text
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.contacts.repository import IDENTIFIERS
from roster.kit.repository import TenantRepository
from roster.models import contact_tags, contacts

Row = dict[str, Any]
c = contacts.c
t = contact_tags.c

_TURN = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")
_SHARED_TURN = text("SELECT pg_advisory_xact_lock_shared(hashtextextended(:k, 0))")

# Only the columns the bulk writers' plans read (the table's size is counted whatever the
# list): the wide text and JSON columns made a full ANALYZE about half of its cost.
# Autovacuum gathers the rest later.
COLUMNS = (
    f"ANALYZE contacts (tenant_id, id, deleted_at, {', '.join(IDENTIFIERS)}), "
    "contact_tags (tenant_id, contact_id, tag)"
)
_ANALYZE = text(COLUMNS)


class BulkRepository(TenantRepository):
    table = contacts

    async def count(self, where: ColumnElement[bool]) -> int:
        return int((await self.conn.execute(self.select(func.count()).where(where))).scalar_one())

    async def batch(self, where: ColumnElement[bool], after: UUID | None, limit: int) -> list[Row]:
        """Up to ``limit`` live contacts matching ``where``, in id order after ``after``;
        locked on PostgreSQL until the transaction ends."""
        query = self.select().where(where)
        if after is not None:
            query = query.where(c.id > after)
        query = query.order_by(c.id).limit(limit)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def archive(self, ids: list[UUID], now: datetime) -> None:
        """Archive the live contacts among ``ids`` at ``now`` (a new version each)."""
        await self.conn.execute(
            self.update()
            .where(c.id.in_(ids))
            .values(deleted_at=now, updated_at=now, version=c.version + 1)
        )

    async def holding(self, wanted: dict[str, set[Any]], *, lock: bool) -> list[Row]:
        """The live contacts holding any of the ``wanted`` values of each identifier column,
        by id: one indexed query per column (an OR across columns lets the planner fall back
        to scanning the tenant). On PostgreSQL locked (``FOR UPDATE``) when ``lock``."""
        found: dict[UUID, Row] = {}
        postgres = self.conn.dialect.name == "postgresql"
        for col, values in wanted.items():
            column = contacts.c[col]
            if postgres:
                # One array parameter: an IN list of a chunk's values would be compiled,
                # sent and parsed as thousands of separate parameters on every chunk.
                array = bindparam(f"any_{col}", sorted(values), type_=ARRAY(column.type))
                query = self.select().where(column == any_(array))
                if lock:
                    query = query.with_for_update()
            else:
                query = self.select().where(column.in_(sorted(values)))
            for r in await self.conn.execute(query):
                found.setdefault(r.id, dict(r._mapping))
        return [found[key] for key in sorted(found)]

    async def take_turn(self, alone: bool) -> None:
        """PostgreSQL: the tenant's bulk lock until commit (or until the savepoint around it
        is rolled back), shared, or exclusive when ``alone``."""
        key = f"roster.bulk:{self.tenant_id}"
        await self.conn.execute(_TURN if alone else _SHARED_TURN, {"k": key})

    async def update_versions(self, updates: list[Row]) -> None:
        """Contacts updated at the version they were read at (``b_id``, ``b_version``), one
        statement for all (executemany)."""
        if updates:
            query = self.update(include_deleted=True).where(
                c.id == bindparam("b_id"), c.version == bindparam("b_version")
            )
            await self.conn.execute(query, updates)

    async def remove_tags(self, removed: list[Row]) -> None:
        """Tag rows ``(b_id, b_tag)`` deleted, one statement for all (executemany)."""
        if removed:
            query = self.delete(contact_tags).where(
                t.contact_id == bindparam("b_id"), t.tag == bindparam("b_tag")
            )
            await self.conn.execute(query, removed)

    async def start_copy(
        self, table: Table, records: Iterable[tuple[Any, ...]], columns: list[str]
    ) -> asyncio.Future[Any]:
        """PostgreSQL: ``COPY table (columns) FROM STDIN`` of ``records`` (each starting with
        this tenant's id) on the driver's connection, under way when this returns; the
        future is done when the COPY is."""
        driver: Any = (await self.conn.get_raw_connection()).driver_connection
        running: asyncio.Future[Any] = asyncio.ensure_future(
            driver.copy_records_to_table(table.name, records=records, columns=columns)
        )
        await asyncio.sleep(0)  # under way: the statement is sent
        return running


async def analyze(conn: AsyncConnection) -> None:
    """PostgreSQL: ANALYZE the tables bulk writes grow, waiting at most a second for a lock
    (another session's vacuum or ANALYZE)."""
    await conn.execute(text("SET LOCAL lock_timeout = '1s'"))
    await conn.execute(_ANALYZE)
