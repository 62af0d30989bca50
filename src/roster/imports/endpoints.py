"""HTTP routes of imports: upload (202 + job), status, list, error file, cancel."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.contacts.normalize import MAX_TAG
from roster.errors import NotFound
from roster.imports import failures, service
from roster.imports.upload import receive
from roster.kit.jsonutil import JSONBody
from roster.kit.openapi import comma_separated
from roster.kit.pagination import envelope, page_request
from roster.kit.web import attachment, cursors, problems, settings, uow
from roster.worker import queue

router = APIRouter(prefix="/v1", tags=["imports"])


def wake_worker(request: Request) -> None:
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.wake()


# The form fields as ``service.start`` reads them; an empty one means "not given".
_EMPTY = {"type": "string", "maxLength": 0}
_FORM_FIELDS: dict[str, Any] = {
    "mapping": {
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "mode": {"type": "string", "enum": ["", *service.MODES]},
    "match_on": {"type": "string", "enum": ["", *service.MATCH_ON]},
    "default_country": {"anyOf": [_EMPTY, {"type": "string", "format": "iso3166-alpha2"}]},
    "tags": {"type": "string", "pattern": comma_separated(MAX_TAG)},
    "list_id": {"anyOf": [_EMPTY, {"type": "string", "format": "uuid"}]},
    "tags_separator": {"type": "string", "maxLength": 8},
}
assert set(_FORM_FIELDS) == set(service.KNOWN_FIELDS)


@router.post(
    "/imports",
    status_code=202,
    responses=problems(400, 404, 413, 422),
    summary="Upload a CSV file to import (multipart/form-data)",
    description="Form fields: `file` (CSV, required), `mapping` (JSON object: column → field), "
    "`mode` (create | upsert | update_only; default upsert), `match_on` (phone | email | "
    "external_id), `default_country` (region for phones without '+'), `tags` (comma-"
    "separated, added to every row), `tags_separator` (inside a tags cell; default ','), "
    "`list_id` (one of your lists: every contact the file names joins it; 404 otherwise). "
    "Custom fields with a definition are read as their type and checked. "
    "The file is streamed to disk; the header, mapping and options are checked before the "
    "job is queued (422). See docs/bulk.md.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {"type": "string", "format": "binary"},
                            **_FORM_FIELDS,
                        },
                        "additionalProperties": False,
                    }
                }
            },
        }
    },
)
async def create_import(request: Request, principal: ContactsWrite) -> Response:
    upload = await receive(request, settings(request).imports_dir)
    try:
        async with uow(request, write=True) as conn:
            job = await service.start(
                conn, principal, upload, default_region=settings(request).default_region
            )
    except BaseException:
        upload.discard()
        raise
    wake_worker(request)
    return JSONBody(
        service.render(job), status_code=202, headers={"Location": f"/v1/imports/{job['id']}"}
    )


@router.get("/imports", responses=problems(400), summary="List imports, newest first")
async def list_imports(
    request: Request,
    principal: ContactsRead,
    limit: Annotated[int | None, Query(description="1..100, default 50")] = None,
    cursor: str | None = None,
) -> Response:
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind="imports")
    before = None
    if paging.cursor is not None:
        from datetime import datetime

        before = (datetime.fromisoformat(paging.cursor[0]), UUID(paging.cursor[1]))
    async with uow(request, write=False) as conn:
        rows = await queue.JobRepository(conn, principal.tenant_id).page(
            "import", before, paging.limit + 1
        )
    more = len(rows) > paging.limit
    rows = rows[: paging.limit]
    token = (
        cursors(request).encode(
            "imports", [rows[-1]["created_at"].isoformat(), str(rows[-1]["id"])]
        )
        if more
        else None
    )
    return JSONBody(envelope([service.render(r) for r in rows], more, token))


async def _get(request: Request, tenant_id: UUID, import_id: UUID) -> dict[str, Any]:
    async with uow(request, write=False) as conn:
        job = await queue.JobRepository(conn, tenant_id).get(import_id, kind="import")
    if job is None:
        raise NotFound("no such import")
    return job


@router.get("/imports/{import_id}", responses=problems(404), summary="An import's progress")
async def get_import(request: Request, principal: ContactsRead, import_id: UUID) -> Response:
    return JSONBody(service.render(await _get(request, principal.tenant_id, import_id)))


@router.post(
    "/imports/{import_id}/cancel",
    responses=problems(404),
    summary="Cancel an import",
    description="A queued import is cancelled at once; a running one stops after the chunk "
    "it is writing (rows already committed stay). A finished import is returned unchanged.",
)
async def cancel_import(request: Request, principal: ContactsWrite, import_id: UUID) -> Response:
    async with uow(request, write=True) as conn:
        job = await queue.cancel(conn, principal.tenant_id, import_id, "import")
    return JSONBody(service.render(job))


@router.get(
    "/imports/{import_id}/errors",
    responses={
        **problems(404),
        200: {"content": {"text/csv": {}}, "description": "row, column, error, then the cells"},
    },
    summary="The rows that failed, as CSV",
)
async def import_errors_csv(request: Request, principal: ContactsRead, import_id: UUID) -> Response:
    job = await _get(request, principal.tenant_id, import_id)
    lines = failures.csv_lines(request.app.state.engine, principal.tenant_id, job)
    name = job["params"]["filename"].rsplit(".", 1)[0]
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": attachment(f"{name}-errors.csv")},
    )
