"""Export rows, with memory that stays flat whatever the row count.

PostgreSQL, CSV: the whole export is one ``COPY (SELECT … ORDER BY id) TO STDOUT`` whose
cells are SQL expressions rendering each value byte for byte as ``csv_lines`` renders it in
Python (``pg_select_list``). COPY takes no parameters, so the filter is written into the
statement with every value rendered as a literal by the dialect (``literal_sql``); a value
holding NUL, which PostgreSQL cannot hold, is refused (400) before the response starts. The
COPY's output reaches the response through a queue of at most ``QUEUE_CHUNKS`` chunks: when
the client reads slowly the queue fills, the driver stops reading the socket and the server
waits, so memory stays bounded; a client that reads nothing for ``STALL_SECONDS`` ends the
export. One statement reads one snapshot: the export is the contacts as they were when it
started (writes committed while it runs are not in it), and it holds one connection until
it ends.

SQLite (and NDJSON): keyset batches (by id), each read in its own short transaction; a
contact changed during a long export shows in whichever state its batch read.

CSV needs its columns up front: they come from the tenant's custom field key registry
(``contact_custom_keys``, kept by triggers on every write), so the header leaves before any
row is read; a key no exported contact has gives an empty column.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import functools
import io
import json
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import ColumnElement, Text, literal, literal_column, select, text
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql import sqltypes
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from roster.contacts import render
from roster.contacts.repository import ContactRepository
from roster.errors import InvalidRequest
from roster.kit.db import transaction
from roster.kit.jsonguard import nul_path
from roster.kit.timeutil import rfc3339
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS, contact_custom_keys, contacts

BATCH = 2000
CSV_BATCH = 5000
# The first batch is small so that the first rows leave at once.
FIRST_BATCH = 200
# PostgreSQL: the COPY's chunks (each what the driver read at once, up to a few hundred KB)
# waiting for the client, at most.
QUEUE_CHUNKS = 16
# The COPY's chunks are joined into writes of this many bytes, each waiting at most
# WRITE_WAIT seconds for the database.
WRITE_BYTES = 1 << 18
WRITE_WAIT = 0.05
# A client that reads nothing for this long ends its export (which holds a connection).
STALL_SECONDS = 60.0
# The longest an export may run.
EXPORT_SECONDS = 4 * 3600
# A reader that leaves stops the COPY at its next chunk (the connection stays usable); a
# COPY that sends nothing for this long after that is cancelled (the connection is dropped).
LEAVE_SECONDS = 10.0
# PostgreSQL's parallel workers for an export's COPY (when its planner finds them worth it).
COPY_WORKERS = 2
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
        return await _custom_keys_in(conn, tenant_id)


async def _custom_keys_in(conn: AsyncConnection, tenant_id: UUID) -> list[str]:
    """``custom_keys``, read in ``conn``'s transaction."""
    query = select(contact_custom_keys.c.key).where(contact_custom_keys.c.tenant_id == tenant_id)
    keys = sorted(str(k) for k in (await conn.execute(query)).scalars())
    return keys[:MAX_CUSTOM_KEYS]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _time(value: datetime | None) -> str:
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


def _pg_custom(key: str, dialect: Dialect) -> str:
    """A custom field cell: a string as it is, another JSON value as orjson writes it (a
    missing key or JSON null: NULL, an empty cell). ``->>`` gives a scalar's text directly,
    one look-up instead of ``-> … #>> '{}'``."""
    name = literal_sql(literal(key, Text()), dialect)
    value = f"custom_fields -> {name}"
    text = f"(custom_fields ->> {name})"
    # An integer as it is; a float as PostgreSQL's shortest text when that is orjson's
    # (".0" added to a whole one); an exponent (orjson writes those differently) by
    # roster_json_number. A float whose text is already the shortest is kept as it is,
    # without the round trip through float8: at most 15 significant digits (at most 16
    # characters with the point) always come back the same from a double, so without a
    # trailing zero (but for a whole "12.0") they are the shortest text, and between 1e-4
    # and 1e15 PostgreSQL writes them without an exponent.
    double = f"{text}::float8::text"
    number = (
        f"CASE WHEN strpos({text}, '.') = 0 AND length({text}) < 19 THEN {text} "
        f"WHEN length({text}) <= 16 AND left(ltrim({text}, '-'), 6) <> '0.0000' "
        f"AND (right({text}, 1) <> '0' OR right({text}, 2) = '.0') THEN {text} "
        f"WHEN strpos({double}, 'e') > 0 THEN roster_json_number({text}) "
        f"WHEN strpos({double}, '.') > 0 THEN {double} ELSE {double} || '.0' END"
    )
    return (
        f"CASE jsonb_typeof({value}) WHEN 'string' THEN NULLIF({text}, '') "
        f"WHEN 'number' THEN {number} WHEN 'boolean' THEN {text} "
        f"WHEN 'object' THEN roster_json_compact({value}) "
        f"WHEN 'array' THEN roster_json_compact({value}) END"
    )


# The tags joined by ",", from the array's JSON text in one pass of string functions (no
# subquery: a SubPlan would keep the COPY from running in parallel workers). Tags are
# strings without control characters, so the only escapes jsonb writes in them are \\ and
# \" (chr(92) is the backslash): those become chr(1) and chr(2), which no tag holds; then
# every quote left is the array's own, so dropping '["' and '"]' at the ends and making each
# '", "' a comma leaves the tags, whose escapes are then put back as the characters.
_PG_TAGS = (
    "NULLIF(replace(replace(replace(left(right("
    "replace(replace(tags::text, chr(92) || chr(92), chr(1)), chr(92) || '\"', chr(2)), "
    "-2), -2), '\", \"', ','), chr(2), '\"'), chr(1), chr(92)), '')"
)


def pg_select_list(keys: list[str], dialect: Dialect) -> str:
    """The CSV line's cells as PostgreSQL expressions. COPY writes NULL as an empty cell and
    quotes an empty string, so every value that renders as "" in Python is NULL here."""
    return ", ".join(
        [
            "id::text",
            *(f"NULLIF({name}, '')" for name in TEXT_COLUMNS),
            _PG_TAGS,
            *(f"NULLIF(handle_{ch}, '')" for ch in HANDLE_CHANNELS),
            *(f"NULLIF(pref_{ch}, '')" for ch in PREFERENCE_CHANNELS),
            "CASE WHEN suppressed THEN 'true' ELSE 'false' END",
            "NULLIF(suppressed_reason, '')",
            _pg_time("created_at"),
            _pg_time("updated_at"),
            _pg_time("deleted_at"),
            *(_pg_custom(key, dialect) for key in keys),
        ]
    )


# --- literal SQL (PostgreSQL's COPY takes no parameters) ---------------------------------


_NUL = "a filter value holds the NUL character (U+0000)"


@functools.cache
def _literal_compiler(base: Any) -> type[SQLCompiler]:
    class LiteralCompiler(base):  # type: ignore[misc]
        """The dialect's compiler with every bound value rendered as a literal by the
        dialect itself; JSON values (which it has no literal renderer for) as their JSON
        text rendered as a string literal, cast to the JSON type."""

        def render_literal_value(self, value: Any, type_: Any) -> str:
            if isinstance(type_, sqltypes.JSON):
                if nul_path(value) is not None:
                    raise InvalidRequest(_NUL)
                # The engine's own JSON serializer, as binding a JSON value would use it.
                json_type: Any = sqltypes.JSON()
                serialize = json_type.bind_processor(self.dialect) or json.dumps
                document = super().render_literal_value(serialize(value), Text())
                return f"{document}::{type_.compile(dialect=self.dialect)}"
            rendered: str = super().render_literal_value(value, type_)
            return rendered

    return LiteralCompiler


def literal_sql(element: ClauseElement, dialect: Dialect) -> str:
    """``element`` as SQL text whose values are literals written by the dialect's own
    literal rendering (quotes doubled; backslashes doubled when the dialect found
    ``standard_conforming_strings`` off, see ``_COPY_SETTINGS``). 400 for a value holding
    NUL, which no PostgreSQL text or JSON value can hold."""
    base: Any = dialect.statement_compiler
    sql: str = _literal_compiler(base)(
        dialect, element, compile_kwargs={"literal_binds": True}
    ).string
    if "\x00" in sql:
        raise InvalidRequest(_NUL)
    return sql


_SELECT_ONE = "SELECT 1 "


def pg_from_clause(dialect: Dialect, tenant_id: UUID, where: ColumnElement[bool]) -> str:
    """``FROM contacts WHERE <tenant and where> ORDER BY contacts.id`` as literal SQL."""
    query: Any = (
        select(literal_column("1"))
        .select_from(contacts)
        .where(c.tenant_id == tenant_id, where)
        .order_by(c.id)
    )
    sql = literal_sql(query, dialect)
    if not sql.startswith(_SELECT_ONE):
        raise AssertionError(f"unexpected SELECT rendering: {sql[:40]!r}")
    return sql[len(_SELECT_ONE) :]


# --- reading ------------------------------------------------------------------------------


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


# Set for the COPY's transaction: no statement timeout but the export's own bound; the
# string literal syntax the dialect rendered the filter's values for; and parallel workers
# (off for Roster's short queries), which render rows while the COPY's own process sends
# them, keeping id order (Gather Merge).
_COPY_SETTINGS = text(
    "SELECT set_config('statement_timeout', :timeout, true), "
    "set_config('standard_conforming_strings', :strings, true), "
    "set_config('max_parallel_workers_per_gather', :workers, true), "
    "set_config('parallel_leader_participation', 'off', true)"
)


class _ReaderLeft(Exception):
    """The export's reader is gone."""


async def _pg_copy(
    engine: AsyncEngine,
    tenant_id: UUID,
    from_clause: str,
    queue: asyncio.Queue[bytes | bytearray | BaseException | None],
    slots: asyncio.Semaphore,
    left: asyncio.Event,
) -> None:
    """The header, then the COPY's output, into ``queue`` (a slot of ``slots`` per chunk);
    ends with None, or with the exception that ended it. Once ``left`` is set, the next
    chunk raises ``_ReaderLeft`` in the driver's output callback: the driver then cancels
    the COPY on the server, and the transaction rolls back on a connection still usable."""

    async def put(chunk: bytes | bytearray) -> None:
        async with asyncio.timeout(STALL_SECONDS):
            await slots.acquire()
        if left.is_set():
            raise _ReaderLeft
        queue.put_nowait(chunk)

    try:
        async with transaction(engine, write=False) as conn:
            # "off" when the dialect's literals double backslashes (it found
            # standard_conforming_strings off on the server).
            strings = "off" if "\\\\" in literal_sql(literal("\\"), conn.dialect) else "on"
            settings = {
                "timeout": str(EXPORT_SECONDS * 1000),
                "strings": strings,
                "workers": str(COPY_WORKERS),
            }
            await conn.execute(_COPY_SETTINGS, settings)
            keys = await _custom_keys_in(conn, tenant_id)  # in the COPY's snapshot
            await put(csv_header(keys))
            sql = f"SELECT {pg_select_list(keys, conn.dialect)} {from_clause}"
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            await raw.copy_from_query(sql, output=put, format="csv", timeout=EXPORT_SECONDS)
    except BaseException as exc:
        queue.put_nowait(exc)
        raise
    queue.put_nowait(None)


async def _pg_csv(
    engine: AsyncEngine, tenant_id: UUID, from_clause: str
) -> AsyncGenerator[bytes, None]:
    """The header at once, then the COPY's chunks joined into writes of WRITE_BYTES (each
    chunk is what the driver read at once, often a few KB): fewer, larger writes cost less
    per byte in the server and in the client. A write waits at most WRITE_WAIT for more."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | bytearray | BaseException | None] = asyncio.Queue()
    slots = asyncio.Semaphore(QUEUE_CHUNKS)
    left = asyncio.Event()
    producer = asyncio.create_task(_pg_copy(engine, tenant_id, from_clause, queue, slots, left))
    try:
        end: BaseException | None = None
        finished = False
        wait = 0.0  # the header leaves alone, at once
        while not finished:
            item = await queue.get()
            parts: list[bytes | bytearray] = []
            size = 0
            deadline = loop.time() + wait
            while True:
                if item is None or isinstance(item, BaseException):
                    end, finished = item, True
                    break
                parts.append(item)
                size += len(item)
                slots.release()
                if size >= WRITE_BYTES:
                    break
                if not queue.empty():
                    item = queue.get_nowait()
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    async with asyncio.timeout(remaining):
                        item = await queue.get()
                except TimeoutError:
                    break
            if parts:
                # bytes, as ASGI wants (the driver hands out bytearrays).
                yield b"".join(parts)
            wait = WRITE_WAIT
        if end is not None:
            raise end
    finally:
        if not producer.done():
            # The reader left (or failed): stop the COPY at its next chunk, or at once if it
            # is still waiting for the database after LEAVE_SECONDS.
            left.set()
            slots.release()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(producer), LEAVE_SECONDS)
            producer.cancel()
        with contextlib.suppress(BaseException):
            await producer


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
        _pg_csv(engine, tenant_id, from_clause) if copy else _python_csv(engine, tenant_id, where)
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
