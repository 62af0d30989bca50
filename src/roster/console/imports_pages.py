"""Imports: upload a CSV, check how its columns will be read (and change it), start, watch
its progress live, download the failed rows, cancel.

The upload is received and started by the same code as ``POST /v1/imports`` (streamed to
disk, the header, the mapping and the options checked, then a job queued); the console
adds its session and CSRF checks, and the review between upload and start."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.datastructures import FormData

from roster.auth import scopes
from roster.console import import_review, sessions, source
from roster.console.web import (
    CSRF_FIELD,
    PREFIX,
    Posted,
    Signed,
    engine,
    form_of,
    need,
    page_cursors,
    render,
    settings,
)
from roster.errors import Forbidden, NotFound, ValidationFailed
from roster.exports.rendering import custom_keys
from roster.fielddefs import service as fielddefs
from roster.imports import failures
from roster.imports import service as imports
from roster.imports.upload import Upload, receive
from roster.kit.db import transaction
from roster.kit.web import attachment
from roster.worker import queue

router = APIRouter()

RECENT = 20
DONE = ("completed", "failed", "cancelled")
# The options the review form sends beside the columns, by their API names.
_OPTIONS = ("mode", "match_on", "default_country", "tags", "list_id")


async def _job(request: Request, tenant_id: UUID, import_id: UUID) -> dict[str, Any]:
    async with transaction(engine(request), write=False) as conn:
        job = await queue.JobRepository(conn, tenant_id).get(import_id, kind="import")
    if job is None:
        raise NotFound("no such import")
    return job


async def _options_context(request: Request, session: Any) -> dict[str, Any]:
    async with transaction(engine(request), write=False) as conn:
        lists, _ = await source.audiences(conn, session.principal, page_cursors(request))
        definitions = await fielddefs.list_all(conn, session.principal)
    registry = await custom_keys(engine(request), session.principal.tenant_id)
    keys = sorted({*(d["key"] for d in definitions), *registry})
    return {"lists": lists, "modes": imports.MODES, "match_on": imports.MATCH_ON, "keys": keys}


def _upload_form(request: Request, *, status: int = 200, error: str | None = None) -> Response:
    return render(
        request, "imports/new.html", status=status, title="Import contacts", file_error=error
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
    return _upload_form(request)


@router.post("/imports/new")
async def upload_file(request: Request, session: Signed) -> Response:
    """The multipart form is streamed to disk as the API's upload is; its CSRF token is
    one of its fields, checked before the file is kept. The file then waits for its
    columns to be reviewed. (A cross-site form cannot get here: the session cookie is
    SameSite=Strict, so such a request has no session.)"""
    need(session, scopes.CONTACTS_WRITE)
    directory = settings(request).imports_dir
    upload = await receive(request, directory)
    try:
        token = upload.fields.pop(CSRF_FIELD, None)
        if not sessions.csrf_matches(session.csrf_token, token):
            raise Forbidden("the form's security token is missing or out of date; reload the page")
        try:
            imports.detect(upload)
        except ValidationFailed as exc:
            upload.discard()
            return _upload_form(request, status=422, error=exc.errors[0].message)
        waiting = import_review.keep(upload, session.principal)
    except BaseException:
        upload.discard()
        raise
    import_review.sweep(directory)
    return RedirectResponse(f"{PREFIX}/imports/review/{waiting}", status_code=303)


async def _review(
    request: Request,
    session: Any,
    token: str,
    upload: Upload,
    *,
    form: FormData | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    header, detected = imports.detect(upload)
    context = await _options_context(request, session)
    chosen = import_review.chosen_targets(form, len(header)) if form is not None else detected
    errors = errors or {}
    values = {k: form.get(k) if form is not None else None for k in _OPTIONS}
    return render(
        request,
        "imports/review.html",
        status=status,
        title=f"Check the columns of {upload.filename}",
        token=token,
        filename=upload.filename,
        rows=import_review.columns(header, chosen, context["keys"]),
        hidden=max(0, len(header) - import_review.MAX_COLUMNS),
        column_errors=import_review.column_errors(errors, header),
        errors=errors,
        values={k: v if isinstance(v, str) else "" for k, v in values.items()},
        **context,
    )


@router.get("/imports/review/{token}")
async def review_columns(request: Request, session: Signed, token: str) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    upload = import_review.load(settings(request).imports_dir, token, session.principal)
    return await _review(request, session, token, upload)


@router.post("/imports/review/{token}")
async def start_import(request: Request, session: Posted, token: str) -> Response:
    """Start the import with the reviewed mapping and options, through the same service
    as ``POST /v1/imports`` (a bad mapping or option comes back beside its field)."""
    need(session, scopes.CONTACTS_WRITE)
    upload = import_review.load(settings(request).imports_dir, token, session.principal)
    form = await form_of(request)
    header, detected = imports.detect(upload)
    chosen = import_review.chosen_mapping(form, header, detected)
    # An empty choice means "not given", as the API reads it.
    fields = {k: v for k in _OPTIONS if isinstance(v := form.get(k), str) and v.strip()}
    upload.fields = {**fields, "mapping": json.dumps(chosen)}
    try:
        async with transaction(engine(request), write=True) as conn:
            job = await imports.start(
                conn, session.principal, upload, default_region=settings(request).default_region
            )
    except ValidationFailed as exc:
        errors = {p.field: p.message for p in exc.errors}
        return await _review(request, session, token, upload, form=form, status=422, errors=errors)
    import_review.release(upload)
    worker = getattr(request.app.state.parent.state, "worker", None)
    if worker is not None:
        worker.wake()
    return RedirectResponse(f"{PREFIX}/imports/{job['id']}", status_code=303)


@router.post("/imports/review/{token}/discard")
async def discard_upload(request: Request, session: Posted, token: str) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    upload = import_review.load(settings(request).imports_dir, token, session.principal)
    import_review.discard(upload)
    return RedirectResponse(f"{PREFIX}/imports", status_code=303)


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
        headers={"Content-Disposition": attachment(f"{name}-errors.csv")},
    )
