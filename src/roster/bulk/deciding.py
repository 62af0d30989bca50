"""Preparing and deciding a chunk's items in memory, each as a single write in order would.

A later item matching an earlier one updates it (upsert), or fails with ``conflict``
(create); an identifier held by another contact fails that item alone with ``conflict``; an
item that would write nothing new is ``unchanged`` (no version bump, no event, as a PATCH
that changes nothing).
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

from roster.contacts import fields
from roster.contacts.repository import IDENTIFIERS
from roster.contacts.service import MATCH_COLUMNS
from roster.errors import Conflict, RosterError, ValidationFailed
from roster.kit.ids import uuid7

Row = dict[str, Any]
Mode = Literal["create", "upsert", "update_only"]


@dataclass(slots=True)
class Item:
    """One contact to write, validated as if new (``prepare``)."""

    index: int
    patch: Row
    candidate: Row | None = None
    match_column: str | None = None
    error: Row | None = None


@dataclass(slots=True)
class Outcome:
    index: int
    status: Literal["created", "updated", "unchanged", "skipped", "failed"]
    id: UUID | None = None
    error: Row | None = None


@dataclass(eq=False, slots=True)
class Entry:
    id: UUID
    values: Row
    stored: Row | None  # the row as loaded; None for a contact created in this chunk
    keys: set[tuple[str, Any]] = field(default_factory=set)


def prepare(
    index: int,
    patch: Row,
    *,
    match_on: str | None,
    region: str,
    checks: Mapping[str, fields.FieldCheck] | None = None,
) -> Item:
    """Validate ``patch`` as a new contact and find the identifier to match on (``checks``:
    the tenant's custom field definitions).

    Pure (no I/O): imports run it in worker threads or processes.
    """
    item = Item(index, patch)
    chosen = match_on or next((f for f in fields.IDENTITY if patch.get(f) is not None), None)
    try:
        if match_on is not None and patch.get(match_on) is None:
            raise ValidationFailed.one(match_on, f"required to match on {match_on}")
        item.candidate = fields.apply(fields.blank(), patch, region, checks)
    except RosterError as exc:
        item.error = exc.body()
        return item
    item.match_column = MATCH_COLUMNS[chosen] if chosen else None
    return item


_gc_pauses = 0
_gc_lock = threading.Lock()


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a chunk is validated or written.

    A chunk allocates tens of thousands of objects that live until it is done (items,
    rows, records), so the collector would run again and again over the same live objects
    (and over the rest of the heap) for little garbage, a large share of a chunk's CPU
    time. Reference counting still frees everything as usual; cycles wait for the
    next collection after the pause. Pauses may overlap (a validation thread beside a
    write); the collector comes back on when the last one ends.
    """
    global _gc_pauses
    with _gc_lock:
        if _gc_pauses == 0 and not gc.isenabled():
            mine = False  # switched off by someone else: leave it alone
        else:
            mine = True
            _gc_pauses += 1
            gc.disable()
    try:
        yield
    finally:
        if mine:
            with _gc_lock:
                _gc_pauses -= 1
                if _gc_pauses == 0:
                    gc.enable()


def identifiers_of(values: Row) -> set[tuple[str, Any]]:
    return {(col, values[col]) for col in IDENTIFIERS if values.get(col) is not None}


class Chunk:
    """The in-memory state of one chunk: entries indexed by every identifier they hold."""

    def __init__(self, loaded: list[Row]):
        self.index: dict[tuple[str, Any], Entry] = {}
        self.entries: list[Entry] = []
        for row in loaded:
            self._add(Entry(row["id"], row, row))

    def _add(self, entry: Entry) -> None:
        self.entries.append(entry)
        self._reindex(entry)

    def _reindex(self, entry: Entry) -> None:
        for key in entry.keys:
            if self.index.get(key) is entry:
                del self.index[key]
        entry.keys = identifiers_of(entry.values)
        for key in entry.keys:
            self.index[key] = entry

    def holder(self, values: Row, me: Entry | None) -> Conflict | None:
        for col, value in identifiers_of(values):
            other = self.index.get((col, value))
            if other is not None and other is not me:
                return Conflict(IDENTIFIERS[col], other.id)
        return None

    def create(self, values: Row, id_: UUID | None) -> Entry:
        entry = Entry(id_ or uuid7(), values, None)
        self._add(entry)
        return entry

    def change(self, entry: Entry, values: Row) -> None:
        entry.values = values
        self._reindex(entry)


def _with_tags(values: Row, add_tags: list[str]) -> Row:
    if not add_tags:
        return values
    return {**values, "tags": sorted({*values["tags"], *add_tags})}


def decide(
    chunk: Chunk,
    items: list[Item],
    mode: Mode,
    region: str,
    add_tags: list[str],
    checks: Mapping[str, fields.FieldCheck] | None,
    new_ids: dict[int, UUID],
) -> list[Outcome]:
    """``new_ids``: the id each item creates a contact with, by item index, kept there for
    the next decision of the same items (the chunk decided again in its turn)."""
    outcomes: list[Outcome] = []
    for item in items:
        if item.error is not None or item.candidate is None:
            outcomes.append(Outcome(item.index, "failed", error=item.error))
            continue
        found: Entry | None = None
        if item.match_column is not None:
            found = chunk.index.get((item.match_column, item.candidate[item.match_column]))
        try:
            if found is not None and mode != "create":
                values = fields.apply(found.values, item.patch, region, checks)
                values = _with_tags(values, add_tags)
                if not fields.changed(found.values, values):
                    outcomes.append(Outcome(item.index, "unchanged", found.id))
                    continue
                conflict = chunk.holder(values, found)
                if conflict:
                    raise conflict
                chunk.change(found, values)
                outcomes.append(Outcome(item.index, "updated", found.id))
            elif found is None and mode == "update_only":
                outcomes.append(Outcome(item.index, "skipped"))
            else:
                values = _with_tags(item.candidate, add_tags)
                conflict = chunk.holder(values, None)
                if conflict:
                    raise conflict
                entry = chunk.create(values, new_ids.get(item.index))
                new_ids[item.index] = entry.id
                outcomes.append(Outcome(item.index, "created", entry.id))
        except RosterError as exc:
            outcomes.append(Outcome(item.index, "failed", error=exc.body()))
    return outcomes
