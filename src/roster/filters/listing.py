"""Pages of contacts matching a condition, in one of the contact sort orders.

Search, segment members and list members all page through contacts the same way: keyset
pagination on the sort key plus id (the sorts of ``contacts.repository.SORTS``), live
contacts only, the tenant scope applied by the repository base.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.contacts.query import ContactFilter
from roster.contacts.repository import SORTS, ContactRepository
from roster.errors import InvalidRequest
from roster.kit.db import custom_plans
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.repository import TenantRepository
from roster.models import contacts

c = contacts.c
SAMPLE_SIZE = 10


class ContactFilterRepository(TenantRepository):
    """Queries over the contacts of one tenant that a filter condition narrows."""

    table = contacts

    async def page(
        self,
        where: ColumnElement[bool],
        *,
        sort: str,
        after: list[Any] | None,
        offset: int | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        key, descending = SORTS[sort]
        await custom_plans(self.conn)
        query = self.select().where(c.deleted_at.is_(None), where)
        if after is not None:
            bound = tuple_(key, c.id)
            marker = tuple_(
                bindparam(None, after[0], type_=key.type),
                bindparam(None, after[1], type_=c.id.type),
            )
            query = query.where(bound < marker if descending else bound > marker)
        order = (key.desc(), c.id.desc()) if descending else (key.asc(), c.id.asc())
        query = query.order_by(*order).limit(limit)
        if offset:
            query = query.offset(offset)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def count(self, where: ColumnElement[bool]) -> int:
        await custom_plans(self.conn)
        query = self.select(func.count()).where(c.deleted_at.is_(None), where)
        return int((await self.conn.execute(query)).scalar_one())


def _sort_key(sort: str, row: dict[str, Any]) -> list[Any]:
    field = sort.lstrip("-")
    key = (row["name"] or "").lower() if field == "name" else row[field].isoformat()
    return [key, str(row["id"])]


def _decode_key(sort: str, key: list[Any]) -> list[Any]:
    try:
        first = key[0] if sort.lstrip("-") == "name" else datetime.fromisoformat(key[0])
        return [first, UUID(key[1])]
    except (TypeError, ValueError, IndexError):
        raise InvalidRequest("cursor is not valid") from None


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
    ``GET /v1/contacts?q=`` reads it, planned by the contacts' own repository)."""
    after = _decode_key(sort, paging.cursor) if paging.cursor is not None else None
    total: int | None
    if q:
        await custom_plans(conn)
        contacts_repo = ContactRepository(conn, tenant_id)
        flt, scope = ContactFilter(q=q), [where]
        rows = await contacts_repo.page(
            flt,
            sort=sort,
            after=after,
            as_of=None,
            offset=paging.offset,
            limit=paging.limit + 1,
            scope=scope,
        )
        total = await contacts_repo.count(flt, scope) if include_total else None
    else:
        repo = ContactFilterRepository(conn, tenant_id)
        rows = await repo.page(
            where, sort=sort, after=after, offset=paging.offset, limit=paging.limit + 1
        )
        total = await repo.count(where) if include_total else None
    return keyset_page(
        rows,
        paging.limit,
        key_of=lambda r: _sort_key(sort, r),
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
    repo = ContactFilterRepository(conn, tenant_id)
    count = await repo.count(where)
    if not sample:
        return count, []
    rows = await repo.page(where, sort=sort, after=None, offset=None, limit=sample)
    return count, rows
