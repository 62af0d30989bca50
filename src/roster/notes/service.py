"""Notes on a contact: free text by a named author, shown on the contact's timeline.

Notes are readable while the contact is archived; adding, editing and deleting need a live
contact. Timeline events and the ``contact.note_added`` event name the note, never copy its
body or author.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal
from roster.contacts import own_events
from roster.contacts import service as contacts
from roster.errors import InvalidRequest, NotFound, ValidationFailed
from roster.events.outbox import emit
from roster.kit.ids import uuid7
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.timeutil import rfc3339, utcnow
from roster.notes.repository import NoteRepository

Row = dict[str, Any]


def render(row: Row) -> Row:
    return {
        "id": str(row["id"]),
        "contact_id": str(row["contact_id"]),
        "body": row["body"],
        "author": row["author"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def _repo(conn: AsyncConnection, principal: Principal) -> NoteRepository:
    return NoteRepository(conn, principal.tenant_id)


def _body(text: str) -> str:
    body = text.strip()
    if not body:
        raise ValidationFailed.one("body", "must not be empty")
    return body


async def create(conn: AsyncConnection, principal: Principal, contact_id: UUID, data: Row) -> Row:
    await contacts.get(conn, principal, contact_id)
    now = utcnow()
    author = (data.get("author") or "").strip() or None
    row = {
        "id": uuid7(),
        "contact_id": contact_id,
        "body": _body(data["body"]),
        "author": author,
        "created_at": now,
        "updated_at": now,
    }
    await _repo(conn, principal).insert(row)
    await own_events.record(
        conn, principal.tenant_id, contact_id, "note_added", {"note_id": str(row["id"])}
    )
    # Like the timeline, the event names the note and never copies its body or author.
    event = {
        "contact": {"id": str(contact_id)},
        "note": {"id": str(row["id"]), "created_at": rfc3339(now)},
    }
    await emit(conn, principal.tenant_id, "contact.note_added", event, subject_id=contact_id)
    return row


async def _note(
    conn: AsyncConnection, principal: Principal, contact_id: UUID, note_id: UUID
) -> Row:
    row = await _repo(conn, principal).get(contact_id, note_id)
    if row is None:
        raise NotFound("no such note")
    return row


async def update(
    conn: AsyncConnection, principal: Principal, contact_id: UUID, note_id: UUID, data: Row
) -> Row:
    await contacts.get(conn, principal, contact_id)
    current = await _note(conn, principal, contact_id, note_id)
    values: Row = {}
    if "body" in data:
        if data["body"] is None:
            raise ValidationFailed.one("body", "must not be null")
        values["body"] = _body(data["body"])
    if "author" in data:
        values["author"] = (data["author"] or "").strip() or None
    if not values or all(current[k] == v for k, v in values.items()):
        return current
    values["updated_at"] = utcnow()
    await _repo(conn, principal).change(note_id, values)
    await own_events.record(
        conn, principal.tenant_id, contact_id, "note_updated", {"note_id": str(note_id)}
    )
    return {**current, **values}


async def delete(
    conn: AsyncConnection, principal: Principal, contact_id: UUID, note_id: UUID
) -> None:
    await contacts.get(conn, principal, contact_id)
    await _note(conn, principal, contact_id, note_id)
    await _repo(conn, principal).remove(note_id)
    await own_events.record(
        conn, principal.tenant_id, contact_id, "note_deleted", {"note_id": str(note_id)}
    )


async def page(
    conn: AsyncConnection,
    principal: Principal,
    contact_id: UUID,
    *,
    paging: PageRequest,
    cursors: Cursors,
) -> Page:
    """The contact's notes newest first (also while the contact is archived)."""
    await contacts.get(conn, principal, contact_id, include_deleted=True)
    before = None
    if paging.cursor is not None:
        try:
            before = UUID(str(paging.cursor[0]))
        except (ValueError, IndexError):
            raise InvalidRequest("cursor is not valid") from None
    rows = await _repo(conn, principal).page(contact_id, before, paging.offset, paging.limit + 1)
    return keyset_page(
        rows, paging.limit, key_of=lambda r: [str(r["id"])], cursors=cursors, kind="notes"
    )


async def all_for(conn: AsyncConnection, tenant_id: UUID, contact_id: UUID) -> list[Row]:
    return await NoteRepository(conn, tenant_id).all_for(contact_id)


async def move(conn: AsyncConnection, tenant_id: UUID, from_ids: list[UUID], to_id: UUID) -> None:
    await NoteRepository(conn, tenant_id).move(from_ids, to_id)


async def delete_for(conn: AsyncConnection, tenant_id: UUID, contact_id: UUID) -> None:
    await NoteRepository(conn, tenant_id).delete_for(contact_id)
