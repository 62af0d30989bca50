"""Pages of contacts matching a condition, in one of the contact sort orders.

Search, segment members and list members all page through contacts the same way: keyset
pagination on the sort key plus id (the sorts of ``contacts.repository.SORTS``), live
contacts only, read by the contacts' own repository (``ContactRepository.page``) with the
condition as its scope.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.contacts.query import ContactFilter
from roster.contacts.repository import ContactRepository
from roster.errors import InvalidRequest
from roster.kit.db import custom_plans
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page

SAMPLE_SIZE = 10


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
    ``GET /v1/contacts?q=`` reads it), read and planned by the contacts' own repository with
    ``where`` as its scope."""
    await custom_plans(conn)
    repo = ContactRepository(conn, tenant_id)
    flt, scope = ContactFilter(q=q or None), [where]
    rows = await repo.page(
        flt,
        sort=sort,
        after=_decode_key(sort, paging.cursor) if paging.cursor is not None else None,
        as_of=None,
        offset=paging.offset,
        limit=paging.limit + 1,
        scope=scope,
    )
    total = await repo.count(flt, scope) if include_total else None
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
    await custom_plans(conn)
    repo = ContactRepository(conn, tenant_id)
    flt, scope = ContactFilter(), [where]
    count = await repo.count(flt, scope)
    if not sample:
        return count, []
    rows = await repo.page(
        flt, sort=sort, after=None, as_of=None, offset=None, limit=sample, scope=scope
    )
    return count, rows
