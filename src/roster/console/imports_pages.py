"""Imports: upload a CSV, watch its progress live, download the failed rows, cancel.

The upload is received and started by the same code as ``POST /v1/imports`` (streamed to
disk, the header and options checked, then a job queued); the console only adds its
session and CSRF checks around it."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse

from roster.auth import scopes
from roster.console import sessions, source
from roster.console.web import (
    CSRF_FIELD,
    PREFIX,
    Posted,
    Signed,
    engine,
    need,
    render,
    settings,
)
from roster.errors import Forbidden, NotFound, ValidationFailed
from roster.imports import failures
from roster.imports import service as imports
from roster.imports.upload import receive
from roster.kit.db import transaction
from roster.worker import queue

router = APIRouter()

RECENT = 20
DONE = ("completed", "failed", "cancelled")


def _cursors(request: Request) -> Any:
    return request.app.state.parent.state.cursors


async def _job(request: Request, tenant_id: UUID, import_id: UUID) -> dict[str, Any]:
    async with transaction(engine(request), write=False) as conn:
        job = await queue.JobRepository(conn, tenant_id).get(import_id, kind="import")
    if job is None:
        raise NotFound("no such import")
    return job


async def _form(
    request: Request, session: Any, *, status: int = 200, errors: dict[str, str] | None = None
) -> Response:
    async with transaction(engine(request), write=False) as conn:
        lists, _ = await source.audiences(conn, session.principal, _cursors(request))
    return render(
        request,
        "imports/new.html",
        status=status,
        title="Import contacts",
        lists=lists,
        modes=imports.MODES,
        match_on=imports.MATCH_ON,
        errors=errors or {},
    )


@router.get("/imports")
async def list_imports(request: Request, session: Signed) -> Response:
    need(session, scopes.CONTACTS_READ)
    async with transaction(engine(request), write=False) as conn:
        rows = await queue.JobRepository(conn, session.principal.tenant_id).page(
            "import", None, RECENT
        )
    return render(
        request, "imports/list.html", title="Imports", jobs=[imports.render(r) for r in rows]
    )


@router.get("/imports/new")
async def new_import(request: Request, session: Signed) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    return await _form(request, session)


@router.post("/imports/new")
async def start_import(request: Request, session: Signed) -> Response:
    """The multipart form is streamed to disk as the API's upload is; its CSRF token is
    one of its fields, checked before anything is queued. (A cross-site form cannot get
    here: the session cookie is SameSite=Strict, so such a request has no session.)"""
    need(session, scopes.CONTACTS_WRITE)
    upload = await receive(request, settings(request).imports_dir)
    try:
        token = upload.fields.pop(CSRF_FIELD, None)
        if not sessions.csrf_matches(session.csrf_token, token):
            raise Forbidden("the form's security token is missing or out of date; reload the page")
        # An empty choice means "not given", as the API reads it.
        upload.fields = {k: v for k, v in upload.fields.items() if v.strip()}
        try:
            async with transaction(engine(request), write=True) as conn:
                job = await imports.start(
                    conn,
                    session.principal,
                    upload,
                    default_region=settings(request).default_region,
                )
        except ValidationFailed as exc:
            upload.discard()
            errors = {p.field: p.message for p in exc.errors}
            return await _form(request, session, status=422, errors=errors)
    except BaseException:
        upload.discard()
        raise
    worker = getattr(request.app.state.parent.state, "worker", None)
    if worker is not None:
        worker.wake()
    return RedirectResponse(f"{PREFIX}/imports/{job['id']}", status_code=303)


@router.get("/imports/{import_id}")
async def show_import(request: Request, session: Signed, import_id: UUID) -> Response:
    need(session, scopes.CONTACTS_READ)
    job = imports.render(await _job(request, session.principal.tenant_id, import_id))
    return render(request, "imports/show.html", title=f"Import {job['filename']}", job=job)


@router.get("/imports/{import_id}/progress")
async def import_progress(request: Request, session: Signed, import_id: UUID) -> Response:
    """The progress block alone: htmx polls it every second until the import is done."""
    need(session, scopes.CONTACTS_READ)
    job = imports.render(await _job(request, session.principal.tenant_id, import_id))
    return render(request, "imports/progress.html", job=job)


@router.post("/imports/{import_id}/cancel")
async def cancel_import(request: Request, session: Posted, import_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=True) as conn:
        await queue.cancel(conn, session.principal.tenant_id, import_id, "import")
    return RedirectResponse(f"{PREFIX}/imports/{import_id}", status_code=303)


@router.get("/imports/{import_id}/errors")
async def import_errors(request: Request, session: Signed, import_id: UUID) -> Response:
    need(session, scopes.CONTACTS_READ)
    job = await _job(request, session.principal.tenant_id, import_id)
    lines = failures.csv_lines(engine(request), session.principal.tenant_id, job)
    name = job["params"]["filename"].rsplit(".", 1)[0]
    return StreamingResponse(
        lines,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}-errors.csv"'},
    )
