"""HTTP routes of exports: ``GET /v1/contacts/export`` (list filters) and
``POST /v1/contacts/export`` (a filter expression)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement

from roster.auth.deps import ContactsRead
from roster.bulk import filters
from roster.exports import stream
from roster.filters import listing, query
from roster.filters.parameters import ListFilterParameters
from roster.filters.schema import RawFilter
from roster.kit.web import attachment, problems, settings, uow

router = APIRouter(prefix="/v1", tags=["exports"])
Format = Literal["csv", "ndjson"]
_MEDIA = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
_EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problems(400, 404, 422),
    200: {
        "description": "The contacts, streamed",
        "content": {"text/csv": {}, "application/x-ndjson": {}},
    },
}


class ExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Format = "csv"
    filter: RawFilter | None = Field(
        default=None, description="Filter expression (docs/filters.md)"
    )
    segment_id: UUID | None = Field(
        default=None, description="Only contacts matching this segment's filter (AND filter)"
    )


def _respond(request: Request, tenant_id: UUID, where: ColumnElement[bool], fmt: str) -> Response:
    engine = request.app.state.engine
    body: AsyncIterator[bytes] = (
        stream.csv_stream(engine, tenant_id, where)
        if fmt == "csv"
        else stream.ndjson_stream(engine, tenant_id, where)
    )
    return StreamingResponse(
        body,
        media_type=_MEDIA[fmt],
        headers={
            "Content-Disposition": attachment(f"contacts.{fmt}"),
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/contacts/export",
    responses=_EXPORT_RESPONSES,
    summary="Export contacts (CSV or NDJSON, streamed) with the list filters",
    description="Takes every list filter of `GET /v1/contacts` (`q`, `tag`, `any_tag`, "
    "`status`, `country`, `source`, `suppressed`, `list_id`, `segment_id`, `created_after`, "
    "`created_before`, `updated_after`, `opted_out`, `custom_fields.<key>`, "
    "`include_deleted`), with the same meaning; paging parameters are refused. A `list_id` "
    "or `segment_id` that is not yours answers 404. CSV columns: the contact fields, `tags` "
    "joined by ',', `handles.<channel>`, `preferences.<channel>`, then one "
    "`custom_fields.<key>` column per custom field key ever written to one of your contacts "
    "(code point order; a key no exported contact has gives an empty column), so the header "
    "leaves before any row is read. An export re-imports (POST /v1/imports) to the same "
    "contacts. On PostgreSQL a CSV export is one snapshot (the contacts as they were when it "
    "started). A filter value holding NUL (U+0000) is refused: 400 (a query parameter).",
)
async def export_contacts(
    request: Request,
    principal: ContactsRead,
    format: Format = "csv",
    _filters: ListFilterParameters = None,
) -> Response:
    parsed = query.parse(
        query.by_name(request.query_params), also=frozenset({"format"}), paging=False
    )
    async with uow(request, write=False) as conn:
        sel = await listing.selection(
            conn, principal, parsed, default_region=settings(request).default_region
        )
    return _respond(request, principal.tenant_id, listing.whole_condition(sel), format)


@router.post(
    "/contacts/export",
    responses=_EXPORT_RESPONSES,
    summary="Export the contacts a filter expression or a segment matches (streamed)",
    description="`filter` (docs/filters.md) and `segment_id` combine with AND; neither "
    "exports every live contact. Archived contacts are never exported here. A `segment_id` "
    "that is not yours answers 404. On PostgreSQL a CSV export is one snapshot (the contacts "
    "as they were when it started). A filter value holding NUL (U+0000) is refused: 422.",
)
async def export_by_filter(request: Request, principal: ContactsRead, body: ExportBody) -> Response:
    region = principal.default_region or settings(request).default_region
    segment = None
    if body.segment_id is not None:
        async with uow(request, write=False) as conn:
            segment = await filters.segment_filter(conn, principal.tenant_id, body.segment_id)
    where = filters.expression(principal.tenant_id, body.filter, region=region, segment=segment)
    return _respond(request, principal.tenant_id, where, body.format)
