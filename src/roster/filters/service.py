"""``POST /v1/contacts/search``: a filter expression, ``q`` and a sort, paged by keyset."""

from __future__ import annotations

from sqlalchemy import and_, true
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.auth.principal import Principal
from roster.filters.compile import compile_filter
from roster.filters.listing import contact_page
from roster.filters.schema import Expression
from roster.filters.text_search import q_condition
from roster.kit.pagination import Cursors, Page, PageRequest


def condition(
    principal: Principal,
    expr: Expression | None,
    q: str | None,
    *,
    default_region: str,
) -> ColumnElement[bool]:
    """The filter and ``q`` together, for this principal's tenant and region."""
    parts: list[ColumnElement[bool]] = []
    if expr is not None:
        region = principal.default_region or default_region
        parts.append(compile_filter(expr, principal.tenant_id, region=region))
    if q:
        parts.append(q_condition(q))
    return and_(*parts) if parts else true()


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
    where = condition(principal, expr, q, default_region=default_region)
    return await contact_page(
        conn,
        principal.tenant_id,
        where,
        sort=sort,
        paging=paging,
        cursors=cursors,
        kind=f"search:{sort}",
        include_total=include_total,
    )
