"""The queries that find and delete an erased contact's copies outside its own rows
(``traces``): stored idempotency responses, rows of failed imports, and SQLite's WAL."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import LargeBinary, Text, cast, func, literal, or_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.kit.repository import TenantRepository
from roster.models import idempotency_keys, import_errors, jobs

# The JSON text of a failed import row's cells, as ``traces`` builds its conditions on it.
IMPORT_CELLS = cast(import_errors.c.cells, Text)


def _bytes_contain(conn: AsyncConnection, column: Any, needle: bytes) -> ColumnElement[bool]:
    """``needle`` occurs in the bytea/BLOB ``column`` (byte for byte, any encoding)."""
    value = literal(needle, LargeBinary)
    if conn.dialect.name == "postgresql":
        # position(needle IN haystack), in its function form (the keyword form has no
        # SQLAlchemy construct).
        return func.pg_catalog.position(column, value) > 0
    return func.instr(column, value) > 0


class TracesRepository(TenantRepository):
    table = import_errors

    async def forget_responses(self, needles: list[str], contact_ids: list[str]) -> None:
        """Delete the tenant's stored responses whose body holds one of ``needles`` or
        whose headers name one of ``contact_ids`` (the Location of a create)."""
        k = idempotency_keys.c
        mentions = [_bytes_contain(self.conn, k.response_body, n.encode()) for n in needles]
        headers = cast(k.response_headers, Text)
        mentions += [headers.contains(value, autoescape=True) for value in contact_ids]
        await self.conn.execute(self.delete(idempotency_keys).where(or_(*mentions)))

    async def import_rows(
        self, conditions: list[ColumnElement[bool]]
    ) -> dict[tuple[UUID, int], list[Any]]:
        """The failed import rows whose cells meet one of ``conditions``, by (job, row)."""
        e = import_errors.c
        query = self.select(e.job_id, e.row, e.cells).where(or_(*conditions))
        return {(r.job_id, r.row): r.cells for r in await self.conn.execute(query)}

    async def import_regions(self, job_ids: list[UUID]) -> dict[UUID, str | None]:
        """The default region each import job read its phone numbers in."""
        query = self.select(jobs.c.id, jobs.c.params, table=jobs).where(jobs.c.id.in_(job_ids))
        return {r.id: (r.params or {}).get("region") for r in await self.conn.execute(query)}

    async def delete_import_rows(self, job_id: UUID, rows: list[int]) -> None:
        e = import_errors.c
        await self.conn.execute(self.delete().where(e.job_id == job_id, e.row.in_(rows)))


async def checkpoint_wal(conn: AsyncConnection, wait_ms: int) -> bool:
    """SQLite: copy the WAL into the database file and truncate it, waiting at most
    ``wait_ms`` for readers and writers; False when it was busy and could not finish.
    ``conn`` must be in no transaction (a unit of work of single reads)."""
    usual = (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar_one()
    await conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
    try:
        result = await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        busy = result.first()
    finally:
        await conn.exec_driver_sql(f"PRAGMA busy_timeout={int(usual)}")
    return not (busy is not None and busy[0])
