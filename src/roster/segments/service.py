"""Segments: saved filter expressions whose members are computed on every read.

Nothing is materialised, so membership is always current: a contact written a moment ago
is counted by the next read. The filter is validated (and compiled once) on write, so a
stored segment always compiles; archived contacts never match.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.auth.principal import Principal
from roster.errors import Conflict, InvalidRequest, NotFound, PreconditionFailed, ValidationFailed
from roster.filters.compile import compile_filter
from roster.filters.listing import contact_page, count_and_sample
from roster.filters.schema import Expression
from roster.kit.ids import uuid7
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.timeutil import utcnow
from roster.kit.versions import check_if_match as check_if_match_of
from roster.kit.versions import etag as etag
from roster.segments.repository import SegmentRepository

Row = dict[str, Any]


def _repo(conn: AsyncConnection, principal: Principal) -> SegmentRepository:
    return SegmentRepository(conn, principal.tenant_id)


def _check_if_match(row: Row, if_match: str | None) -> None:
    check_if_match_of(row, if_match, "segment")


def _condition(
    principal: Principal, expr: Expression | dict[str, Any], default_region: str
) -> ColumnElement[bool]:
    region = principal.default_region or default_region
    return compile_filter(expr, principal.tenant_id, region=region)


async def _found(repo: SegmentRepository, segment_id: UUID, *, for_update: bool = False) -> Row:
    row = await repo.get(segment_id, for_update=for_update)
    if row is None:
        raise NotFound("no such segment")
    return row


async def create(
    conn: AsyncConnection,
    principal: Principal,
    *,
    name: str,
    description: str | None,
    expr: Expression,
    default_region: str,
) -> Row:
    _condition(principal, expr, default_region)  # refuses what cannot be compiled
    repo = _repo(conn, principal)
    now = utcnow()
    row = {
        "id": uuid7(),
        "name": name,
        "description": description,
        "filter": expr.dump(),
        "created_at": now,
        "updated_at": now,
        "version": 1,
    }
    if not await repo.add(row):
        raise Conflict("name", await repo.id_by_name(name), "a segment has this name")
    return row


async def get(
    conn: AsyncConnection, principal: Principal, segment_id: UUID, *, default_region: str
) -> Row:
    row = await _found(_repo(conn, principal), segment_id)
    where = _condition(principal, row["filter"], default_region)
    count, _ = await count_and_sample(conn, principal.tenant_id, where, sample=0)
    return {**row, "contact_count": count}


async def update(
    conn: AsyncConnection,
    principal: Principal,
    segment_id: UUID,
    data: Row,
    *,
    if_match: str | None,
    default_region: str,
) -> Row:
    repo = _repo(conn, principal)
    current = await _found(repo, segment_id, for_update=True)
    _check_if_match(current, if_match)
    for required in ("name", "filter"):
        if required in data and data[required] is None:
            raise ValidationFailed.one(required, f"a segment must have a {required}")
    values = dict(data)
    if "filter" in values:
        expr: Expression = values["filter"]
        _condition(principal, expr, default_region)
        values["filter"] = expr.dump()
    if any(current[k] != v for k, v in values.items()):
        values.update(updated_at=utcnow(), version=current["version"] + 1)
        written = await repo.change(segment_id, current["version"], values)
        if written is None:
            raise PreconditionFailed("the segment was changed concurrently; fetch it and retry")
        if written is False:
            raise Conflict("name", await repo.id_by_name(values["name"]), "a segment has this name")
        current = {**current, **values}
    return current


async def delete(
    conn: AsyncConnection, principal: Principal, segment_id: UUID, if_match: str | None
) -> None:
    repo = _repo(conn, principal)
    current = await _found(repo, segment_id, for_update=True)
    _check_if_match(current, if_match)
    await repo.remove(segment_id)


async def page(
    conn: AsyncConnection, principal: Principal, *, paging: PageRequest, cursors: Cursors
) -> Page:
    after = None
    if paging.cursor is not None:
        try:
            after = UUID(str(paging.cursor[0]))
        except (ValueError, IndexError):
            raise InvalidRequest("cursor is not valid") from None
    rows = await _repo(conn, principal).page(after, paging.limit + 1)
    return keyset_page(
        rows, paging.limit, key_of=lambda r: [str(r["id"])], cursors=cursors, kind="segments"
    )


async def condition(
    conn: AsyncConnection, principal: Principal, segment_id: UUID, *, default_region: str
) -> ColumnElement[bool]:
    """The members of a segment as a condition over contacts (for a ``segment_id`` query
    filter, exports and bulk actions). 404 when the segment is not this tenant's."""
    row = await _found(_repo(conn, principal), segment_id)
    return _condition(principal, row["filter"], default_region)


async def contacts(
    conn: AsyncConnection,
    principal: Principal,
    segment_id: UUID,
    *,
    sort: str,
    paging: PageRequest,
    cursors: Cursors,
    include_total: bool,
    default_region: str,
) -> Page:
    where = await condition(conn, principal, segment_id, default_region=default_region)
    return await contact_page(
        conn,
        principal.tenant_id,
        where,
        sort=sort,
        paging=paging,
        cursors=cursors,
        kind=f"segment:{segment_id}:{sort}",
        include_total=include_total,
    )


async def preview(
    conn: AsyncConnection, principal: Principal, expr: Expression, *, default_region: str
) -> Row:
    where = _condition(principal, expr, default_region)
    count, sample = await count_and_sample(conn, principal.tenant_id, where)
    return {"count": count, "sample": sample}
