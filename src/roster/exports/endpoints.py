"""HTTP routes of exports: ``GET /v1/contacts/export`` (list filters) and
``POST /v1/contacts/export`` (a filter expression)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement

from roster.auth.deps import ContactsRead
from roster.bulk import filters
from roster.exports import stream
from roster.kit.web import problems

router = APIRouter(prefix="/v1", tags=["exports"])
Format = Literal["csv", "ndjson"]
_MEDIA = {"csv": "text/csv; charset=utf-8", "ndjson": "application/x-ndjson"}
_EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **problems(400, 422),
    200: {
        "description": "The contacts, streamed",
        "content": {"text/csv": {}, "application/x-ndjson": {}},
    },
}


class ExportBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    format: Format = "csv"
    filter: dict[str, Any] | None = Field(
        default=None, description="Filter expression; absent: every live contact"
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
            "Content-Disposition": f'attachment; filename="contacts.{fmt}"',
            "Cache-Control": "no-store",
        },
    )


@router.get(
    "/contacts/export",
    responses=_EXPORT_RESPONSES,
    summary="Export contacts (CSV or NDJSON, streamed) with the list filters",
    description="CSV columns: the contact fields, `tags` joined by ',', `handles.<channel>`, "
    "`preferences.<channel>`, then one `custom_fields.<key>` column per key present. An "
    "export re-imports (POST /v1/imports) to the same contacts.",
)
async def export_contacts(
    request: Request,
    principal: ContactsRead,
    format: Format = "csv",
    include_deleted: bool = False,
    tag: str | None = None,
    status: str | None = None,
    country: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
) -> Response:
    where = filters.list_filter(
        principal.tenant_id,
        filters.ListFilter(
            include_deleted=include_deleted,
            tag=tag,
            status=status,
            country=country,
            created_after=created_after,
            created_before=created_before,
        ),
    )
    return _respond(request, principal.tenant_id, where, format)


@router.post(
    "/contacts/export",
    responses=_EXPORT_RESPONSES,
    summary="Export the contacts a filter expression matches (streamed)",
)
async def export_by_filter(request: Request, principal: ContactsRead, body: ExportBody) -> Response:
    where = (
        filters.expression(principal.tenant_id, body.filter)
        if body.filter is not None
        else filters.list_filter(principal.tenant_id, filters.ListFilter())
    )
    return _respond(request, principal.tenant_id, where, body.format)
