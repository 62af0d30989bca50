"""``POST /v1/contacts/search``: a filter expression, ``q`` and a sort, paged by keyset."""

from __future__ import annotations

from sqlalchemy import true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.auth.principal import Principal
from roster.filters.compile import compile_filter
from roster.filters.listing import contact_page
from roster.filters.schema import Expression
from roster.filters.search_text import clean_q
from roster.kit.pagination import Cursors, Page, PageRequest


def condition(
    principal: Principal, expr: Expression | None, *, default_region: str
) -> ColumnElement[bool]:
    """The filter, for this principal's tenant and region."""
    if expr is None:
        return true()
    region = principal.default_region or default_region
    return compile_filter(expr, principal.tenant_id, region=region)


async def search(
    conn: AsyncConnection,
    principal: Principal,
    *,
    expr: Expression | None,
    q: str | None,
    sort: str,
    paging: PageRequest,
    cursors: Cursors,
    default_region: str,
    include_total: bool = False,
) -> Page:
    """``q`` has the meaning and the indexes of ``GET /v1/contacts?q=``: the listing plans
    it (the trigram index on PostgreSQL, FTS5 on SQLite, or a bounded walk along the sort
    order), with the filter as one more condition."""
    where = condition(principal, expr, default_region=default_region)
    return await contact_page(
        conn,
        principal.tenant_id,
        where,
        sort=sort,
        paging=paging,
        cursors=cursors,
        kind=f"search:{sort}",
        include_total=include_total,
        q=clean_q(q) if q else None,
    )
