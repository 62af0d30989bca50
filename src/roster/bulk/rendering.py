"""A decided chunk as the rows to write: the contacts' rows, then the consent history,
timeline rows and events about them, as a single write makes them in its transaction."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from roster.bulk.deciding import Chunk, Entry, Row
from roster.bulk.repository import BulkRepository
from roster.consent import history
from roster.contacts import fields, own_events, render
from roster.contacts.query import derived
from roster.gdpr import identifiers
from roster.kit.timeutil import utcnow

# While a COPY is under way, Python building the next rows lets it go on this often.
YIELD_EVERY = 64


@dataclass(frozen=True, slots=True)
class Cause:
    """Who writes and why, as the consent history and the timeline record it."""

    source: str
    actor: UUID | None = None


@dataclass(slots=True)
class Writes:
    """A chunk's rows as they will be written: the contacts' (``rows_of``), then the consent
    history, timeline and outbox rows about them (``render_about``)."""

    now: datetime
    inserts: list[Row]
    updates: list[Row]
    tags_added: list[Row]
    tags_removed: list[Row]
    stored: list[tuple[Entry, Row, list[str]]]  # entry, its row as written, changed
    consent: list[Row] = field(default_factory=list)
    timeline: list[Row] = field(default_factory=list)
    outbox: list[tuple[str, Row, UUID | None]] = field(default_factory=list)
    # By contact id: its row as written, its changed fields, the version it was loaded at,
    # and its consent, timeline and outbox rows (``render_about``, for ``reuse``).
    rendered: dict[UUID, tuple[Row, list[str], int | None, Rendered]] = field(default_factory=dict)


Rendered = tuple[list[Row], list[Row], list[tuple[str, Row, UUID | None]]]


async def rows_of(repo: BulkRepository, chunk: Chunk, now: datetime | None = None) -> Writes:
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
    out = Writes(now, [], [], [], [], [])
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


async def render_about(writes: Writes, cause: Cause, reuse: Writes | None = None) -> None:
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
    entry: Entry, row: Row, changed: list[str], cause: Cause, now: datetime
) -> Rendered:
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
