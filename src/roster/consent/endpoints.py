"""HTTP routes of consent: preferences, their history, the opt-out list."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.consent import service
from roster.consent.schemas import ConsentPage, OptOutPage, Preferences, PreferencesWrite
from roster.contacts import render
from roster.contacts import service as contacts
from roster.contacts.schemas import PreferenceChannel
from roster.filters.parameters import Q
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import Page, envelope, page_request
from roster.kit.web import cursors, problems, uow

router = APIRouter(prefix="/v1", tags=["consent"])
Limit = Annotated[int | None, Query(description="1..100, default 50")]
IfMatch = Annotated[str | None, Header(description="ETag of the contact; stale → 412")]


def _page(result: Page, rows: list[Any]) -> JSONBody:
    return JSONBody(envelope(rows, result.has_more, result.next_cursor))


@router.get(
    "/contacts/{contact_id}/preferences",
    response_model=Preferences,
    responses=problems(404),
    summary="A contact's consent per channel",
)
async def get_preferences(request: Request, principal: ContactsRead, contact_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get_preferences(conn, principal, contact_id)
    return JSONBody(service.preferences(row), headers={"ETag": contacts.etag(row)})


@router.put(
    "/contacts/{contact_id}/preferences",
    response_model=Preferences,
    responses=problems(404, 412, 422),
    summary="Change consent explicitly, with its source",
    description="The only write that may turn `opted_out` into `opted_in` or lift a "
    "suppression. Channels not given keep their state. Every change is appended to the "
    "consent history with `source`, `note` and the calling credential as `actor`.",
)
async def put_preferences(
    request: Request,
    principal: ContactsWrite,
    contact_id: UUID,
    body: PreferencesWrite,
    if_match: IfMatch = None,
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.put_preferences(
            conn, principal, contact_id, body.model_dump(exclude_unset=True), if_match=if_match
        )
    return JSONBody(service.preferences(row), headers={"ETag": contacts.etag(row)})


@router.get(
    "/contacts/{contact_id}/consent",
    response_model=ConsentPage,
    responses=problems(400, 404),
    summary="A contact's consent history, newest first (append-only)",
)
async def consent_history(
    request: Request,
    principal: ContactsRead,
    contact_id: UUID,
    limit: Limit = None,
    cursor: str | None = None,
    offset: int | None = None,
    page: int | None = None,
) -> Response:
    paging = page_request(limit, cursor, offset, page, cursors=cursors(request), kind="consent")
    async with uow(request, write=False) as conn:
        result = await service.history_page(
            conn, principal, contact_id, paging=paging, cursors=cursors(request)
        )
    return _page(result, [service.render_event(r) for r in result.rows])


@router.get(
    "/optouts",
    response_model=OptOutPage,
    responses=problems(400),
    summary="Live contacts opted out of a channel (any channel when none is given)",
)
async def optouts(
    request: Request,
    principal: ContactsRead,
    channel: PreferenceChannel | None = None,
    q: Q = None,
    limit: Limit = None,
    cursor: str | None = None,
    offset: int | None = None,
    page: int | None = None,
) -> Response:
    kind = f"optouts:{channel or '*'}:{q or ''}"
    paging = page_request(limit, cursor, offset, page, cursors=cursors(request), kind=kind)
    async with uow(request, write=False) as conn:
        result = await service.optouts_page(
            conn, principal, channel=channel, q=q, paging=paging, cursors=cursors(request)
        )
    return _page(result, [render.contact(r) for r in result.rows])
