"""Copies of an erased contact kept outside its own rows, and how erasure removes them.

- Stored idempotency responses (``idempotency_keys``): a create, a note or a search answered
  with the person's data would be replayed after the erasure. Every key of the tenant whose
  stored response mentions an erased contact (its id, or one of its identifiers as a JSON
  string) is deleted; the key is then free, and a retry runs again (API.md §1).
- Rows of failed imports (``import_errors``, the error file of an import is rendered from
  them): the raw CSV cells of a row that names the person by an identifier (phone in any
  format, email in any case, external id, handle) or by all of its names.
- On SQLite, the WAL still holds the pages as they were before the erasure: ``checkpoint``
  copies it into the database file (where ``secure_delete`` has zeroed the freed content)
  and truncates it, after the erasure has committed.

``forget`` runs in the erasure's transaction. Both scans read only the tenant's rows and
filter in the database; the candidates are checked here before anything is deleted.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from typing import Any
from uuid import UUID

import orjson
import phonenumbers
from sqlalchemy import func
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from roster.contacts import normalize
from roster.errors import RosterError
from roster.gdpr.traces_repository import IMPORT_CELLS, TracesRepository, checkpoint_wal
from roster.kit.db import transaction
from roster.models import HANDLE_CHANNELS

Row = dict[str, Any]
log = logging.getLogger(__name__)

_PHONE_COLUMNS = ("phone", *(f"handle_{c}" for c in sorted(normalize.PHONE_HANDLES)))
_TEXT_HANDLES = tuple(f"handle_{c}" for c in HANDLE_CHANNELS if c not in normalize.PHONE_HANDLES)
_IDENTIFIERS = ("email", "external_id", *_PHONE_COLUMNS, *_TEXT_HANDLES)
_NAMES = ("first_name", "last_name")
# Characters people put between the digits of a phone number.
_PHONE_PUNCTUATION = (" ", "-", "(", ")", ".", "/", "\u00a0")
# How long the checkpoint waits for readers and writers before giving up (it is a clean-up
# after the erasure has committed, not worth holding the response for).
CHECKPOINT_WAIT_MS = 1000


async def forget(conn: AsyncConnection, tenant_id: UUID, erased: list[Row]) -> None:
    """Delete the stored responses and failed import rows that name the ``erased`` contacts
    (their rows as they were before the erasure)."""
    if erased:
        await _forget_responses(conn, tenant_id, erased)
        await _forget_import_rows(conn, tenant_id, erased)


def _json_string(value: str) -> str:
    return orjson.dumps(value).decode()


async def _forget_responses(conn: AsyncConnection, tenant_id: UUID, erased: list[Row]) -> None:
    needles: set[str] = set()
    for row in erased:
        needles.add(str(row["id"]))
        needles.update(_json_string(row[c]) for c in _IDENTIFIERS if row.get(c))
    # The Location header of a create names the contact by its id.
    await TracesRepository(conn, tenant_id).forget_responses(
        sorted(needles), [str(row["id"]) for row in erased]
    )


class _Person:
    """An erased contact's identifiers and names, in the forms a CSV cell is compared in."""

    def __init__(self, row: Row):
        self.texts = {row[c] for c in ("email", "external_id", *_TEXT_HANDLES, *_NAMES, "name")}
        self.texts -= {None, ""}
        self.phones = {row[c] for c in _PHONE_COLUMNS if row.get(c)}
        self.national = {_national_digits(p) for p in self.phones} - {""}
        self.emails = {row["email"].casefold()} if row.get("email") else set()
        self.external_id = row.get("external_id")
        self.handles = {row[c].casefold() for c in _TEXT_HANDLES if row.get(c)}
        self.names = [row[c].strip().casefold() for c in _NAMES if (row.get(c) or "").strip()]
        self.full_name = (row.get("name") or "").strip().casefold()

    def conditions(self, cells: Any) -> list[ColumnElement[bool]]:
        """Whether the JSON text ``cells`` of a row may name the person: one of its values
        (as stored, in upper or lower case; SQLite's lower() folds ASCII only), or the
        digits of one of its phone numbers once the punctuation is removed."""
        found = []
        for value in sorted(self.texts):
            escaped = _json_string(value)[1:-1]
            found.append(func.lower(cells).contains(escaped.lower(), autoescape=True))
            for form in {escaped, escaped.lower(), escaped.upper()}:
                found.append(cells.contains(form, autoescape=True))
        digits = _without_punctuation(cells)
        found += [digits.contains(n, autoescape=True) for n in sorted(self.national)]
        return found

    def named_in(self, cells: list[str], region: str | None) -> bool:
        folded = {cell.strip().casefold() for cell in cells}
        if self.names and all(name in folded for name in self.names):
            return True
        if self.full_name and self.full_name in folded:
            return True
        if self.handles & {cell.removeprefix("@") for cell in folded}:
            return True
        if self.external_id and self.external_id in {cell.strip() for cell in cells}:
            return True
        if any(email in cell for email in self.emails for cell in folded):
            return True
        return any(self._phone(cell, region) for cell in cells)

    def _phone(self, cell: str, region: str | None) -> bool:
        digits = "".join(ch for ch in cell if ch.isdigit())
        if not self.national or not any(n in digits for n in self.national):
            return False
        try:
            return normalize.normalize_phone(cell, region) in self.phones
        except ValueError:
            # Not a number on its own (an extension, other text around it): the digits of
            # the person's number in full, with or without the country code, still name them.
            return any(digits.endswith(n) for n in self.national)


def _national_digits(e164: str) -> str:
    try:
        return str(phonenumbers.parse(e164, None).national_number)
    except phonenumbers.NumberParseException:
        return e164.lstrip("+")


def _without_punctuation(column: Any) -> Any:
    for char in _PHONE_PUNCTUATION:
        column = func.replace(column, char, "")
    return column


async def _forget_import_rows(conn: AsyncConnection, tenant_id: UUID, erased: list[Row]) -> None:
    people = [_Person(row) for row in erased]
    conditions: list[ColumnElement[bool]] = []
    for person in people:
        conditions += person.conditions(IMPORT_CELLS)
    if not conditions:
        return
    repo = TracesRepository(conn, tenant_id)
    candidates = await repo.import_rows(conditions)
    if not candidates:
        return
    regions = await repo.import_regions(sorted({job_id for job_id, _ in candidates}))
    doomed: dict[UUID, list[int]] = defaultdict(list)
    for (job_id, row), row_cells in candidates.items():
        values = [str(cell) for cell in row_cells or []]
        if any(person.named_in(values, regions.get(job_id)) for person in people):
            doomed[job_id].append(row)
    for job_id, rows in doomed.items():
        await repo.delete_import_rows(job_id, sorted(rows))


async def checkpoint(engine: AsyncEngine) -> None:
    """SQLite, after an erasure has committed: copy the WAL into the database file and
    truncate it, so that its frames with the pages as they were before the erasure go.

    Best effort: it needs every reader to have moved past those frames and no writer, and
    waits for that at most ``CHECKPOINT_WAIT_MS``; when it cannot finish, the frames are
    copied and overwritten by later (automatic) checkpoints instead (docs/consent.md).
    """
    if engine.dialect.name != "sqlite":
        return
    try:
        # Statement by statement: a checkpoint cannot run inside a transaction.
        async with transaction(engine, write=False, single_reads=True) as conn:
            done = await checkpoint_wal(conn, CHECKPOINT_WAIT_MS)
    except (DBAPIError, RosterError, OSError):
        log.warning("WAL checkpoint after an erasure failed", exc_info=True)
        return
    if not done:
        log.info("WAL checkpoint after an erasure was busy; a later one completes it")
