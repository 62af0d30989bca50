"""HTTP routes that list contacts through the filter compiler: ``GET /v1/contacts`` (the
query-string filters) and ``POST /v1/contacts/search`` (a filter expression)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from roster.auth.deps import ContactsListRead, ContactsRead
from roster.contacts import render
from roster.contacts.schemas import ContactPage
from roster.filters import listing, query
from roster.filters import service as expressions
from roster.filters.bodies import SearchBody
from roster.filters.parameters import (
    ListFilterParameters,
    ListPaging,
    ListPagingParameters,
    Sort,
)
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import Page, envelope, page_request
from roster.kit.web import cursors, problems, settings, uow

router = APIRouter(prefix="/v1", tags=["contacts"])


def contact_page_body(result: Page) -> JSONBody:
    data = [render.contact(row) for row in result.rows]
    return JSONBody(envelope(data, result.has_more, result.next_cursor, result.total))


LIST_DESCRIPTION = """Filters combine with AND. `q`: case-insensitive substring of name, first/last
name, email or company, or of the phone's digits (`555-1234` finds `+14155551234`).
`tag` (repeatable) must all be present; `any_tag` (repeatable) at least one.
`custom_fields.<key>=<value>` matches a JSON string equal to the value or the number,
boolean or null whose JSON text it is (`custom_fields.is_vip=true` finds `true` and `"true"`).
`list_id`: members of that list; `segment_id`: contacts matching that segment's filter now.
An id that is not one of your lists or segments answers 404 (never an empty page).
Archived contacts are left out unless `include_deleted=true` (which also applies to list
and segment members). Timestamps are RFC 3339. A cursor only works with the sort and
filters it was made for. Unknown query parameters are refused with 400."""


@router.get(
    "/contacts",
    response_model=ContactPage,
    responses=problems(400, 404),
    summary="List and search contacts",
    description=LIST_DESCRIPTION,
)
async def list_contacts(
    request: Request,
    # A page is one statement (with a total, a count beside it; with q, the planner's
    # probes): none needs another's snapshot, so no transaction is begun around them.
    principal: ContactsListRead,
    paged: ListPagingParameters,
    _filters: ListFilterParameters = None,
) -> Response:
    params = request.query_params
    parsed = query.parse({name: params.getlist(name) for name in params})
    kind = listing.listing_kind(paged.sort, parsed)
    paging = page_request(
        paged.limit, paged.cursor, paged.offset, paged.page, cursors=cursors(request), kind=kind
    )
    async with uow(request, write=False) as conn:
        result = await listing.list_page(
            conn,
            principal,
            parsed,
            sort=paged.sort,
            paging=paging,
            cursors=cursors(request),
            include_total=paged.include_total,
            default_region=settings(request).default_region,
        )
    return contact_page_body(result)


@router.post(
    "/contacts/search",
    response_model=ContactPage,
    responses=problems(400, 422),
    summary="Search contacts with a filter expression",
    description="Live contacts matching `filter` (docs/filters.md) and `q`, keyset-paged.",
)
async def search_contacts(request: Request, principal: ContactsRead, body: SearchBody) -> Response:
    paging = page_request(
        body.limit, body.cursor, None, None, cursors=cursors(request), kind=f"search:{body.sort}"
    )
    async with uow(request, write=False) as conn:
        result = await expressions.search(
            conn,
            principal,
            expr=body.filter,
            q=body.q,
            sort=body.sort,
            paging=paging,
            cursors=cursors(request),
            default_region=settings(request).default_region,
            include_total=body.include_total,
        )
    return contact_page_body(result)


async def member_paging(
    sort: Sort = "-created_at",
    limit: Annotated[int | None, Query(description="1..100, default 50")] = None,
    cursor: str | None = None,
    include_total: bool = False,
) -> ListPaging:
    """How a list's or segment's members page: by cursor only."""
    return ListPaging(sort, limit, cursor, None, None, include_total)


MemberPagingParameters = Annotated[ListPaging, Depends(member_paging)]
# (connection, sort=, paging=, cursors=, include_total=) → the page
ReadMembers = Callable[..., Awaitable[Page]]


async def members_response(
    request: Request, paged: ListPaging, kind: str, read: ReadMembers
) -> Response:
    """A page of the contacts of a list or segment, read by ``read`` (``kind`` binds its
    cursors)."""
    paging = page_request(
        paged.limit, paged.cursor, None, None, cursors=cursors(request), kind=f"{kind}:{paged.sort}"
    )
    async with uow(request, write=False) as conn:
        result = await read(
            conn,
            sort=paged.sort,
            paging=paging,
            cursors=cursors(request),
            include_total=paged.include_total,
        )
    return contact_page_body(result)
