"""Export rows in keyset batches (by id), so memory stays flat whatever the row count.

Each batch is read in its own short transaction (no connection or snapshot is held while
the client reads slowly); a contact changed during a long export shows in whichever state
its batch read. CSV needs its columns up front: they come from the tenant's custom field key
registry (``contact_custom_keys``, kept by triggers on every write), so the header leaves
before any row is read; a key no exported contact has gives an empty column.

On PostgreSQL each CSV batch is rendered by the database (``COPY (SELECT …) TO STDOUT``, see
``pg_select_list``) byte for byte as ``csv_lines`` renders it in Python (SQLite).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import ColumnElement, String, cast, select
from sqlalchemy.ext.asyncio import AsyncEngine

from roster.contacts import render
from roster.contacts.repository import ContactRepository
from roster.kit.db import transaction
from roster.kit.timeutil import rfc3339
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS, contact_custom_keys, contacts

BATCH = 2000
CSV_BATCH = 5000
# Rows per COPY on PostgreSQL (a few MB of CSV held at a time).
COPY_BATCH = 10_000
# The first batch is small so that the first rows leave at once.
FIRST_BATCH = 200
MAX_CUSTOM_KEYS = 2000
c = contacts.c

TEXT_COLUMNS = (
    "first_name",
    "last_name",
    "name",
    "phone",
    "email",
    "external_id",
    "company",
    "job_title",
    "status",
    "country",
    "language",
    "avatar_url",
    "source",
)
CSV_HEADER = (
    "id",
    *TEXT_COLUMNS,
    "tags",
    *(f"handles.{ch}" for ch in HANDLE_CHANNELS),
    *(f"preferences.{ch}" for ch in PREFERENCE_CHANNELS),
    "suppressed",
    "suppressed_reason",
    "created_at",
    "updated_at",
    "deleted_at",
)


async def custom_keys(engine: AsyncEngine, tenant_id: UUID) -> list[str]:
    """The tenant's custom field keys, in code point order (at most MAX_CUSTOM_KEYS)."""
    async with transaction(engine, write=False) as conn:
        query = select(contact_custom_keys.c.key).where(
            contact_custom_keys.c.tenant_id == tenant_id
        )
        keys = sorted(str(k) for k in (await conn.execute(query)).scalars())
    return keys[:MAX_CUSTOM_KEYS]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _time(value: datetime | None) -> str:
    """rfc3339(), through the C isoformat when the value is in UTC already."""
    if value is None:
        return ""
    if value.tzinfo is UTC:
        return value.isoformat(timespec="milliseconds")[:-6] + "Z"
    return rfc3339(value) or ""


# Where each part of a CSV_COLUMNS row is.
_TEXT = slice(1, 1 + len(TEXT_COLUMNS))
_TAGS = _TEXT.stop
_HANDLES = slice(_TAGS + 1, _TAGS + 1 + len(HANDLE_CHANNELS))
_PREFS = slice(_HANDLES.stop, _HANDLES.stop + len(PREFERENCE_CHANNELS))
_SUPPRESSED = _PREFS.stop


def _csv_row(row: Any, keys: list[str]) -> list[Any]:
    """One CSV line's cells from a row of CSV_COLUMNS (read by position: by name costs)."""
    v = tuple(row)
    custom = v[-1] or {}
    return [
        str(v[0]),
        *[x or "" for x in v[_TEXT]],
        ",".join(v[_TAGS] or ()),
        *[x or "" for x in v[_HANDLES]],
        *v[_PREFS],
        "true" if v[_SUPPRESSED] else "false",
        v[_SUPPRESSED + 1] or "",
        _time(v[_SUPPRESSED + 2]),
        _time(v[_SUPPRESSED + 3]),
        _time(v[_SUPPRESSED + 4]),
        *[_cell(custom.get(key)) for key in keys],
    ]


def _write(lines: list[list[Any]], terminator: str) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator=terminator).writerows(lines)
    return out.getvalue()


def csv_lines(rows: list[Any], keys: list[str]) -> bytes:
    """The CSV lines of ``rows`` (each ends with ``\\n``; a cell holding a comma, a quote, a
    line feed or a carriage return is quoted, as RFC 4180 and PostgreSQL's COPY do)."""
    lines = [_csv_row(row, keys) for row in rows]
    text = _write(lines, "\n")
    if "\r" in text:
        # Python's csv module quotes only the line terminator's characters: write the
        # lines holding a carriage return with "\r\n" (which quotes it) and end them in "\n".
        text = "".join(
            _write([line], "\r\n")[:-2] + "\n"
            if any("\r" in cell for cell in line if isinstance(cell, str))
            else _write([line], "\n")
            for line in lines
        )
    return text.encode()


def csv_header(keys: list[str]) -> bytes:
    return _write([[*CSV_HEADER, *(f"custom_fields.{k}" for k in keys)]], "\n").encode()


# The columns a CSV line is made of (the search and sort columns are never read).
CSV_COLUMNS = (
    c.id,
    *(c[name] for name in TEXT_COLUMNS),
    c.tags,
    *(c[f"handle_{ch}"] for ch in HANDLE_CHANNELS),
    *(c[f"pref_{ch}"] for ch in PREFERENCE_CHANNELS),
    c.suppressed,
    c.suppressed_reason,
    c.created_at,
    c.updated_at,
    c.deleted_at,
    c.custom_fields,
)


def _pg_time(column: str) -> str:
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')"""


def _pg_custom(key: str) -> str:
    """A custom field cell: a string as it is, another JSON value as orjson writes it."""
    value = "custom_fields -> '" + key.replace("'", "''") + "'"
    text = f"({value} #>> '{{}}')"
    number = (
        f"CASE WHEN strpos({text}, '.') = 0 AND length({text}) < 19 THEN {text} "
        f"WHEN strpos({text}::float8::text, '.') > 0 AND strpos({text}::float8::text, 'e') = 0 "
        f"THEN {text}::float8::text ELSE roster_json_number({text}) END"
    )
    return (
        f"CASE jsonb_typeof({value}) WHEN 'string' THEN NULLIF({text}, '') "
        f"WHEN 'boolean' THEN {text} WHEN 'number' THEN {number} "
        f"WHEN 'null' THEN NULL ELSE roster_json_compact({value}) END"
    )


def pg_select_list(keys: list[str]) -> str:
    """The CSV line's cells as PostgreSQL expressions. COPY writes NULL as an empty cell and
    quotes an empty string, so every value that renders as "" in Python is NULL here."""
    return ", ".join(
        [
            "id::text",
            *(f"NULLIF({name}, '')" for name in TEXT_COLUMNS),
            "NULLIF(array_to_string(ARRAY(SELECT jsonb_array_elements_text(tags)), ','), '')",
            *(f"NULLIF(handle_{ch}, '')" for ch in HANDLE_CHANNELS),
            *(f"NULLIF(pref_{ch}, '')" for ch in PREFERENCE_CHANNELS),
            "CASE WHEN suppressed THEN 'true' ELSE 'false' END",
            "NULLIF(suppressed_reason, '')",
            _pg_time("created_at"),
            _pg_time("updated_at"),
            _pg_time("deleted_at"),
            *(_pg_custom(key) for key in keys),
        ]
    )


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
            repo = ContactRepository(conn, tenant_id)
            query = repo.select(*columns).where(where)
            if after is not None:
                query = query.where(c.id > after)
            batch = (await conn.execute(query.order_by(c.id).limit(limit))).all()
        if not batch:
            return
        yield list(batch)
        after = batch[-1].id
        limit = batch_size


async def _copy(raw: Any, sql: str) -> bytes:
    chunks: list[bytes] = []

    async def keep(chunk: bytes) -> None:
        chunks.append(chunk)

    await raw.copy_from_query(sql, output=keep, format="csv")
    return b"".join(chunks)


async def _pg_batches(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool], keys: list[str]
) -> AsyncIterator[bytes]:
    """CSV lines from PostgreSQL's COPY, a keyset batch per transaction.

    COPY takes no parameters, so the filter is not put into it: a query with the filter
    picks the batch's ids, and the COPY reads those ids (uuids printed by the database).
    """
    cells = pg_select_list(keys)
    after: str | None = None
    limit = FIRST_BATCH
    while True:
        async with transaction(engine, write=False) as conn:
            repo = ContactRepository(conn, tenant_id)
            query = repo.select(cast(c.id, String)).where(where)
            if after is not None:
                query = query.where(c.id > UUID(after))
            ids = list((await conn.execute(query.order_by(c.id).limit(limit))).scalars())
            if not ids:
                return
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            # Safe to inline: the ids are uuids as PostgreSQL printed them, the tenant a UUID,
            # the keys quoted as SQL literals in pg_select_list.
            sql = (
                f"SELECT {cells} FROM contacts WHERE tenant_id = '{UUID(str(tenant_id))}' "  # noqa: S608
                f"AND id = ANY('{{{','.join(ids)}}}'::uuid[]) ORDER BY id"
            )
            data = await _copy(raw, sql)
        yield data
        after = ids[-1]
        limit = COPY_BATCH


async def csv_stream(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool]
) -> AsyncIterator[bytes]:
    keys = await custom_keys(engine, tenant_id)
    yield csv_header(keys)
    if engine.dialect.name == "postgresql":
        async for chunk in _pg_batches(engine, tenant_id, where, keys):
            yield chunk
        return
    async for batch in rows(
        engine, tenant_id, where, CSV_COLUMNS, CSV_BATCH, first_batch=FIRST_BATCH
    ):
        yield csv_lines(batch, keys)


async def ndjson_stream(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool]
) -> AsyncIterator[bytes]:
    async for batch in rows(engine, tenant_id, where):
        yield b"".join(orjson.dumps(render.contact(dict(r._mapping))) + b"\n" for r in batch)
