"""The contact's own events on its timeline (created, updated, tags, consent, notes, merge),
written in the same transaction as the change they describe.

They are part of the contact's record, so contacts writes them; they share the activities
table with ingested activities (``roster.activities`` reads the timeline), and their types
start with ``contact.``, which a client can never post, so the two cannot be confused.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.contacts.timeline_repository import TimelineRepository
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow

Row = dict[str, Any]

# Columns a client knows by another name; internal columns are left out of changed_fields.
_FIELD_NAMES = {"email_key": None, "name_set": None, "tags": None, "suppressed": None}


def _field(column: str) -> str | None:
    if column in _FIELD_NAMES:
        return _FIELD_NAMES[column]
    if column.startswith("pref_"):
        return None  # consent changes have an event of their own
    if column.startswith("handle_"):
        return f"handles.{column.removeprefix('handle_')}"
    return column


def event_row(contact_id: UUID, kind: str, data: Row | None, at: Any) -> Row:
    return {
        "id": uuid7(),
        "contact_id": contact_id,
        "type": f"contact.{kind}",
        "channel": None,
        "occurred_at": at,
        "summary": None,
        "data": data or {},
        "external_id": None,
        "created_at": at,
    }


async def record(
    conn: AsyncConnection,
    tenant_id: UUID,
    contact_id: UUID,
    kind: str,
    data: Row | None = None,
    summary: str | None = None,
) -> None:
    row = event_row(contact_id, kind, data, utcnow())
    await TimelineRepository(conn, tenant_id).insert({**row, "summary": summary})


def write_rows(
    contact_id: UUID,
    changed: list[str],
    old: Row | None,
    new: Row,
    consent: list[tuple[str, str, str]],
    at: Any,
) -> list[Row]:
    """The timeline rows of one contact write: created or updated (with the changed field
    names), tags changed, consent changed."""
    found: list[Row] = []
    if old is None:
        found.append(event_row(contact_id, "created", None, at))
    else:
        names = sorted({n for n in (_field(c) for c in changed) if n})
        if names:
            found.append(event_row(contact_id, "updated", {"changed_fields": names}, at))
    old_tags = set(old["tags"]) if old else set()
    new_tags = set(new["tags"])
    if old is not None and old_tags != new_tags:
        added, removed = sorted(new_tags - old_tags), sorted(old_tags - new_tags)
        tags = {"added": added, "removed": removed}
        found.append(event_row(contact_id, "tags_changed", tags, at))
    found += consent_rows(contact_id, consent, at)
    return found


def consent_rows(contact_id: UUID, consent: list[tuple[str, str, str]], at: Any) -> list[Row]:
    """The ``consent_changed`` timeline row of one write's (channel, from, to) changes, if
    any."""
    if not consent:
        return []
    data = {"changes": [{"channel": c, "from": f, "to": t} for c, f, t in consent]}
    return [event_row(contact_id, "consent_changed", data, at)]


async def insert(conn: AsyncConnection, tenant_id: UUID, rows: list[Row]) -> None:
    """Write timeline rows (``write_rows``, ``consent_rows``) in one statement."""
    if rows:
        await TimelineRepository(conn, tenant_id).insert(rows)
