"""Export rows in keyset batches (by id), so memory stays flat whatever the row count.

Each batch is read in its own short transaction (no connection or snapshot is held while
the client reads slowly); a contact changed during a long export shows in whichever state
its batch read. CSV needs its columns up front, so a first query lists the custom field
keys present in the exported set; each key becomes a ``custom_fields.<key>`` column.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy import ColumnElement, func, select, true
from sqlalchemy.ext.asyncio import AsyncEngine

from roster.contacts import render
from roster.contacts.repository import ContactRepository
from roster.kit.db import transaction
from roster.kit.timeutil import rfc3339
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS, contacts

BATCH = 2000
CSV_BATCH = 5000
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


async def custom_keys(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool]
) -> list[str]:
    async with transaction(engine, write=False) as conn:
        repo = ContactRepository(conn, tenant_id)
        if conn.dialect.name == "postgresql":
            key = func.jsonb_object_keys(c.custom_fields)
            inner = repo.select(key.label("key")).where(where).subquery()
            query = select(inner.c.key).distinct().order_by(inner.c.key)
        else:
            each = func.json_each(c.custom_fields).table_valued("key")
            query = (
                repo.select(each.c.key)
                .join_from(contacts, each, true())
                .where(where)
                .distinct()
                .order_by(each.c.key)
            )
        keys = [str(k) for k in (await conn.execute(query.limit(MAX_CUSTOM_KEYS + 1))).scalars()]
    return keys[:MAX_CUSTOM_KEYS]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return orjson.dumps(value).decode()


def _csv_row(row: Any, keys: list[str]) -> list[Any]:
    custom = row.custom_fields or {}
    return [
        str(row.id),
        *(getattr(row, name) or "" for name in TEXT_COLUMNS),
        ",".join(row.tags or []),
        *(getattr(row, f"handle_{ch}") or "" for ch in HANDLE_CHANNELS),
        *(getattr(row, f"pref_{ch}") for ch in PREFERENCE_CHANNELS),
        "true" if row.suppressed else "false",
        row.suppressed_reason or "",
        rfc3339(row.created_at),
        rfc3339(row.updated_at),
        rfc3339(row.deleted_at) or "",
        *(_cell(custom.get(key)) for key in keys),
    ]


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


async def csv_stream(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool]
) -> AsyncIterator[bytes]:
    keys = await custom_keys(engine, tenant_id, where)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*CSV_HEADER, *(f"custom_fields.{k}" for k in keys)])
    yield out.getvalue().encode()
    # The first batch is small so that the first rows leave at once.
    async for batch in rows(engine, tenant_id, where, CSV_COLUMNS, CSV_BATCH, first_batch=200):
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerows(_csv_row(row, keys) for row in batch)
        yield out.getvalue().encode()


async def ndjson_stream(
    engine: AsyncEngine, tenant_id: UUID, where: ColumnElement[bool]
) -> AsyncIterator[bytes]:
    async for batch in rows(engine, tenant_id, where):
        yield b"".join(orjson.dumps(render.contact(dict(r._mapping))) + b"\n" for r in batch)
