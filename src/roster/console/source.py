"""The console's one door to the contact listing and its filter language: the list page
calls these, never the listing's internals, so a change there is mended here alone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal
from roster.filters import listing
from roster.filters import query as filters
from roster.kit.pagination import Cursors, Page, page_request
from roster.lists import service as lists
from roster.segments import service as segments

# The filters the list page offers, by their query-parameter names.
FILTERS = ("q", "tag", "status", "country", "opted_out", "list_id", "segment_id")
SORTS = {
    "-created_at": "Newest first",
    "created_at": "Oldest first",
    "-updated_at": "Recently changed",
    "name": "Name A-Z",
    "-name": "Name Z-A",
}
PAGE_SIZE = 25


def chosen(params: Mapping[str, list[str]]) -> dict[str, list[str]]:
    """The filters a query string sets (empty fields, as a GET form sends them, left out)."""
    return {
        name: [v for v in params.get(name, []) if v.strip()]
        for name in FILTERS
        if any(v.strip() for v in params.get(name, []))
    }


async def page(
    conn: AsyncConnection,
    principal: Principal,
    params: Mapping[str, list[str]],
    *,
    sort: str,
    cursor: str | None,
    include_total: bool,
    cursors: Cursors,
    default_region: str,
) -> Page:
    """One page of contacts for the list page; 400 naming a bad filter, 404 for a list or
    segment that is not the tenant's (as the API answers)."""
    flt = filters.parse(chosen(params))
    paging = page_request(
        PAGE_SIZE, cursor, None, None, cursors=cursors, kind=listing.listing_kind(sort, flt)
    )
    return await listing.list_page(
        conn,
        principal,
        flt,
        sort=sort,
        paging=paging,
        cursors=cursors,
        include_total=include_total,
        default_region=default_region,
    )


async def audiences(
    conn: AsyncConnection, principal: Principal, cursors: Cursors
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The tenant's first 100 lists and segments, for the filter choices."""
    first = page_request(100, None, None, None, cursors=cursors, kind="lists")
    found_lists = await lists.page(conn, principal, paging=first, cursors=cursors)
    first = page_request(100, None, None, None, cursors=cursors, kind="segments")
    found_segments = await segments.page(conn, principal, paging=first, cursors=cursors)
    return list(found_lists.rows), list(found_segments.rows)


async def export_condition(
    conn: AsyncConnection,
    principal: Principal,
    params: Mapping[str, list[str]],
    *,
    default_region: str,
) -> ColumnElement[bool]:
    """The contacts the list page's filters choose, as ``GET /v1/contacts/export`` builds
    its condition (400 naming a bad filter, 404 for a list or segment not the tenant's)."""
    flt = filters.parse(chosen(params), paging=False)
    sel = await listing.selection(conn, principal, flt, default_region=default_region)
    return listing.whole_condition(sel)
