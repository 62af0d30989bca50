"""HTTP routes of segments: resolve auth, call one service function, respond."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.contacts import render
from roster.contacts.schemas import ContactPage
from roster.filters.bodies import Preview
from roster.filters.endpoints import MemberPagingParameters, members_response
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import Page, page_request
from roster.kit.web import cursors, problems, settings, uow
from roster.lists import named
from roster.lists.named import IfMatch, Limit
from roster.segments import service
from roster.segments.schemas import (
    PreviewBody,
    SegmentCreate,
    SegmentDetail,
    SegmentPage,
    SegmentUpdate,
)

router = APIRouter(prefix="/v1", tags=["segments"])


def _render(row: dict[str, Any]) -> dict[str, Any]:
    return named.body(row, "contact_count", filter=row["filter"])


def _one(row: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> JSONBody:
    return named.one(_render(row), row, status, headers)


@router.get(
    "/segments", response_model=SegmentPage, responses=problems(400), summary="List segments"
)
async def list_segments(
    request: Request, principal: ContactsRead, limit: Limit = None, cursor: str | None = None
) -> Response:
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind="segments")
    async with uow(request, write=False) as conn:
        result = await service.page(conn, principal, paging=paging, cursors=cursors(request))
    return named.page(result, _render)


@router.post(
    "/segments/preview",
    response_model=Preview,
    responses=problems(422),
    summary="Count and sample the contacts a filter matches, without saving it",
)
async def preview_segment(request: Request, principal: ContactsRead, body: PreviewBody) -> Response:
    async with uow(request, write=False) as conn:
        result = await service.preview(
            conn, principal, body.filter, default_region=settings(request).default_region
        )
    return JSONBody(
        {"count": result["count"], "sample": [render.contact(r) for r in result["sample"]]}
    )


@router.post(
    "/segments",
    status_code=201,
    response_model=SegmentDetail,
    responses=problems(409, 422),
    summary="Save a filter as a segment (names are unique per tenant)",
    description="The filter is validated now; members are computed on every read.",
)
async def create_segment(
    request: Request, principal: ContactsWrite, body: SegmentCreate
) -> Response:
    region = settings(request).default_region
    async with uow(request, write=True) as conn:
        row = await service.create(
            conn,
            principal,
            name=body.name,
            description=body.description,
            expr=body.filter,
            default_region=region,
        )
        row = await service.get(conn, principal, row["id"], default_region=region)
    return _one(row, 201, {"Location": f"/v1/segments/{row['id']}"})


@router.get(
    "/segments/{segment_id}",
    response_model=SegmentDetail,
    responses=problems(404),
    summary="Get a segment with its contact count, computed now (with ETag)",
)
async def get_segment(request: Request, principal: ContactsRead, segment_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(
            conn, principal, segment_id, default_region=settings(request).default_region
        )
    return _one(row)


@router.patch(
    "/segments/{segment_id}",
    response_model=SegmentDetail,
    responses=problems(404, 409, 412, 422),
    summary="Change a segment's name, description or filter",
)
async def patch_segment(
    request: Request,
    principal: ContactsWrite,
    segment_id: UUID,
    body: SegmentUpdate,
    if_match: IfMatch = None,
) -> Response:
    region = settings(request).default_region
    data = {key: getattr(body, key) for key in body.model_fields_set}
    async with uow(request, write=True) as conn:
        await service.update(
            conn, principal, segment_id, data, if_match=if_match, default_region=region
        )
        row = await service.get(conn, principal, segment_id, default_region=region)
    return _one(row)


@router.delete(
    "/segments/{segment_id}",
    status_code=204,
    responses=problems(404, 412),
    summary="Delete a segment (its contacts are untouched)",
)
async def delete_segment(
    request: Request, principal: ContactsWrite, segment_id: UUID, if_match: IfMatch = None
) -> Response:
    async with uow(request, write=True) as conn:
        await service.delete(conn, principal, segment_id, if_match)
    return Response(status_code=204)


@router.get(
    "/segments/{segment_id}/contacts",
    response_model=ContactPage,
    responses=problems(400, 404),
    summary="The segment's members now, paginated",
)
async def segment_contacts(
    request: Request, principal: ContactsRead, segment_id: UUID, paged: MemberPagingParameters
) -> Response:
    region = settings(request).default_region

    async def read(conn: AsyncConnection, **page: Any) -> Page:
        return await service.contacts(conn, principal, segment_id, default_region=region, **page)

    return await members_response(request, paged, f"segment:{segment_id}", read)
