"""What can be done with contacts. Services never commit: the caller's unit of work does."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.activities import own_events
from roster.auth.principal import Principal
from roster.consent import hooks
from roster.contacts import fields, membership, normalize, render
from roster.contacts import query as filters
from roster.contacts.repository import IDENTIFIERS, ContactRepository
from roster.errors import (
    Conflict,
    InvalidRequest,
    NotFound,
    PreconditionFailed,
    ValidationFailed,
)
from roster.events.outbox import emit
from roster.fielddefs.service import validators as field_checks
from roster.kit.ids import uuid7
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.timeutil import utcnow

Row = dict[str, Any]
MATCH_COLUMNS = {"phone": "phone", "email": "email_key", "external_id": "external_id"}
_RETRIES = 3


def _repo(conn: AsyncConnection, principal: Principal) -> ContactRepository:
    return ContactRepository(conn, principal.tenant_id)


async def _emit(repo: ContactRepository, type_: str, row: Row, **extra: Any) -> None:
    """Record the change as an event in the same transaction (the outbox)."""
    data = {"contact": render.contact(row), **extra}
    await emit(repo.conn, repo.tenant_id, type_, data, subject_id=row["id"])


def _region(principal: Principal, default_region: str) -> str:
    return principal.default_region or default_region


def etag(row: Row) -> str:
    return f'"{row["version"]}"'


def check_if_match(row: Row, if_match: str | None) -> None:
    """``If-Match`` with a stale ETag → 412 (strong comparison; ``*`` matches any)."""
    if if_match is None:
        return
    tags = {part.strip() for part in if_match.split(",")}
    if "*" not in tags and etag(row) not in tags:
        raise PreconditionFailed(f"the contact is at version {row['version']}")


async def _conflict(repo: ContactRepository, values: Row, exclude: UUID | None) -> Conflict | None:
    found = await repo.find_conflict(values, exclude)
    return Conflict(found[0], found[1]) if found else None


async def create(
    conn: AsyncConnection, principal: Principal, data: Row, *, default_region: str
) -> Row:
    repo = _repo(conn, principal)
    checks = await field_checks(conn, principal.tenant_id)
    values = fields.apply(fields.blank(), data, _region(principal, default_region), checks)
    return await _insert(repo, principal, values)


async def _insert(repo: ContactRepository, principal: Principal, values: Row) -> Row:
    values = await hooks.before_write(repo.conn, principal, None, values, guard=True)
    now = utcnow()
    row = {
        **values,
        "id": uuid7(),
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "deleted_at": None,
    }
    for _ in range(_RETRIES):
        if await repo.add(row):
            await repo.replace_tags(row, [], row["tags"])
            await _emit(repo, "contact.created", row)
            await hooks.after_write(repo.conn, principal, None, row, [], source="contact.create")
            return {**row, "tenant_id": repo.tenant_id}
        conflict = await _conflict(repo, values, None)
        if conflict:
            raise conflict
    raise Conflict("phone", None, "an identifier is being written concurrently; retry")


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
    return await _write(repo, principal, current, new, source="contact.update")


async def _write(
    repo: ContactRepository,
    principal: Principal,
    current: Row,
    new: Row,
    *,
    source: str,
    guard: bool = True,
    note: str | None = None,
) -> Row:
    """Store ``new`` over ``current``; a change that changes nothing bumps nothing.

    Consent passes through ``consent.hooks`` (``guard=False`` only for an explicit consent
    with a source), and the history and timeline rows are written in this transaction.
    """
    new = await hooks.before_write(repo.conn, principal, current, new, guard=guard)
    changed = fields.changed(current, new)
    if not changed:
        return current
    values = {**new, "version": current["version"] + 1, "updated_at": utcnow()}
    written = await repo.change(current["id"], current["version"], values)
    if written is None:
        raise PreconditionFailed("the contact was changed concurrently; fetch it and retry")
    if written is False:
        conflict = await _conflict(repo, new, current["id"])
        raise conflict or Conflict("phone", None, "an identifier is being written concurrently")
    await repo.replace_tags(current, current["tags"], new["tags"])
    stored = {**current, **values}
    await _emit(repo, "contact.updated", stored, changed_fields=fields.api_names(changed))
    await hooks.after_write(
        repo.conn, principal, current, stored, changed, source=source, note=note
    )
    return stored


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
    await _emit(repo, "contact.deleted", {**current, **values})
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
        conflict = await _conflict(repo, current, contact_id)
        raise conflict or Conflict("phone", None, "an identifier is being written concurrently")
    await own_events.record(conn, principal.tenant_id, contact_id, "restored")
    row = {**current, **values}
    await _emit(repo, "contact.restored", row)
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
    for _ in range(_RETRIES):
        current = await repo.find_live(column, candidate[column])
        if current is not None:
            current = await repo.get(current["id"], for_update=True)
            if current is None:
                continue
            new = fields.apply(current, data, region, checks)
            return await _write(repo, principal, current, new, source="contact.upsert"), False
        values = await hooks.before_write(conn, principal, None, candidate, guard=True)
        if await repo.add(
            {
                **values,
                "id": uuid7(),
                "created_at": (now := utcnow()),
                "updated_at": now,
                "version": 1,
                "deleted_at": None,
            }
        ):
            row = await repo.find_live(column, candidate[column])
            assert row is not None
            await repo.replace_tags(row, [], row["tags"])
            await _emit(repo, "contact.created", row)
            await hooks.after_write(conn, principal, None, row, [], source="contact.upsert")
            return row, True
        conflict = await _conflict(repo, {c: v for c, v in candidate.items() if c != column}, None)
        if conflict:
            raise conflict
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
    return await _write(repo, principal, current, new, source="contact.tags")


async def remove_tag(
    conn: AsyncConnection, principal: Principal, contact_id: UUID, tag: str, *, default_region: str
) -> Row:
    repo = _repo(conn, principal)
    current = await repo.get(contact_id, for_update=True)
    if current is None:
        raise NotFound("no such contact")
    kept = [t for t in current["tags"] if t != tag.strip()]
    new = fields.apply(current, {"tags": kept}, _region(principal, default_region))
    return await _write(repo, principal, current, new, source="contact.tags")


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
    return await _write(repo, principal, current, new, source=source, guard=False, note=note)


# Sorts on a key a write can move (a rename, any update): later pages leave out rows
# changed since the first page, so a moved row is never returned twice.
_MOVABLE = ("updated_at", "name", "-name")


def listing_kind(sort: str, flt: filters.ContactFilter) -> str:
    """What a cursor is bound to: the sort and the filter it was made for."""
    return f"contacts:{sort}:{flt.fingerprint()}"


def _sort_key(sort: str, row: Row, as_of: str | None) -> list[Any]:
    field = sort.lstrip("-")
    key = row["sort_name"] if field == "name" else row[field].isoformat()
    return [key, str(row["id"]), as_of]


def _decode_key(sort: str, key: list[Any]) -> tuple[list[Any], datetime | None]:
    try:
        first = key[0] if sort.lstrip("-") == "name" else datetime.fromisoformat(key[0])
        if not isinstance(first, str | datetime):
            raise TypeError
        as_of = datetime.fromisoformat(key[2]) if key[2] is not None else None
        return [first, UUID(key[1])], as_of
    except (TypeError, ValueError, IndexError):
        raise InvalidRequest("cursor is not valid") from None


async def list_page(
    conn: AsyncConnection,
    principal: Principal,
    flt: filters.ContactFilter,
    *,
    sort: str,
    paging: PageRequest,
    cursors: Cursors,
    include_total: bool = False,
    default_region: str,
) -> Page:
    """One page of the tenant's contacts matching ``flt`` (see docs/contacts.md); 404 when
    its ``list_id`` or ``segment_id`` is not one of the tenant's."""
    repo = _repo(conn, principal)
    scope = await membership.conditions(conn, principal, flt, default_region=default_region)
    after, as_of = None, None
    if paging.cursor is not None:
        after, as_of = _decode_key(sort, paging.cursor)
    # Taken before the read, so that a row the first page saw and a writer then moved is
    # past ``as_of`` and left out of later pages.
    stamp_at = as_of or (utcnow() if sort in _MOVABLE else None)
    rows = await repo.page(
        flt,
        sort=sort,
        after=after,
        as_of=as_of,
        offset=paging.offset,
        limit=paging.limit + 1,
        scope=scope,
    )
    stamp = stamp_at.isoformat() if stamp_at is not None else None
    total = await repo.count(flt, scope) if include_total else None
    return keyset_page(
        rows,
        paging.limit,
        key_of=lambda r: _sort_key(sort, r, stamp),
        cursors=cursors,
        kind=listing_kind(sort, flt),
        total=total,
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
