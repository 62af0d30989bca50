"""The contact's own events on its timeline (created, updated, tags, consent, notes, merge),
written in the same transaction as the change they describe.

They share the activities table with ingested activities; their types start with
``contact.``, which a client can never post, so the two cannot be confused.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.activities.repository import ActivityRepository
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
    await ActivityRepository(conn, tenant_id).insert({**row, "summary": summary})


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
    if consent:
        data = {"changes": [{"channel": c, "from": f, "to": t} for c, f, t in consent]}
        found.append(event_row(contact_id, "consent_changed", data, at))
    return found


async def record_write(
    conn: AsyncConnection,
    tenant_id: UUID,
    contact_id: UUID,
    changed: list[str],
    old: Row | None,
    new: Row,
    consent: list[tuple[str, str, str]],
) -> None:
    """Events for one contact write (see ``write_rows``)."""
    found = write_rows(contact_id, changed, old, new, consent, utcnow())
    if found:
        await ActivityRepository(conn, tenant_id).insert(found)
