"""Pages of contacts, in one of the contact sort orders, for every listing.

``GET /v1/contacts`` (``list_page``), search, and list and segment members
(``contact_page``) all page the same way: keyset pagination on the sort key plus id, with
one cursor key (``cursor_key``/``decode_key``). The listing's sorts on a key a write can
move (``updated_at``, ``name``) also stamp the first page's time into the cursor, and later
pages leave out rows changed since, so a moved row is never returned twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.auth.principal import Principal
from roster.errors import InvalidRequest, NotFound
from roster.filters.compile import compile_filter
from roster.filters.query import ListQuery, condition, parse
from roster.filters.repository import plans
from roster.filters.repository.contacts import ListingRepository, Selection, Window
from roster.filters.schema import Expression
from roster.filters.search_text import needles, q_like
from roster.kit.db import custom_plans
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.repository import live
from roster.kit.timeutil import utcnow
from roster.models import PREFERENCE_CHANNELS, contacts

SAMPLE_SIZE = 10
# Sorts on a key a write can move (a rename, any update).
_MOVABLE = ("updated_at", "name", "-name")


def cursor_key(sort: str, row: dict[str, Any], as_of: str | None = None) -> list[Any]:
    field = sort.lstrip("-")
    key = row["sort_name"] if field == "name" else row[field].isoformat()
    return [key, str(row["id"]), as_of]


def decode_key(sort: str, key: list[Any]) -> tuple[list[Any], datetime | None]:
    """The keyset (sort key, id) of a cursor's key, and the time its first page was read."""
    try:
        first = key[0] if sort.lstrip("-") == "name" else datetime.fromisoformat(key[0])
        if not isinstance(first, str | datetime):
            raise TypeError
        as_of = datetime.fromisoformat(key[2]) if len(key) > 2 and key[2] is not None else None
        return [first, UUID(key[1])], as_of
    except (TypeError, ValueError, IndexError):
        raise InvalidRequest("cursor is not valid") from None


def listing_kind(sort: str, query: ListQuery) -> str:
    """What a cursor is bound to: the sort and the filter it was made for."""
    return f"contacts:{sort}:{query.fingerprint()}"


async def selection(
    conn: AsyncConnection, principal: Principal, query: ListQuery, *, default_region: str
) -> Selection:
    """The compiled filter of a query string; 404 when its ``list_id`` or ``segment_id``
    is not one of the tenant's."""
    repo = ListingRepository(conn, principal.tenant_id)
    region, engine = principal.default_region or default_region, conn.dialect.name
    where: list[ColumnElement[bool]] = []
    if query.list_id is not None:
        if not await repo.list_exists(query.list_id):
            raise NotFound("no such list")
        member = condition("lists", "has", str(query.list_id))
        where.append(compile_filter(member, principal.tenant_id, region=region, engine=engine))
    if query.segment_id is not None:
        stored = await repo.segment_filter(query.segment_id)
        if stored is None:
            raise NotFound("no such segment")
        where.append(compile_filter(stored, principal.tenant_id, region=region, engine=engine))
    if query.expr is not None:
        where.append(compile_filter(query.expr, principal.tenant_id, region=region, engine=engine))
    return Selection(
        where=tuple(where),
        q=query.q,
        include_deleted=query.include_deleted,
        tags=query.tags,
        tags_only=query.tags_only,
    )


def whole_condition(sel: Selection) -> ColumnElement[bool]:
    """Every condition of ``sel`` as one, ``q`` as LIKE (for an export, which reads every
    match in id order)."""
    parts = [] if sel.include_deleted else [live(contacts)]
    if sel.q is not None:
        parts.append(q_like(needles(sel.q)))
    return and_(true(), *parts, *sel.where)


def opted_out(tenant_id: UUID, channel: str | None, q: str | None) -> ColumnElement[bool]:
    """The opt-out list's condition: opted out of ``channel`` (of any channel when None),
    and matching ``q`` (checked and read as the listing's ``q``: 400 naming it)."""
    channels = [channel] if channel else list(PREFERENCE_CHANNELS)
    parts = [condition(f"preferences.{name}", "eq", "opted_out") for name in channels]
    expr = parts[0] if len(parts) == 1 else Expression.model_construct(any_=parts)
    sel = Selection(
        where=(compile_filter(expr, tenant_id),),
        q=parse({"q": [q]}).q if q is not None else None,
    )
    return whole_condition(sel)


async def list_page(
    conn: AsyncConnection,
    principal: Principal,
    query: ListQuery,
    *,
    sort: str,
    paging: PageRequest,
    cursors: Cursors,
    include_total: bool = False,
    default_region: str,
) -> Page:
    """One page of the tenant's contacts matching ``query`` (see docs/contacts.md); 404
    when its ``list_id`` or ``segment_id`` is not one of the tenant's."""
    sel = await selection(conn, principal, query, default_region=default_region)
    after, as_of = decode_key(sort, paging.cursor) if paging.cursor is not None else (None, None)
    # Taken before the read, so that a row the first page saw and a writer then moved is
    # past ``as_of`` and left out of later pages.
    stamp_at = as_of or (utcnow() if sort in _MOVABLE else None)
    stamp = stamp_at.isoformat() if stamp_at is not None else None
    repo = ListingRepository(conn, principal.tenant_id)
    window = Window(sort, paging.limit + 1, after, as_of, paging.offset)
    kind = listing_kind(sort, query)
    return await _page(repo, sel, window, cursors, kind, include_total, stamp)


async def contact_page(
    conn: AsyncConnection,
    tenant_id: UUID,
    where: ColumnElement[bool],
    *,
    sort: str,
    paging: PageRequest,
    cursors: Cursors,
    kind: str,
    include_total: bool = False,
    q: str | None = None,
) -> Page:
    """One page of the live contacts matching ``where`` (and ``q``, a substring as
    ``GET /v1/contacts?q=`` reads it)."""
    await custom_plans(conn)
    repo = ListingRepository(conn, tenant_id)
    sel = Selection(where=(where,), q=q or None)
    after = decode_key(sort, paging.cursor)[0] if paging.cursor is not None else None
    window = Window(sort, paging.limit + 1, after, None, paging.offset)
    return await _page(repo, sel, window, cursors, kind, include_total)


async def _page(
    repo: ListingRepository,
    sel: Selection,
    window: Window,
    cursors: Cursors,
    kind: str,
    include_total: bool,
    stamp: str | None = None,
) -> Page:
    """The page (a ``limit + 1`` fetch trimmed) with its signed cursor and the total."""
    rows = await plans.Planner(repo, sel, window).page()
    total = await repo.count(sel) if include_total else None
    return keyset_page(
        rows,
        window.limit - 1,
        key_of=lambda r: cursor_key(window.sort, r, stamp),
        cursors=cursors,
        kind=kind,
        total=total,
    )


async def count_and_sample(
    conn: AsyncConnection,
    tenant_id: UUID,
    where: ColumnElement[bool],
    *,
    sort: str = "-created_at",
    sample: int = SAMPLE_SIZE,
) -> tuple[int, list[dict[str, Any]]]:
    """How many live contacts match, and the first ``sample`` in ``sort`` order."""
    await custom_plans(conn)
    repo = ListingRepository(conn, tenant_id)
    sel = Selection(where=(where,))
    count = await repo.count(sel)
    if not sample:
        return count, []
    return count, await plans.Planner(repo, sel, Window(sort, sample)).page()
