"""Static lists: CRUD with unique names, and adding and removing members.

Membership rows stay when a contact is archived; every read joins live contacts only, so an
archived contact drops out of member listings, counts and the ``lists`` filter until it is
restored. Deleting a list deletes its memberships, never its contacts.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal
from roster.errors import Conflict, InvalidRequest, NotFound, PreconditionFailed, ValidationFailed
from roster.events.outbox import emit_many
from roster.filters.compile import compile_filter
from roster.filters.listing import contact_page
from roster.filters.query import condition
from roster.kit.ids import uuid7
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.timeutil import utcnow
from roster.kit.versions import check_if_match as check_if_match_of
from roster.kit.versions import etag as etag
from roster.lists.repository import ListRepository

Row = dict[str, Any]


def _repo(conn: AsyncConnection, principal: Principal) -> ListRepository:
    return ListRepository(conn, principal.tenant_id)


def _check_if_match(row: Row, if_match: str | None) -> None:
    check_if_match_of(row, if_match, "list")


async def _found(repo: ListRepository, list_id: UUID, *, for_update: bool = False) -> Row:
    row = await repo.get(list_id, for_update=for_update)
    if row is None:
        raise NotFound("no such list")
    return row


async def create(conn: AsyncConnection, principal: Principal, data: Row) -> Row:
    repo = _repo(conn, principal)
    now = utcnow()
    row = {
        "id": uuid7(),
        "name": data["name"],
        "description": data.get("description"),
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    if not await repo.add(row):
        raise Conflict("name", await repo.id_by_name(row["name"]), "a list has this name")
    return {**row, "member_count": 0}


async def get(conn: AsyncConnection, principal: Principal, list_id: UUID) -> Row:
    repo = _repo(conn, principal)
    row = await _found(repo, list_id)
    return {**row, "member_count": await repo.member_count(list_id)}


async def update(
    conn: AsyncConnection, principal: Principal, list_id: UUID, data: Row, if_match: str | None
) -> Row:
    repo = _repo(conn, principal)
    current = await _found(repo, list_id, for_update=True)
    _check_if_match(current, if_match)
    if "name" in data and data["name"] is None:
        raise ValidationFailed.one("name", "a list must have a name")
    values = dict(data)
    if any(current[k] != v for k, v in values.items()):
        values.update(updated_at=utcnow(), version=current["version"] + 1)
        written = await repo.change(list_id, current["version"], values)
        if written is None:
            raise PreconditionFailed("the list was changed concurrently; fetch it and retry")
        if written is False:
            raise Conflict("name", await repo.id_by_name(values["name"]), "a list has this name")
        current = {**current, **values}
    return {**current, "member_count": await repo.member_count(list_id)}


async def delete(
    conn: AsyncConnection, principal: Principal, list_id: UUID, if_match: str | None
) -> None:
    repo = _repo(conn, principal)
    current = await _found(repo, list_id, for_update=True)
    _check_if_match(current, if_match)
    removed = await repo.remove(list_id)
    await _emit_members(conn, principal, "list.member_removed", list_id, removed)


async def page(
    conn: AsyncConnection, principal: Principal, *, paging: PageRequest, cursors: Cursors
) -> Page:
    after = _cursor_id(paging.cursor)
    rows = await _repo(conn, principal).page(after, paging.limit + 1)
    return keyset_page(
        rows, paging.limit, key_of=lambda r: [str(r["id"])], cursors=cursors, kind="lists"
    )


def _cursor_id(cursor: list[Any] | None) -> UUID | None:
    if cursor is None:
        return None
    try:
        return UUID(str(cursor[0]))
    except (ValueError, IndexError):
        raise InvalidRequest("cursor is not valid") from None


async def members(
    conn: AsyncConnection,
    principal: Principal,
    list_id: UUID,
    *,
    sort: str,
    paging: PageRequest,
    cursors: Cursors,
    include_total: bool,
) -> Page:
    await _found(_repo(conn, principal), list_id)
    return await contact_page(
        conn,
        principal.tenant_id,
        compile_filter(condition("lists", "has", str(list_id)), principal.tenant_id),
        sort=sort,
        paging=paging,
        cursors=cursors,
        kind=f"list:{list_id}:{sort}",
        include_total=include_total,
    )


async def of_contact(
    conn: AsyncConnection, principal: Principal, contact_id: UUID, *, limit: int = 200
) -> list[Row]:
    """The lists a contact (live or archived) is a member of, by name; 404 for no contact."""
    repo = _repo(conn, principal)
    if not await repo.contact_exists(contact_id):
        raise NotFound("no such contact")
    return await repo.of_contact(contact_id, limit)


def _uuid(text: str) -> UUID | None:
    try:
        return UUID(text)
    except ValueError:
        return None


async def add_members(
    conn: AsyncConnection, principal: Principal, list_id: UUID, contact_ids: list[str]
) -> Row:
    repo = _repo(conn, principal)
    await _found(repo, list_id, for_update=True)
    parsed = {text: _uuid(text) for text in contact_ids}
    live = await repo.live_contacts({u for u in parsed.values() if u is not None})
    not_found = list(dict.fromkeys(t for t, u in parsed.items() if u is None or u not in live))
    wanted = sorted(live)
    added = await repo.add_members(list_id, wanted, utcnow())
    await _emit_members(conn, principal, "list.member_added", list_id, added)
    return {
        "added": len(added),
        "already_members": len(wanted) - len(added),
        "not_found": not_found,
    }


async def move_memberships(
    conn: AsyncConnection,
    tenant_id: UUID,
    from_ids: list[UUID],
    to_id: UUID,
    *,
    dry_run: bool = False,
) -> list[UUID]:
    """Move the list memberships of ``from_ids`` to ``to_id`` (merging duplicates): ``to_id``
    joins every list one of them is in, and their own memberships go. Never two rows for one
    membership. Returns the lists ``to_id`` joins (would join, with ``dry_run``), sorted."""
    repo = ListRepository(conn, tenant_id)
    joined = sorted((await repo.list_ids_of(from_ids)) - (await repo.list_ids_of([to_id])))
    if dry_run:
        return joined
    await repo.join(to_id, joined, utcnow())
    left = await repo.leave_all(from_ids)
    await membership_events(conn, tenant_id, "list.member_added", [(lid, to_id) for lid in joined])
    await membership_events(conn, tenant_id, "list.member_removed", left)
    return joined


async def forget_contact(conn: AsyncConnection, tenant_id: UUID, contact_id: UUID) -> None:
    """Erasure: the contact leaves every list (no event: ``contact.erased`` says it)."""
    await ListRepository(conn, tenant_id).forget_contact(contact_id)


async def remove_member(
    conn: AsyncConnection, principal: Principal, list_id: UUID, contact_id: UUID
) -> None:
    """Take a contact out of a list; 404 when the list or the contact does not exist, and
    nothing to do (still 204) when the contact is not a member."""
    repo = _repo(conn, principal)
    await _found(repo, list_id, for_update=True)
    if not await repo.contact_exists(contact_id):
        raise NotFound("no such contact")
    if await repo.remove_member(list_id, contact_id):
        await _emit_members(conn, principal, "list.member_removed", list_id, [contact_id])


async def _emit_members(
    conn: AsyncConnection, principal: Principal, type_: str, list_id: UUID, ids: list[UUID]
) -> None:
    await membership_events(conn, principal.tenant_id, type_, [(list_id, cid) for cid in ids])


async def membership_events(
    conn: AsyncConnection, tenant_id: UUID, type_: str, changes: list[tuple[UUID, UUID]]
) -> None:
    """One event per (list, contact) membership that changed, written with one insert; each
    is about its contact (so erasing the contact forgets it). Ids only, never the list's
    name."""
    await emit_many(
        conn,
        tenant_id,
        [
            (type_, {"list": {"id": str(lid)}, "contact": {"id": str(cid)}}, cid)
            for lid, cid in changes
        ],
    )
