"""HTTP routes of the activity timeline."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from starlette.status import HTTP_200_OK, HTTP_201_CREATED

from roster.activities import service
from roster.activities.schemas import (
    Activity,
    ActivityBatch,
    ActivityPage,
    ActivityWrite,
    BatchResponse,
)
from roster.auth.deps import ContactsRead, ContactsWrite
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import envelope, page_request
from roster.kit.timeutil import INSTANT
from roster.kit.web import cursors, problems, settings, uow

router = APIRouter(prefix="/v1", tags=["activities"])


@router.post(
    "/contacts/{contact_id}/activities",
    status_code=201,
    response_model=Activity,
    responses={
        200: {"model": Activity, "description": "This external_id was recorded before"},
        **problems(404, 409, 413, 422),
    },
    summary="Record an activity on a contact's timeline",
    description="201 when stored; 200 with the stored activity when `external_id` was "
    "seen before (safe retries); 409 when that `external_id` belongs to another contact.",
)
async def add_activity(
    request: Request, principal: ContactsWrite, contact_id: UUID, body: ActivityWrite
) -> Response:
    async with uow(request, write=True) as conn:
        row, created = await service.create(conn, principal, contact_id, body.model_dump())
    return JSONBody(service.render(row), status_code=HTTP_201_CREATED if created else HTTP_200_OK)


@router.post(
    "/activities/batch",
    response_model=BatchResponse,
    responses=problems(413, 422),
    summary="Record up to 1,000 activities, each naming its contact by id, phone or email",
    description="One bad item never aborts the others: each has a result with `status` "
    "`created`, `duplicate` (external_id seen before) or `failed` with its error.",
)
async def add_activities(
    request: Request, principal: ContactsWrite, body: ActivityBatch
) -> Response:
    async with uow(request, write=True) as conn:
        result = await service.batch(
            conn, principal, body.activities, default_region=settings(request).default_region
        )
    return JSONBody(result)


@router.get(
    "/contacts/{contact_id}/activities",
    response_model=ActivityPage,
    responses=problems(400, 404),
    summary="A contact's timeline, newest first, with its own events (contact.*)",
)
async def timeline(
    request: Request,
    principal: ContactsRead,
    contact_id: UUID,
    type: Annotated[
        list[str] | None,
        Query(
            description="Exact type (repeatable), or one prefix such as message.*",
            # Exact types only, or a single prefix: what ``service.timeline`` accepts.
            json_schema_extra={
                "anyOf": [
                    {"type": "array", "items": {"type": "string", "not": {"pattern": "\\.\\*$"}}},
                    {"type": "array", "maxItems": 1},
                    {"type": "null"},
                ]
            },
        ),
    ] = None,
    channel: str | None = None,
    before: Annotated[
        str | None, Query(description="occurred_at before this instant (RFC 3339)", **INSTANT)
    ] = None,
    after: Annotated[
        str | None, Query(description="occurred_at after this instant (RFC 3339)", **INSTANT)
    ] = None,
    limit: Annotated[int | None, Query(description="1..100, default 50")] = None,
    cursor: str | None = None,
    offset: int | None = None,
    page: int | None = None,
) -> Response:
    paging = page_request(limit, cursor, offset, page, cursors=cursors(request), kind="activities")
    async with uow(request, write=False) as conn:
        result = await service.timeline(
            conn,
            principal,
            contact_id,
            types=type or [],
            channel=channel,
            before=before,
            after=after,
            paging=paging,
            cursors=cursors(request),
        )
    data = [service.render(r) for r in result.rows]
    return JSONBody(envelope(data, result.has_more, result.next_cursor))
