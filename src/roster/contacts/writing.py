"""The one write path of a contact: hooks before and after (``hooks``), the optimistic
version check, tags, the event in the outbox and the timeline rows, all in the caller's
transaction. ``service`` and the features above contacts (merge) write through here."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from roster.auth.principal import Principal
from roster.contacts import fields, hooks, own_events, render
from roster.contacts.repository import ContactRepository
from roster.errors import Conflict, PreconditionFailed
from roster.events.outbox import emit as emit_event
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow
from roster.kit.versions import check_if_match as check_if_match_of
from roster.kit.versions import etag as etag

Row = dict[str, Any]
RETRIES = 3


async def emit(repo: ContactRepository, type_: str, row: Row, **extra: Any) -> None:
    """Record the change as an event in the same transaction (the outbox)."""
    data = {"contact": render.contact(row), **extra}
    await emit_event(repo.conn, repo.tenant_id, type_, data, subject_id=row["id"])


def check_if_match(row: Row, if_match: str | None) -> None:
    check_if_match_of(row, if_match, "contact")


async def conflict(repo: ContactRepository, values: Row, exclude: UUID | None) -> Conflict | None:
    found = await repo.find_conflict(values, exclude)
    return Conflict(found[0], found[1]) if found else None


def new_row(values: Row) -> Row:
    """A new contact's row from its normalised ``values``."""
    now = utcnow()
    return {
        **values,
        "id": uuid7(),
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "deleted_at": None,
    }


async def created(repo: ContactRepository, write: hooks.Write, row: Row) -> None:
    """What follows the insert of a new contact: its tags, its event, its timeline."""
    await repo.replace_tags(row, [], row["tags"])
    await emit(repo, "contact.created", row)
    await _timeline(repo, write, None, row, [])


async def insert(repo: ContactRepository, principal: Principal, values: Row) -> Row:
    """Create a contact from normalised ``values`` (409 when an identifier is taken)."""
    write = hooks.Write(repo.conn, principal, "contact.create")
    values = await hooks.before_write(write, None, values)
    row = new_row(values)
    for _ in range(RETRIES):
        if await repo.add(row):
            await created(repo, write, row)
            return {**row, "tenant_id": repo.tenant_id}
        found = await conflict(repo, values, None)
        if found:
            raise found
    raise Conflict("phone", None, "an identifier is being written concurrently; retry")


async def write(
    repo: ContactRepository,
    principal: Principal,
    current: Row,
    new: Row,
    *,
    source: str,
    explicit_consent: bool = False,
    note: str | None = None,
) -> Row:
    """Store ``new`` over ``current``; a change that changes nothing bumps nothing.

    The hooks see every write (consent may only be relaxed with ``explicit_consent``), and
    the history and timeline rows are written in this transaction.
    """
    context = hooks.Write(repo.conn, principal, source, explicit_consent, note)
    new = await hooks.before_write(context, current, new)
    changed = fields.changed(current, new)
    if not changed:
        return current
    values = {**new, "version": current["version"] + 1, "updated_at": utcnow()}
    written = await repo.change(current["id"], current["version"], values)
    if written is None:
        raise PreconditionFailed("the contact was changed concurrently; fetch it and retry")
    if written is False:
        found = await conflict(repo, new, current["id"])
        raise found or Conflict("phone", None, "an identifier is being written concurrently")
    await repo.replace_tags(current, current["tags"], new["tags"])
    stored = {**current, **values}
    await emit(repo, "contact.updated", stored, changed_fields=fields.api_names(changed))
    await _timeline(repo, context, current, stored, changed)
    return stored


async def _timeline(
    repo: ContactRepository, context: hooks.Write, old: Row | None, new: Row, changed: list[str]
) -> None:
    """The write's own timeline rows and the after-write hooks', in one insert."""
    rows = own_events.write_rows(new["id"], changed, old, new, [], utcnow())
    rows += await hooks.after_write(context, old, new)
    await own_events.insert(repo.conn, repo.tenant_id, rows)
