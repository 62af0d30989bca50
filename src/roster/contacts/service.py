"""What can be done with contacts. Services never commit: the caller's unit of work does.
Every change goes through the one write path (``writing``)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal
from roster.contacts import fields, hooks, normalize, own_events, writing
from roster.contacts.repository import IDENTIFIERS, ContactRepository
from roster.contacts.writing import check_if_match as check_if_match
from roster.contacts.writing import etag as etag
from roster.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    ValidationFailed,
)
from roster.fielddefs.service import validators as field_checks
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.timeutil import utcnow

Row = dict[str, Any]
MATCH_COLUMNS = {"phone": "phone", "email": "email_key", "external_id": "external_id"}


def _repo(conn: AsyncConnection, principal: Principal) -> ContactRepository:
    return ContactRepository(conn, principal.tenant_id)


def _region(principal: Principal, default_region: str) -> str:
    return principal.default_region or default_region


async def create(
    conn: AsyncConnection, principal: Principal, data: Row, *, default_region: str
) -> Row:
    repo = _repo(conn, principal)
    checks = await field_checks(conn, principal.tenant_id)
    values = fields.apply(fields.blank(), data, _region(principal, default_region), checks)
    return await writing.insert(repo, principal, values)


async def get(
    conn: AsyncConnection, principal: Principal, contact_id: UUID, *, include_deleted: bool = False
) -> Row:
    row = await _repo(conn, principal).get(contact_id, include_deleted=include_deleted)
    if row is None:
        raise NotFound("no such contact")
    return row


async def update(
    conn: AsyncConnection,
    principal: Principal,
    contact_id: UUID,
    data: Row,
    *,
    default_region: str,
    if_match: str | None = None,
) -> Row:
    repo = _repo(conn, principal)
    current = await repo.get(contact_id, for_update=True)
    if current is None:
        raise NotFound("no such contact")
    check_if_match(current, if_match)
    checks = await field_checks(conn, principal.tenant_id)
    new = fields.apply(current, data, _region(principal, default_region), checks)
    return await writing.write(repo, principal, current, new, source="contact.update")


async def archive(
    conn: AsyncConnection, principal: Principal, contact_id: UUID, *, if_match: str | None = None
) -> None:
    repo = _repo(conn, principal)
    current = await repo.get(contact_id, include_deleted=True, for_update=True)
    if current is None:
        raise NotFound("no such contact")
    check_if_match(current, if_match)
    if current["deleted_at"] is not None:
        return  # archiving twice is not an error and changes nothing
    now = utcnow()
    values = {"deleted_at": now, "updated_at": now, "version": current["version"] + 1}
    await repo.change(contact_id, current["version"], values)
    await writing.emit(repo, "contact.deleted", {**current, **values})
    await own_events.record(conn, principal.tenant_id, contact_id, "archived")


async def restore(conn: AsyncConnection, principal: Principal, contact_id: UUID) -> Row:
    repo = _repo(conn, principal)
    current = await repo.get(contact_id, include_deleted=True, for_update=True)
    if current is None or current.get("erased_at") is not None:
        raise NotFound("no such contact")
    if current["deleted_at"] is None:
        return current
    values = {"deleted_at": None, "updated_at": utcnow(), "version": current["version"] + 1}
    written = await repo.change(contact_id, current["version"], values)
    if written is False:
        found = await writing.conflict(repo, current, contact_id)
        raise found or Conflict("phone", None, "an identifier is being written concurrently")
    await own_events.record(conn, principal.tenant_id, contact_id, "restored")
    row = {**current, **values}
    await writing.emit(repo, "contact.restored", row)
    return row


async def merged_into(conn: AsyncConnection, principal: Principal, contact_id: UUID) -> list[Row]:
    """Contacts archived by a merge into ``contact_id``."""
    return await _repo(conn, principal).merged_into(contact_id)


async def upsert(
    conn: AsyncConnection,
    principal: Principal,
    data: Row,
    *,
    match_on: str | None,
    default_region: str,
) -> tuple[Row, bool]:
    """Update the live contact whose ``match_on`` identifier equals the body's, or create one.

    Returns the contact and whether it was created.
    """
    if match_on is None:
        match_on = next((f for f in fields.IDENTITY if data.get(f) is not None), None)
        if match_on is None:
            raise ValidationFailed.one("phone", "give phone, email or external_id to match on")
    elif data.get(match_on) is None:
        raise ValidationFailed.one(match_on, f"required to match on {match_on}")
    repo = _repo(conn, principal)
    region = _region(principal, default_region)
    # Normalise the whole body once as if new: it reports every bad field and yields the
    # normalised identifier to match on.
    checks = await field_checks(conn, principal.tenant_id)
    candidate = fields.apply(fields.blank(), data, region, checks)
    column = MATCH_COLUMNS[match_on]
    write = hooks.Write(conn, principal, "contact.upsert")
    for _ in range(writing.RETRIES):
        current = await repo.find_live(column, candidate[column])
        if current is not None:
            current = await repo.get(current["id"], for_update=True)
            if current is None:
                continue
            new = fields.apply(current, data, region, checks)
            return await writing.write(repo, principal, current, new, source=write.source), False
        values = await hooks.before_write(write, None, candidate)
        if await repo.add(writing.new_row(values)):
            row = await repo.find_live(column, candidate[column])
            assert row is not None
            await writing.created(repo, write, row)
            return row, True
        others = {c: v for c, v in candidate.items() if c != column}
        found = await writing.conflict(repo, others, None)
        if found:
            raise found
    raise Conflict(match_on, None, "the contact is being written concurrently; retry")


async def lookup(
    conn: AsyncConnection,
    principal: Principal,
    *,
    phone: str | None,
    email: str | None,
    external_id: str | None,
    handle: str | None,
    default_region: str,
) -> Row:
    given = {
        k: v
        for k, v in (
            ("phone", phone),
            ("email", email),
            ("external_id", external_id),
            ("handle", handle),
        )
        if v is not None
    }
    if len(given) != 1:
        raise InvalidRequest("give exactly one of phone, email, external_id, handle")
    ((kind, raw),) = given.items()
    region = _region(principal, default_region)
    try:
        if kind == "phone":
            column, value = "phone", normalize.normalize_phone(raw, region)
        elif kind == "email":
            column, value = "email_key", normalize.normalize_email(raw)[1]
        elif kind == "external_id":
            column, value = "external_id", raw.strip()
        else:
            channel, address = normalize.parse_handle_query(raw)
            column = f"handle_{channel}"
            value = normalize.normalize_handle(channel, address, region)
    except ValueError as exc:
        raise InvalidRequest(f"{kind}: {exc}") from None
    assert column in IDENTIFIERS
    row = await _repo(conn, principal).find_live(column, value)
    if row is None:
        raise NotFound("no contact has this identifier")
    return row


async def add_tags(
    conn: AsyncConnection,
    principal: Principal,
    contact_id: UUID,
    tags: list[str],
    *,
    default_region: str,
) -> Row:
    repo = _repo(conn, principal)
    current = await repo.get(contact_id, for_update=True)
    if current is None:
        raise NotFound("no such contact")
    wanted = [*current["tags"], *tags]
    new = fields.apply(current, {"tags": wanted}, _region(principal, default_region))
    return await writing.write(repo, principal, current, new, source="contact.tags")


async def remove_tag(
    conn: AsyncConnection, principal: Principal, contact_id: UUID, tag: str, *, default_region: str
) -> Row:
    repo = _repo(conn, principal)
    current = await repo.get(contact_id, for_update=True)
    if current is None:
        raise NotFound("no such contact")
    kept = [t for t in current["tags"] if t != tag.strip()]
    new = fields.apply(current, {"tags": kept}, _region(principal, default_region))
    return await writing.write(repo, principal, current, new, source="contact.tags")


async def set_consent(
    conn: AsyncConnection,
    principal: Principal,
    contact_id: UUID,
    patch: Row,
    *,
    source: str,
    note: str | None,
    if_match: str | None = None,
) -> Row:
    """An explicit consent change with its evidence (``source``): the one write that may
    turn ``opted_out`` into ``opted_in`` or lift a suppression (PUT .../preferences).

    ``patch`` holds ``preferences`` and optionally ``suppressed``/``suppressed_reason``.
    """
    repo = _repo(conn, principal)
    current = await repo.get(contact_id, for_update=True)
    if current is None:
        raise NotFound("no such contact")
    check_if_match(current, if_match)
    new = fields.apply(current, patch, principal.default_region or "US")
    return await writing.write(
        repo, principal, current, new, source=source, explicit_consent=True, note=note
    )


async def tag_counts(
    conn: AsyncConnection, principal: Principal, *, paging: PageRequest, cursors: Cursors
) -> Page:
    after = str(paging.cursor[0]) if paging.cursor else None
    rows = await _repo(conn, principal).tag_counts(after, paging.limit + 1)
    data = [{"tag": tag, "count": count} for tag, count in rows]
    return keyset_page(
        data, paging.limit, key_of=lambda r: [r["tag"]], cursors=cursors, kind="tags"
    )
