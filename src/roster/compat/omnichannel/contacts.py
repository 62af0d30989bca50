"""omnichannel's contact calls, ``/v1/contacts`` and below, over Roster's services: the
contact record, its tags, its timeline, its consent and the opt-out list.

Each route resolves Roster's credential and scope, calls the service Roster's own route
calls, in Roster's unit of work, and wraps the answer in ``{"data", "meta"}``. Failures are
Roster's errors, written in omnichannel's body by ``errors.error``.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from roster.activities import service as activities
from roster.auth.deps import ContactsRead, ContactsWrite
from roster.compat import contacts as shared
from roster.compat.omnichannel import errors
from roster.compat.omnichannel.schemas import (
    OmnichannelContactAnswer,
    OmnichannelContactCreate,
    OmnichannelContactsAnswer,
    OmnichannelContactUpdate,
    OmnichannelPreferences,
    OmnichannelPreferencesAnswer,
    OmnichannelTags,
    OmnichannelTimelineAnswer,
    contact,
    one,
    page,
    to_roster,
)
from roster.consent import service as consent
from roster.contacts import service
from roster.contacts.query import MAX_Q
from roster.contacts.schemas import PreferenceChannel
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import MAX_LIMIT, page_request
from roster.kit.web import cursors, settings, uow

router = APIRouter(prefix="/v1/contacts")

SOURCE = "api:omnichannel"
DEFAULT_LIMIT = 20
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Results per page (max 100)")]
Cursor = Annotated[str | None, Query(description="`meta.pagination.cursor` of the last page")]
Search = Annotated[str | None, Query(max_length=MAX_Q, description="Name, phone or email")]
Total = Annotated[bool, Query(description="Count the matches into `meta.pagination.total`")]


@router.post(
    "",
    status_code=201,
    response_model=OmnichannelContactAnswer,
    responses=errors.responses(400, 409, 422),
    operation_id="omnichannel_contacts_create",
    summary="Create Contact",
)
async def create_contact(
    request: Request, principal: ContactsWrite, body: OmnichannelContactCreate
) -> Response:
    row = await shared.create(request, principal, to_roster(body, SOURCE))
    return JSONBody(one(request, contact(row)), status_code=201)


@router.get(
    "",
    response_model=OmnichannelContactsAnswer,
    responses=errors.responses(400),
    operation_id="omnichannel_contacts_list",
    summary="List Contacts",
    description="Newest first, cursor-paginated. `search` is a substring of the name, phone "
    "or email; `lifecycle_stage` and `country_code` are exact.",
)
async def list_contacts(
    request: Request,
    principal: ContactsRead,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
    search: Search = None,
    lifecycle_stage: Annotated[str | None, Query(max_length=255)] = None,
    country_code: Annotated[str | None, Query(max_length=2, description="e.g. US")] = None,
    include_total: Total = False,
) -> Response:
    given = (("q", search), ("status", lifecycle_stage), ("country", country_code))
    params = {name: [value] for name, value in given if value and value.strip()}
    result = await shared.listed(
        request, principal, params, limit=limit, cursor=cursor, include_total=include_total
    )
    return JSONBody(page(request, result, [contact(row) for row in result.rows]))


@router.get(
    "/optouts",
    response_model=OmnichannelContactsAnswer,
    responses=errors.responses(400),
    operation_id="omnichannel_optouts_list",
    summary="Opt-outs",
    description="Contacts opted out of `channel` (of any channel when none is given).",
)
async def list_optouts(
    request: Request,
    principal: ContactsRead,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
    channel: PreferenceChannel | None = None,
    search: Search = None,
) -> Response:
    q = search or None
    kind = f"optouts:{channel or '*'}:{q or ''}"
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind=kind)
    async with uow(request, write=False) as conn:
        result = await consent.optouts_page(
            conn, principal, channel=channel, q=q, paging=paging, cursors=cursors(request)
        )
    return JSONBody(page(request, result, [contact(row) for row in result.rows]))


@router.get(
    "/{contact_id}",
    response_model=OmnichannelContactAnswer,
    responses=errors.responses(404),
    operation_id="omnichannel_contacts_get",
    summary="Get Contact",
)
async def get_contact(request: Request, principal: ContactsRead, contact_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(conn, principal, contact_id)
    return JSONBody(one(request, contact(row)))


@router.put(
    "/{contact_id}",
    response_model=OmnichannelContactAnswer,
    responses=errors.responses(400, 404, 409, 422),
    operation_id="omnichannel_contacts_update",
    summary="Update Contact",
    description="Only the fields sent change; `metadata` is merged with the existing.",
)
async def update_contact(
    request: Request, principal: ContactsWrite, contact_id: UUID, body: OmnichannelContactUpdate
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.update(
            conn,
            principal,
            contact_id,
            to_roster(body),
            default_region=settings(request).default_region,
        )
    return JSONBody(one(request, contact(row)))


@router.delete(
    "/{contact_id}",
    status_code=204,
    responses=errors.responses(404),
    operation_id="omnichannel_contacts_delete",
    summary="Delete Contact",
    description="Permanently removes the contact and its data (Roster's erasure): its "
    "activities, notes and consent history go; its opt-outs are remembered.",
)
async def delete_contact(request: Request, principal: ContactsWrite, contact_id: UUID) -> Response:
    await shared.erase(request, principal, contact_id)
    return Response(status_code=204)


@router.post(
    "/{contact_id}/tags",
    response_model=OmnichannelContactAnswer,
    responses=errors.responses(400, 404, 422),
    operation_id="omnichannel_contacts_tags_add",
    summary="Add Tags",
    description="Duplicate tags are ignored.",
)
async def add_tags(
    request: Request, principal: ContactsWrite, contact_id: UUID, body: OmnichannelTags
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.add_tags(
            conn, principal, contact_id, body.tags, default_region=settings(request).default_region
        )
    return JSONBody(one(request, contact(row)))


@router.delete(
    "/{contact_id}/tags/{tag}",
    response_model=OmnichannelContactAnswer,
    responses=errors.responses(404),
    operation_id="omnichannel_contacts_tags_remove",
    summary="Remove Tag",
    description="A tag the contact does not have is not an error.",
)
async def remove_tag(
    request: Request, principal: ContactsWrite, contact_id: UUID, tag: str
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.remove_tag(
            conn, principal, contact_id, tag, default_region=settings(request).default_region
        )
    return JSONBody(one(request, contact(row)))


@router.get(
    "/{contact_id}/activity",
    response_model=OmnichannelTimelineAnswer,
    responses=errors.responses(400, 404),
    operation_id="omnichannel_contacts_activity_list",
    summary="Activity Timeline",
    description="Newest first: messages sent, delivered, read, agent interactions, and the "
    "contact's own changes (contact.*).",
)
async def activity(
    request: Request,
    principal: ContactsRead,
    contact_id: UUID,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind="activities")
    async with uow(request, write=False) as conn:
        await service.get(conn, principal, contact_id)  # an archived contact is not found
        result = await activities.timeline(
            conn,
            principal,
            contact_id,
            types=[],
            channel=None,
            before=None,
            after=None,
            paging=paging,
            cursors=cursors(request),
        )
    return JSONBody(page(request, result, [activities.render(row) for row in result.rows]))


@router.put(
    "/{contact_id}/preferences",
    response_model=OmnichannelPreferencesAnswer,
    responses=errors.responses(400, 404, 422),
    operation_id="omnichannel_contacts_preferences_update",
    summary="Channel Preferences",
    description="Per channel `opted_in`, `opted_out` or `unknown`; channels not sent keep "
    "their state. Each change joins the contact's consent history with source "
    "`api:omnichannel`.",
)
async def put_preferences(
    request: Request, principal: ContactsWrite, contact_id: UUID, body: OmnichannelPreferences
) -> Response:
    change = {"preferences": body.preferences, "source": SOURCE}
    async with uow(request, write=True) as conn:
        row = await consent.put_preferences(conn, principal, contact_id, change, if_match=None)
    return JSONBody(one(request, consent.preferences(row)))
