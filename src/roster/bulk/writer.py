"""The set-based contact writer shared by ``POST /v1/contacts/batch`` and imports.

A chunk of items is decided in memory against the live contacts that hold any of the
chunk's identifiers (loaded, and on PostgreSQL locked, with one query), then written with
one multi-row INSERT and one multi-row UPDATE. Field rules come from ``fields.apply`` only.

Deciding item by item in memory gives each item the semantics of a single write in order:
a later item matching an earlier one updates it (upsert), or fails with ``conflict``
(create); an identifier held by another contact fails that item alone with ``conflict``; an
item that would write nothing new is ``unchanged`` (no version bump, no event, as a PATCH
that changes nothing).
If the set-based write still hits a unique index (a concurrent writer got there between
the load and the write), the chunk is decided and written again (on PostgreSQL side by
side, then alone in the tenant's turn), and then item by item under savepoints, so one
bad item never takes the others with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import operator
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy import ARRAY, JSON, Table, any_, bindparam, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.activities import own_events
from roster.consent import history
from roster.contacts import fields, render
from roster.contacts.query import derived
from roster.contacts.repository import IDENTIFIERS, ContactRepository, live
from roster.contacts.service import MATCH_COLUMNS
from roster.errors import Conflict, RosterError, ValidationFailed
from roster.events.outbox import emit_many
from roster.gdpr import identifiers
from roster.kit.db import notify_on_commit
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow
from roster.models import activities, consent_events, contact_tags, contacts, events

Row = dict[str, Any]
Mode = Literal["create", "upsert", "update_only"]
c = contacts.c


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
class _Entry:
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
    (and over the rest of the heap) for little garbage: measured at 10-30 % of a chunk's
    CPU time. Reference counting still frees everything as usual; cycles wait for the
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


def _identifiers(values: Row) -> set[tuple[str, Any]]:
    return {(col, values[col]) for col in IDENTIFIERS if values.get(col) is not None}


class _Chunk:
    """The in-memory state of one chunk: entries indexed by every identifier they hold."""

    def __init__(self, loaded: list[Row]):
        self.index: dict[tuple[str, Any], _Entry] = {}
        self.entries: list[_Entry] = []
        for row in loaded:
            self._add(_Entry(row["id"], row, row))

    def _add(self, entry: _Entry) -> None:
        self.entries.append(entry)
        self._reindex(entry)

    def _reindex(self, entry: _Entry) -> None:
        for key in entry.keys:
            if self.index.get(key) is entry:
                del self.index[key]
        entry.keys = _identifiers(entry.values)
        for key in entry.keys:
            self.index[key] = entry

    def holder(self, values: Row, me: _Entry | None) -> Conflict | None:
        for col, value in _identifiers(values):
            other = self.index.get((col, value))
            if other is not None and other is not me:
                return Conflict(IDENTIFIERS[col], other.id)
        return None

    def create(self, values: Row, id_: UUID | None) -> _Entry:
        entry = _Entry(id_ or uuid7(), values, None)
        self._add(entry)
        return entry

    def change(self, entry: _Entry, values: Row) -> None:
        entry.values = values
        self._reindex(entry)


def _with_tags(values: Row, add_tags: list[str]) -> Row:
    if not add_tags:
        return values
    return {**values, "tags": sorted({*values["tags"], *add_tags})}


def _decide(
    chunk: _Chunk,
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
        found: _Entry | None = None
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


def _settled(outcomes: list[Outcome], writes: _Writes) -> list[Outcome]:
    """The outcomes with ``unchanged`` for each update whose contact was not written after
    all: the consent guard undid all it changed (a batch or import row never relaxes an
    opt-out), or later items put the contact back as it was loaded."""
    written = {entry.id for entry, _, _ in writes.stored}
    return [
        replace(o, status="unchanged") if o.status == "updated" and o.id not in written else o
        for o in outcomes
    ]


async def _load(repo: ContactRepository, items: list[Item], *, lock: bool = True) -> list[Row]:
    """Live contacts holding any identifier of ``items``, by id: one indexed query per
    identifier column (an OR across columns lets the planner fall back to scanning the
    tenant). On PostgreSQL locked (``FOR UPDATE``) unless ``lock`` is false."""
    wanted: dict[str, set[Any]] = {}
    for item in items:
        for col, value in _identifiers(item.candidate or {}):
            wanted.setdefault(col, set()).add(value)
    found: dict[UUID, Row] = {}
    postgres = repo.conn.dialect.name == "postgresql"
    for col, values in wanted.items():
        column = contacts.c[col]
        if postgres:
            # One array parameter: an IN list of a chunk's values would be compiled, sent
            # and parsed as thousands of separate parameters on every chunk.
            array = bindparam(f"any_{col}", sorted(values), type_=ARRAY(column.type))
            query = repo.select().where(live, column == any_(array))
            if lock:
                query = query.with_for_update()
        else:
            query = repo.select().where(live, column.in_(sorted(values)))
        for r in await repo.conn.execute(query):
            found.setdefault(r.id, dict(r._mapping))
    return [found[key] for key in sorted(found)]


@dataclass(frozen=True, slots=True)
class Cause:
    """Who writes and why, as the consent history and the timeline record it."""

    source: str
    actor: UUID | None = None


@dataclass(slots=True)
class _Writes:
    """A chunk's rows as they will be written: the contacts' (``_rows``), then the consent
    history, timeline and outbox rows about them (``_render``)."""

    now: datetime
    inserts: list[Row]
    updates: list[Row]
    tags_added: list[Row]
    tags_removed: list[Row]
    stored: list[tuple[_Entry, Row, list[str]]]  # entry, its row as written, changed
    consent: list[Row] = field(default_factory=list)
    timeline: list[Row] = field(default_factory=list)
    outbox: list[tuple[str, Row, UUID | None]] = field(default_factory=list)
    # By contact id: its row as written, its changed fields, the version it was loaded at,
    # and its consent, timeline and outbox rows (``_render``, for ``reuse``).
    rendered: dict[UUID, tuple[Row, list[str], int | None, _Rendered]] = field(default_factory=dict)


_Rendered = tuple[list[Row], list[Row], list[tuple[str, Row, UUID | None]]]


async def _rows(repo: ContactRepository, chunk: _Chunk, now: datetime | None = None) -> _Writes:
    """The chunk's new and changed contacts as rows, with the consent guard and the
    opt-outs remembered from erased contacts applied (see ``contacts.service``)."""
    now = now or utcnow()
    written = [e for e in chunk.entries if e.stored is None or e.values is not e.stored]
    for entry in written:
        if entry.stored is not None:
            # The consent rule holds here too: a batch or import row never relaxes an
            # opt-out or a suppression (only PUT .../preferences with a source can).
            entry.values = history.guard(entry.stored, entry.values)
    erased = await identifiers.opted_out_many(
        repo.conn, repo.tenant_id, [(e.stored, e.values) for e in written]
    )
    out = _Writes(now, [], [], [], [], [])
    for entry, channels in zip(written, erased, strict=True):
        if channels:
            entry.values = {**entry.values, **{f"pref_{ch}": history.OPTED_OUT for ch in channels}}
        if entry.stored is None:
            row = {
                **{k: entry.values[k] for k in fields.WRITABLE_COLUMNS},
                **derived(entry.values),
                "id": entry.id,
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "deleted_at": None,
            }
            out.inserts.append(row)
            out.tags_added += [
                {"contact_id": entry.id, "tag": t, "created_at": now} for t in entry.values["tags"]
            ]
            out.stored.append((entry, row, []))
        else:
            changed = fields.changed(entry.stored, entry.values)
            if not changed:
                continue
            values = {
                **{k: entry.values[k] for k in fields.WRITABLE_COLUMNS},
                **derived(entry.values),
                "version": entry.stored["version"] + 1,
                "updated_at": now,
            }
            out.updates.append({**values, "b_id": entry.id, "b_version": entry.stored["version"]})
            old, new = set(entry.stored["tags"]), set(entry.values["tags"])
            created = entry.stored["created_at"]
            out.tags_added += [
                {"contact_id": entry.id, "tag": t, "created_at": created} for t in sorted(new - old)
            ]
            out.tags_removed += [{"b_id": entry.id, "b_tag": t} for t in sorted(old - new)]
            out.stored.append((entry, {**entry.stored, **values}, changed))
    # One order for every writer, so concurrent chunks that share identifiers queue up on
    # the unique indexes instead of deadlocking.
    out.inserts.sort(key=lambda r: (r["phone"] or "", r["email_key"] or "", r["external_id"] or ""))
    out.updates.sort(key=lambda r: r["b_id"])
    return out


async def _render(writes: _Writes, cause: Cause, reuse: _Writes | None = None) -> None:
    """The consent history, timeline rows and outbox events of the chunk's rows, yielding
    to the event loop now and then (a COPY under way reads its answers and sends on).

    ``reuse``: the same chunk rendered before, at the same ``now`` (decided again in its
    turn): a contact whose row, changed fields and loaded version are the same as there
    takes what was rendered for it there."""
    now = writes.now
    for position, (entry, row, changed) in enumerate(writes.stored):
        if position % YIELD_EVERY == YIELD_EVERY - 1:
            await asyncio.sleep(0)
        version = None if entry.stored is None else entry.stored["version"]
        before = reuse.rendered.get(entry.id) if reuse is not None else None
        if before is not None and before[:3] == (row, changed, version):
            pieces = before[3]
        else:
            pieces = _render_one(entry, row, changed, cause, now)
        consent, timeline, outbox = pieces
        writes.consent += consent
        writes.timeline += timeline
        writes.outbox += outbox
        writes.rendered[entry.id] = (row, changed, version, pieces)


def _render_one(
    entry: _Entry, row: Row, changed: list[str], cause: Cause, now: datetime
) -> _Rendered:
    outbox: list[tuple[str, Row, UUID | None]] = []
    if entry.stored is None:
        outbox.append(("contact.created", {"contact": render.contact(row)}, entry.id))
    else:
        data = {"contact": render.contact(row), "changed_fields": fields.api_names(changed)}
        outbox.append(("contact.updated", data, entry.id))
    consent = history.changes(entry.stored, row)
    changes: list[Row] = []
    if consent:
        changes = history.rows(
            entry.id, cause.actor, consent, row, source=cause.source, note=None, at=now
        )
        reason = row.get("suppressed_reason")
        outbox += [
            ("contact.consent_changed", history.event_data(change, reason), entry.id)
            for change in changes
        ]
    timeline = own_events.write_rows(entry.id, changed, entry.stored, row, consent, now)
    return changes, timeline, outbox


async def _send_contacts(repo: ContactRepository, writes: _Writes, copies: _Copies) -> None:
    """The contacts' updates and tag removals, then their inserts (a COPY that runs on)."""
    if writes.updates:
        await repo.conn.execute(
            repo.update().where(c.id == bindparam("b_id"), c.version == bindparam("b_version")),
            writes.updates,
        )
    if writes.tags_removed:
        t = contact_tags.c
        await repo.conn.execute(
            repo.delete(contact_tags).where(
                t.contact_id == bindparam("b_id"), t.tag == bindparam("b_tag")
            ),
            writes.tags_removed,
        )
    await copies.send(contacts, writes.inserts)


async def _send_rest(repo: ContactRepository, writes: _Writes, copies: _Copies) -> None:
    """The rows that refer to the contacts: tags, consent history, timeline, events."""
    await copies.send(contact_tags, writes.tags_added)
    await copies.send(consent_events, writes.consent)
    await copies.send(activities, writes.timeline)
    outbox = writes.outbox
    if len(outbox) < COPY_MIN_ROWS or repo.conn.dialect.name != "postgresql":
        await copies.done()
        await emit_many(repo.conn, repo.tenant_id, outbox)
    else:
        now = utcnow()
        rows = [
            {"id": uuid7(), "type": t, "subject_id": s, "data": d, "created_at": now}
            for t, d, s in outbox
        ]
        await copies.send(events, rows)
        await copies.done()
        notify_on_commit(repo.conn)


async def _store(repo: ContactRepository, chunk: _Chunk, cause: Cause) -> _Writes:
    """Write the chunk's new and changed contacts with everything a single write does in
    its transaction (see ``contacts.service``): the consent guard, the opt-outs remembered
    from erased contacts, consent history, timeline rows, tag rows and outbox events.

    The contacts' COPY is sent before their timeline rows and events are rendered, and
    each COPY's records are built while the one before runs, so that PostgreSQL writes
    while Python renders (the inserts still run one after the other, in the same order:
    contacts first, then the rows that refer to them). Returns what it wrote."""
    writes = await _rows(repo, chunk)
    await _send(repo, writes, cause)
    return writes


async def _send(repo: ContactRepository, writes: _Writes, cause: Cause | None = None) -> None:
    """Write a chunk's rows. With ``cause``, its timeline rows and events are rendered
    here while the contacts' COPY runs; without, they were rendered beforehand
    (``write(..., ahead=True)``)."""
    copies = _Copies(repo)
    try:
        await _send_contacts(repo, writes, copies)
        if cause is not None:
            await _render(writes, cause)
        await _send_rest(repo, writes, copies)
    finally:
        await copies.drain()


# From this many rows, PostgreSQL inserts go through COPY: no statement to plan, no
# per-parameter binding, several times faster than a multi-row INSERT.
COPY_MIN_ROWS = 100
# While a COPY is under way, Python building the next rows lets it go on this often.
YIELD_EVERY = 64


class _CopyFailed(Exception):
    """A COPY hit a unique index or a deadlock (handled like an IntegrityError)."""


class _Copies:
    """The chunk's inserts, one after the other on its connection. On PostgreSQL a large
    one is a COPY that runs on while the caller goes on (``send`` returns once it is
    under way); the next ``send`` or ``done`` waits for it and raises what it raised."""

    def __init__(self, repo: ContactRepository):
        self.repo = repo
        self.running: asyncio.Future[Any] | None = None

    async def send(self, table: Table, rows: list[Row]) -> None:
        repo = self.repo
        if len(rows) < COPY_MIN_ROWS or repo.conn.dialect.name != "postgresql":
            await self.done()
            await repo.insert(rows, table=table)
            return
        # Built while the previous COPY runs.
        records, columns = _records(table, rows, repo.tenant_id)
        await self.done()
        raw = await repo.conn.get_raw_connection()
        driver: Any = raw.driver_connection
        self.running = asyncio.ensure_future(
            driver.copy_records_to_table(table.name, records=records, columns=columns)
        )
        await asyncio.sleep(0)  # under way: the statement is sent

    async def done(self) -> None:
        running, self.running = self.running, None
        if running is None:
            return
        try:
            await running
        except (asyncpg.UniqueViolationError, asyncpg.DeadlockDetectedError) as exc:
            raise _CopyFailed(str(exc)) from exc

    async def drain(self) -> None:
        """After a failure elsewhere: the connection is free again before it is rolled
        back (what the COPY raises then no longer matters)."""
        running, self.running = self.running, None
        if running is not None:
            await asyncio.gather(running, return_exceptions=True)


def _records(
    table: Table, rows: list[Row], tenant: UUID
) -> tuple[list[tuple[Any, ...]], list[str]]:
    names = list(rows[0])
    columns = ["tenant_id", *names]
    # Every row of one call has the same keys in the same order (built by one expression).
    get = operator.itemgetter(*names)
    as_json = [i for i, name in enumerate(names) if isinstance(table.c[name].type, JSON)]
    records: list[tuple[Any, ...]]
    if len(names) == 1:
        records = [(tenant, get(row)) for row in rows]
    elif as_json:
        dumps = orjson.dumps
        records = []
        for row in rows:
            values = list(get(row))
            for i in as_json:
                values[i] = dumps(values[i]).decode()
            records.append((tenant, *values))
    else:
        records = [(tenant, *get(row)) for row in rows]
    return records, columns


async def write(
    conn: AsyncConnection,
    tenant_id: UUID,
    items: list[Item],
    *,
    mode: Mode,
    region: str,
    cause: Cause,
    add_tags: list[str] | None = None,
    checks: Mapping[str, fields.FieldCheck] | None = None,
    ahead: bool = False,
) -> list[Outcome]:
    """Write prepared items in order in the caller's transaction; one outcome per item.

    On PostgreSQL the bulk writers of a tenant write side by side, and a chunk that
    clashed with another is written again (see ``_ATTEMPTS``). ``ahead``: decide
    and render the chunk before its turn, from the contacts as they are then, and at its
    turn load them again (locked): if none of them changed (the same ids at the same
    versions) the work done ahead is written as it is, else the chunk is decided again,
    keeping what was rendered for each contact that comes out the same. So a batch's
    Python work runs while another batch of the tenant writes, and is mostly not done
    twice when the chunk is written again.
    """
    repo = ContactRepository(conn, tenant_id)
    extra = sorted(set(add_tags or []))
    postgres = conn.dialect.name == "postgresql"
    # By item index, the id each item creates a contact with, the same in every decision.
    new_ids: dict[int, UUID] = {}

    async def prepare(loaded: list[Row], before: _Writes | None) -> tuple[list[Outcome], _Writes]:
        """Decided on ``loaded`` and rendered; decided again (``before``: the chunk as
        decided last), at the same "now", keeping what was rendered for each contact that
        comes out the same."""
        chunk = _Chunk(loaded)
        outcomes = _decide(chunk, items, mode, region, extra, checks, new_ids)
        writes = await _rows(repo, chunk, before.now if before is not None else None)
        await _render(writes, cause, reuse=before)
        return outcomes, writes

    writes: _Writes | None = None
    seen: list[Row] = []
    with gc_paused():
        if ahead and postgres and len(items) > 1:
            seen = await _load(repo, items, lock=False)
            outcomes, writes = await prepare(seen, None)
        for alone in _ATTEMPTS if postgres else (False,):
            try:
                async with conn.begin_nested():
                    if postgres:
                        await _take_turn(conn, tenant_id, alone)
                    loaded = await _load(repo, items)
                    if writes is None:
                        chunk = _Chunk(loaded)
                        outcomes = _decide(chunk, items, mode, region, extra, checks, new_ids)
                        return _settled(outcomes, await _store(repo, chunk, cause))
                    if _versions(loaded) != _versions(seen):
                        # Decided again on the contacts as they are now, in the turn (the
                        # same ids for the same new contacts).
                        outcomes, writes = await prepare(loaded, writes)
                        seen = loaded
                    await _send(repo, writes)
                    return _settled(outcomes, writes)
            except (DBAPIError, _CopyFailed) as exc:
                clash = isinstance(exc, IntegrityError | _CopyFailed)
                if not clash and "deadlock detected" not in str(exc):
                    raise
                # A concurrent writer took an identifier between load and write (or a
                # deadlock with one was broken): written again (see ``_ATTEMPTS``); then
                # item by item, each under its own savepoint.
    if len(items) == 1:
        return [_raced(items[0])]
    outcomes = []
    for item in items:
        outcomes += await write(
            conn,
            tenant_id,
            [item],
            mode=mode,
            region=region,
            cause=cause,
            add_tags=extra,
            checks=checks,
        )
    return outcomes


# How a chunk is written on PostgreSQL, attempt after attempt (alone or not): a chunk
# that clashed has waited for the writer it clashed with to commit, so written again side
# by side it sees that writer's contacts and, most often, goes through. Only a chunk that
# clashed twice is written alone: an exclusive waiter holds up every chunk of the tenant
# that comes after it (measured in B8: with the second attempt alone, 1.2 of the 4
# batches waited for the lock on average; with two attempts side by side first, 0.7).
_ATTEMPTS = (False, False, True)

_TURN = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")
_SHARED_TURN = text("SELECT pg_advisory_xact_lock_shared(hashtextextended(:k, 0))")


async def _take_turn(conn: AsyncConnection, tenant_id: UUID, alone: bool) -> None:
    """The tenant's bulk lock, until commit (or until the chunk's savepoint is rolled
    back). Chunks write side by side (shared); one that clashed with others, creating a
    contact with the same identifier or locking contacts in another order, again and
    again, is written alone (exclusive; see ``_ATTEMPTS``). Waiting alone, it lets the
    chunks under way finish and new ones wait behind it: clashing chunks do not wait on
    each other's uncommitted rows in chains that outlast the statement timeout, or redo
    item by item what one of them had to give up."""
    await conn.execute(_TURN if alone else _SHARED_TURN, {"k": f"roster.bulk:{tenant_id}"})


def _versions(rows: list[Row]) -> list[tuple[UUID, int]]:
    return [(r["id"], r["version"]) for r in rows]


def _raced(item: Item) -> Outcome:
    error = Conflict("phone", None, "an identifier is being written concurrently; retry")
    return Outcome(item.index, "failed", error=error.body())


async def change_rows(
    conn: AsyncConnection,
    tenant_id: UUID,
    rows: list[Row],
    change: Any,
    *,
    region: str,
    cause: Cause,
) -> tuple[int, int]:
    """Apply ``change(row) -> patch`` to loaded live rows through ``fields.apply`` and store
    the results set-based; returns (updated, failed), where a row the change leaves as it
    was is neither. Used by bulk actions."""
    repo = ContactRepository(conn, tenant_id)
    chunk = _Chunk(rows)
    failed = 0
    for entry in list(chunk.entries):
        try:
            values = fields.apply(entry.values, change(entry.values), region)
            conflict = chunk.holder(values, entry)
            if conflict:
                raise conflict
        except RosterError:
            failed += 1
            continue
        chunk.change(entry, values)
    # Only the contacts written count as updated (a tag they already had changes nothing).
    return len((await _store(repo, chunk, cause)).stored), failed
