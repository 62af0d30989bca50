"""GET /v1/events: the tenant's change feed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from roster.auth.deps import ContactsRead
from roster.events import catalogue, service
from roster.events.outbox import sequence_pending
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import envelope, page_request
from roster.kit.web import cursors, problems, uow

router = APIRouter(prefix="/v1", tags=["events"])


class Event(BaseModel):
    id: str
    type: str
    created_at: str
    data: dict[str, Any]


class EventPage(BaseModel):
    data: list[Event]
    has_more: bool
    next_cursor: str | None


@router.get(
    "/events",
    response_model=EventPage,
    responses=problems(400),
    summary="The change feed, oldest first",
    description="Every change of the tenant as an event, in commit order. Page with "
    "`after=<event id>` (the `next_cursor` of the previous page, which is the last event's "
    "id; it stays valid when the page was empty, so a client can poll with it). Events are "
    "kept for the configured retention (30 days by default). `type` takes exact types, "
    "`family.*` patterns or `*`.\n\nEvent types and their `data`:\n\n" + catalogue.markdown(),
)
async def list_events(
    request: Request,
    principal: ContactsRead,
    after: Annotated[
        str | None, Query(description="An event id: return the events after it")
    ] = None,
    type: Annotated[
        list[str] | None,
        Query(
            description="Event type or pattern (`contact.*`), repeatable",
            json_schema_extra={"items": {"type": "string", "pattern": service.TYPE.pattern}},
        ),
    ] = None,
    limit: Annotated[int | None, Query(description="1..100, default 50")] = None,
) -> Response:
    paging = page_request(limit, None, None, None, cursors=cursors(request), kind="events")
    # Number what has committed so far, so the feed is current even without a worker.
    async with uow(request, write=True) as conn:
        await sequence_pending(conn, tenant_id=principal.tenant_id)
    async with uow(request, write=False) as conn:
        page = await service.feed(
            conn, principal, after=after, types=type or [], limit=paging.limit
        )
    data = [service.render(row) for row in page.rows]
    return JSONBody(envelope(data, page.has_more, page.next_cursor))
