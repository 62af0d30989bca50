"""omnichannel's lists and segments, ``/v1/contacts/lists`` and ``/v1/contacts/segments``,
over Roster's static lists and dynamic segments.

The bodies are Roster's own (a list's ``name`` and ``description``; a segment's ``name``,
``description`` and ``filter``, the filter language of docs/filters.md), so they are taken
with Roster's schemas; the answers are wrapped in ``{"data", "meta"}``.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.compat.omnichannel import errors
from roster.compat.omnichannel.schemas import (
    OmnichannelContactsAnswer,
    OmnichannelMeta,
    OmnichannelPageMeta,
    contact,
    one,
    page,
)
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import MAX_LIMIT, page_request
from roster.kit.timeutil import rfc3339
from roster.kit.web import cursors, settings, uow
from roster.lists import service as lists
from roster.lists.schemas import ListCreate, ListUpdate
from roster.segments import service as segments
from roster.segments.schemas import SegmentCreate

router = APIRouter(prefix="/v1/contacts")

MEMBER_SORT = "-created_at"
DEFAULT_LIMIT = 20
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Results per page (max 100)")]
Cursor = Annotated[str | None, Query(description="`meta.pagination.cursor` of the last page")]


class OmnichannelList(BaseModel):
    id: str
    name: str
    description: str | None
    member_count: int | None = None
    created_at: str
    updated_at: str


class OmnichannelSegment(BaseModel):
    id: str
    name: str
    description: str | None
    filter: dict[str, Any]
    contact_count: int | None = None
    created_at: str
    updated_at: str


class OmnichannelListAnswer(BaseModel):
    data: OmnichannelList
    meta: OmnichannelMeta


class OmnichannelListsAnswer(BaseModel):
    data: list[OmnichannelList]
    meta: OmnichannelPageMeta


class OmnichannelSegmentAnswer(BaseModel):
    data: OmnichannelSegment
    meta: OmnichannelMeta


class OmnichannelSegmentsAnswer(BaseModel):
    data: list[OmnichannelSegment]
    meta: OmnichannelPageMeta


def _times(row: dict[str, Any]) -> dict[str, Any]:
    return {"created_at": rfc3339(row["created_at"]), "updated_at": rfc3339(row["updated_at"])}


def render_list(row: dict[str, Any]) -> dict[str, Any]:
    body = {"id": str(row["id"]), "name": row["name"], "description": row["description"]}
    if "member_count" in row:
        body["member_count"] = row["member_count"]
    return {**body, **_times(row)}


def render_segment(row: dict[str, Any]) -> dict[str, Any]:
    body = {
        "id": str(row["id"]),
        "name": row["name"],
        "description": row["description"],
        "filter": row["filter"],
    }
    if "contact_count" in row:
        body["contact_count"] = row["contact_count"]
    return {**body, **_times(row)}


@router.get(
    "/lists",
    response_model=OmnichannelListsAnswer,
    responses=errors.responses(400),
    operation_id="omnichannel_lists_list",
    summary="List All Lists",
)
async def list_lists(
    request: Request, principal: ContactsRead, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Response:
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind="lists")
    async with uow(request, write=False) as conn:
        result = await lists.page(conn, principal, paging=paging, cursors=cursors(request))
    return JSONBody(page(request, result, [render_list(row) for row in result.rows]))


@router.post(
    "/lists",
    status_code=201,
    response_model=OmnichannelListAnswer,
    responses=errors.responses(400, 409, 422),
    operation_id="omnichannel_lists_create",
    summary="Create List",
    description="List names are unique in the account.",
)
async def create_list(request: Request, principal: ContactsWrite, body: ListCreate) -> Response:
    async with uow(request, write=True) as conn:
        row = await lists.create(conn, principal, body.model_dump())
    return JSONBody(one(request, render_list(row)), status_code=201)


@router.put(
    "/lists/{list_id}",
    response_model=OmnichannelListAnswer,
    responses=errors.responses(400, 404, 409, 422),
    operation_id="omnichannel_lists_update",
    summary="Update List",
)
async def update_list(
    request: Request, principal: ContactsWrite, list_id: UUID, body: ListUpdate
) -> Response:
    async with uow(request, write=True) as conn:
        row = await lists.update(
            conn, principal, list_id, body.model_dump(exclude_unset=True), None
        )
    return JSONBody(one(request, render_list(row)))


@router.delete(
    "/lists/{list_id}",
    status_code=204,
    responses=errors.responses(404),
    operation_id="omnichannel_lists_delete",
    summary="Delete List",
    description="Members are not deleted; only their membership goes.",
)
async def delete_list(request: Request, principal: ContactsWrite, list_id: UUID) -> Response:
    async with uow(request, write=True) as conn:
        await lists.delete(conn, principal, list_id, None)
    return Response(status_code=204)


@router.get(
    "/lists/{list_id}/members",
    response_model=OmnichannelContactsAnswer,
    responses=errors.responses(400, 404),
    operation_id="omnichannel_lists_members_list",
    summary="List Members",
    description="The list's contacts, newest first, cursor-paginated.",
)
async def list_members(
    request: Request,
    principal: ContactsRead,
    list_id: UUID,
    cursor: Cursor = None,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    kind = f"list:{list_id}:{MEMBER_SORT}"
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind=kind)
    async with uow(request, write=False) as conn:
        result = await lists.members(
            conn,
            principal,
            list_id,
            sort=MEMBER_SORT,
            paging=paging,
            cursors=cursors(request),
            include_total=False,
        )
    return JSONBody(page(request, result, [contact(row) for row in result.rows]))


@router.get(
    "/segments",
    response_model=OmnichannelSegmentsAnswer,
    responses=errors.responses(400),
    operation_id="omnichannel_segments_list",
    summary="List Segments",
)
async def list_segments(
    request: Request, principal: ContactsRead, cursor: Cursor = None, limit: Limit = DEFAULT_LIMIT
) -> Response:
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind="segments")
    async with uow(request, write=False) as conn:
        result = await segments.page(conn, principal, paging=paging, cursors=cursors(request))
    return JSONBody(page(request, result, [render_segment(row) for row in result.rows]))


@router.post(
    "/segments",
    status_code=201,
    response_model=OmnichannelSegmentAnswer,
    responses=errors.responses(400, 409, 422),
    operation_id="omnichannel_segments_create",
    summary="Create Segment",
    description="`filter` is a filter expression (docs/filters.md); membership is computed "
    "on every read, so it is always current.",
)
async def create_segment(
    request: Request, principal: ContactsWrite, body: SegmentCreate
) -> Response:
    region = settings(request).default_region
    async with uow(request, write=True) as conn:
        made = await segments.create(
            conn,
            principal,
            name=body.name,
            description=body.description,
            expr=body.filter,
            default_region=region,
        )
        row = await segments.get(conn, principal, made["id"], default_region=region)
    return JSONBody(one(request, render_segment(row)), status_code=201)


@router.delete(
    "/segments/{segment_id}",
    status_code=204,
    responses=errors.responses(404),
    operation_id="omnichannel_segments_delete",
    summary="Delete Segment",
    description="Contacts are not affected.",
)
async def delete_segment(request: Request, principal: ContactsWrite, segment_id: UUID) -> Response:
    async with uow(request, write=True) as conn:
        await segments.delete(conn, principal, segment_id, None)
    return Response(status_code=204)
