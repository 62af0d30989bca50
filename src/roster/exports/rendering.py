"""The CSV export's columns and lines, rendered in Python (SQLite, and PostgreSQL past the
COPY share); ``pg_sql`` renders the same bytes in PostgreSQL.

CSV needs its columns up front: they come from the tenant's custom field key registry
(``contact_custom_keys``, which every contact writer keeps), so the header leaves before any
row is read; a key no exported contact has gives an empty column.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy.ext.asyncio import AsyncEngine

from roster.exports.repository import ExportRepository
from roster.kit.db import transaction
from roster.kit.timeutil import rfc3339
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS, contacts

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


async def custom_keys(engine: AsyncEngine, tenant_id: UUID) -> list[str]:
    """The tenant's custom field keys, in code point order (at most MAX_CUSTOM_KEYS)."""
    async with transaction(engine, write=False) as conn:
        return await ExportRepository(conn, tenant_id).custom_keys()


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
