"""Export rows, with memory that stays flat whatever the row count.

PostgreSQL, CSV: one ``COPY`` (``pg_copy``), its statement written as literal SQL
(``pg_sql``), while this process has room for it (``copy_room``). SQLite, NDJSON, and CSV
past that room: keyset batches (by id), each read in its own short transaction, rendered
in Python (``rendering``); a contact changed during a long export shows in whichever state
its batch read.
"""

from __future__ import annotations

import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncEngine

from roster.contacts import render
from roster.exports.pg_copy import pg_csv
from roster.exports.pg_sql import literal_sql, pg_from_clause
from roster.exports.rendering import (
    CSV_COLUMNS,
    TEXT_COLUMNS,
    csv_header,
    csv_lines,
    custom_keys,
)
from roster.exports.repository import ExportRepository
from roster.kit.db import transaction
from roster.models import contacts

__all__ = [
    "CSV_COLUMNS",
    "TEXT_COLUMNS",
    "copy_room",
    "csv_header",
    "csv_lines",
    "csv_stream",
    "custom_keys",
    "literal_sql",
    "ndjson_stream",
    "rows",
]

BATCH = 2000
CSV_BATCH = 5000
# The first batch is small so that the first rows leave at once.
FIRST_BATCH = 200
c = contacts.c


async def rows(
    engine: AsyncEngine,
    tenant_id: UUID,
    where: ColumnElement[bool],
    columns: tuple[Any, ...] = (),
    batch_size: int = BATCH,
    first_batch: int | None = None,
) -> AsyncIterator[list[Any]]:
    after: UUID | None = None
    limit = first_batch or batch_size
    while True:
        async with transaction(engine, write=False) as conn:
            batch = await ExportRepository(conn, tenant_id).batch(where, columns, after, limit)
        if not batch:
            return
        yield list(batch)
        after = batch[-1].id
        limit = batch_size


async def _python_csv(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool]
) -> AsyncGenerator[bytes, None]:
    keys = await custom_keys(engine, tenant_id)
    yield csv_header(keys)
    async for batch in rows(
        engine, tenant_id, where, CSV_COLUMNS, CSV_BATCH, first_batch=FIRST_BATCH
    ):
        yield csv_lines(batch, keys)


# PostgreSQL CSV exports running as one COPY in this process, by engine. Each holds a
# pooled connection for as long as it runs; past COPY_SHARE of the pool, further exports
# are read in batches instead (a connection only while a batch is read), so exports never
# take the connections the API needs.
_copies: weakref.WeakKeyDictionary[Any, int] = weakref.WeakKeyDictionary()
COPY_SHARE = 0.5


def copy_room(engine: AsyncEngine) -> int:
    """How many more exports may run as one COPY now."""
    limit = max(1, int(engine.sync_engine.pool.size() * COPY_SHARE))  # type: ignore[attr-defined]
    return limit - _copies.get(engine.sync_engine, 0)


async def _pg_or_batched_csv(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool], from_clause: str
) -> AsyncGenerator[bytes, None]:
    key = engine.sync_engine
    copy = copy_room(engine) > 0
    if copy:
        _copies[key] = _copies.get(key, 0) + 1
    inner = (
        pg_csv(engine, tenant_id, from_clause) if copy else _python_csv(engine, tenant_id, where)
    )
    try:
        async for chunk in inner:
            yield chunk
    finally:
        # Closed here, at once (a reader that left): ``async for`` leaves it to the GC.
        await inner.aclose()
        if copy:
            _copies[key] -= 1


def csv_stream(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool]
) -> AsyncGenerator[bytes, None]:
    """The CSV export's body. On PostgreSQL the statement is written here, before the
    response starts, so that a value it cannot hold is a 400 rather than a cut body."""
    if engine.dialect.name == "postgresql":
        from_clause = pg_from_clause(engine.dialect, tenant_id, where)
        return _pg_or_batched_csv(engine, tenant_id, where, from_clause)
    return _python_csv(engine, tenant_id, where)


def ndjson_stream(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool]
) -> AsyncIterator[bytes]:
    if engine.dialect.name == "postgresql":
        pg_from_clause(engine.dialect, tenant_id, where)  # the same refusals as CSV
    return _ndjson(engine, tenant_id, where)


async def _ndjson(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool]
) -> AsyncIterator[bytes]:
    async for batch in rows(engine, tenant_id, where):
        yield b"".join(orjson.dumps(render.contact(dict(r._mapping))) + b"\n" for r in batch)
