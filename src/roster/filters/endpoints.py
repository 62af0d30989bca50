"""HTTP routes that list contacts through the filter compiler: ``GET /v1/contacts`` (the
query-string filters) and ``POST /v1/contacts/search`` (a filter expression)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any, get_args

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Receive, Scope, Send

from roster.auth import scopes
from roster.auth.deps import ContactsListRead, ContactsRead, check_scope, resolve_scope
from roster.auth.principal import Principal
from roster.contacts import render
from roster.contacts.schemas import ContactPage
from roster.errors import RosterError
from roster.filters import listing, query
from roster.filters import service as expressions
from roster.filters.bodies import SearchBody
from roster.filters.parameters import (
    PAGING,
    ListFilterParameters,
    ListPaging,
    ListPagingParameters,
    Sort,
    list_paging_parameters,
)
from roster.kit.db import is_unavailable, unreachable
from roster.kit.jsonutil import JSONBody, problem_response
from roster.kit.pagination import Page, envelope, page_request
from roster.kit.web import cursors, problems, scope_uow, settings, uow
from roster.models import PREFERENCE_CHANNELS

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
    return await _list_page(request.scope, principal, paged, query.by_name(request.query_params))


async def _list_page(
    scope: Scope, principal: Principal, paged: ListPaging, params: Mapping[str, list[str]]
) -> JSONBody:
    """``list_contacts``'s work once the request is authenticated and typed: the route's
    and ``ContactPages``'s alike."""
    state = scope["app"].state
    parsed = query.parse(params)
    kind = listing.listing_kind(paged.sort, parsed)
    paging = page_request(
        paged.limit, paged.cursor, paged.offset, paged.page, cursors=state.cursors, kind=kind
    )
    async with scope_uow(scope, write=False) as conn:
        result = await listing.list_page(
            conn,
            principal,
            parsed,
            sort=paged.sort,
            paging=paging,
            cursors=state.cursors,
            include_total=paged.include_total,
            default_region=state.settings.default_region,
        )
    return contact_page_body(result)


def _matches(pattern: str) -> Callable[[str], bool]:
    whole = re.compile(pattern).fullmatch
    return lambda value: whole(value) is not None


def _one_of(*values: str) -> Callable[[str], bool]:
    return frozenset(values).__contains__


# What ``ContactPages`` takes as it is; any other value of these parameters (which the
# framework might read otherwise, or refuse) goes to the router.
_NUMBER = _matches(r"[0-9]{1,6}")
_UUID = _matches(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_BOOL = _one_of("true", "false")
_PLAIN: dict[str, Callable[[str], bool]] = {
    "sort": _one_of(*get_args(Sort)),
    "include_total": _BOOL,
    "include_deleted": _BOOL,
    "suppressed": _BOOL,
    "opted_out": _one_of(*PREFERENCE_CHANNELS),
    "limit": _NUMBER,
    "offset": _NUMBER,
    "page": _NUMBER,
    "list_id": _UUID,
    "segment_id": _UUID,
}


# How a plain paging value is typed (the others are text).
_TYPED: dict[str, Callable[[str], Any]] = {
    "limit": int,
    "offset": int,
    "page": int,
    "include_total": lambda value: value == "true",
}


async def _paging(params: Mapping[str, list[str]]) -> ListPaging | None:
    """The paging of a query string whose typed parameters are all plain (each given once,
    in the form ``_PLAIN`` takes), with the route's own defaults; else None."""
    for name, values in params.items():
        plain = _PLAIN.get(name)
        if plain is not None and (len(values) != 1 or not plain(values[0])):
            return None
    given = {name: _TYPED.get(name, str)(params[name][0]) for name in PAGING if name in params}
    return await list_paging_parameters(**given)


class ContactPages:
    """Serves ``list_contacts`` for ``GET /v1/contacts`` without the router.

    Matching the route and solving its dependencies (twenty declared query parameters)
    cost more than the page's query. This middleware answers the request when every typed
    parameter is in a plain form (``_PLAIN``), with the route's checks in the route's order
    (credential, rate limit, scope, then the filter and the paging) and its failures
    rendered as the exception handlers render them; anything else goes on to the router.
    ``tests/filters/test_contact_pages.py`` holds both paths to the same answers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.route = next(r for r in router.routes if getattr(r, "endpoint", None) is list_contacts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == "/v1/contacts":
            values = query.by_name(QueryParams(scope["query_string"]))
            paged = await _paging(values)
            if paged is not None:
                await self.serve(scope, receive, send, paged, values)
                return
        await self.app(scope, receive, send)

    async def serve(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        paged: ListPaging,
        params: Mapping[str, list[str]],
    ) -> None:
        scope["route"] = self.route  # what the router sets (metrics and logs label by it)
        response: Response
        try:
            principal = check_scope(
                await resolve_scope(scope, single_reads=True), scopes.CONTACTS_READ
            )
            response = await _list_page(scope, principal, paged, params)
        except DBAPIError as exc:
            if not is_unavailable(exc):
                raise
            response = problem_response(unreachable())
        except RosterError as exc:
            response = problem_response(exc)
        await response(scope, receive, send)


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
