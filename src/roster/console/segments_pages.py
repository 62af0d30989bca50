"""Segments: the list, and a builder that shows the live count and a sample as the filter
changes (htmx posts the form to ``preview``), then saves it with the API's own checks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from roster.auth import scopes
from roster.console import segment_form
from roster.console.web import PREFIX, Posted, Signed, engine, form_of, need, render, settings
from roster.errors import Conflict, ValidationFailed
from roster.filters import parse
from roster.kit.db import transaction
from roster.kit.pagination import page_request
from roster.segments import service as segments
from roster.segments.schemas import SegmentCreate

router = APIRouter()

SAMPLE = 10


def _builder(
    request: Request,
    *,
    form: Any = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
    rows_errors: dict[int, str] | None = None,
) -> Response:
    rows = (
        segment_form.rows(form)
        if form is not None
        else [{"field": "", "op": "eq", "value": ""} for _ in range(segment_form.ROWS)]
    )
    get = form.get if form is not None else (lambda _name, default="": default)
    return render(
        request,
        "segments/new.html",
        status=status,
        title="New segment",
        rows=rows,
        ops=segment_form.OPS,
        fields=segment_form.FIELDS,
        match=get("match", "all"),
        name=get("name", ""),
        description=get("description", ""),
        errors=errors or {},
        row_errors=rows_errors or {},
    )


@router.get("/segments")
async def list_segments(request: Request, session: Signed) -> Response:
    need(session, scopes.CONTACTS_READ)
    cursors = request.app.state.parent.state.cursors
    paging = page_request(100, None, None, None, cursors=cursors, kind="segments")
    async with transaction(engine(request), write=False) as conn:
        found = await segments.page(conn, session.principal, paging=paging, cursors=cursors)
    return render(request, "segments/list.html", title="Segments", segments=found.rows)


@router.get("/segments/new")
async def new_segment(request: Request, session: Signed) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    return _builder(request)


@router.post("/segments/preview")
async def preview(request: Request, session: Posted) -> Response:
    """The count and a sample of the contacts the builder's filter matches now, or what is
    wrong with the filter, beside its row."""
    need(session, scopes.CONTACTS_READ)
    form = await form_of(request)
    raw, origin = segment_form.expression(form)
    if not origin:
        return render(request, "segments/preview.html", empty=True, problems={}, result=None)
    try:
        expr = parse(raw)
        async with transaction(engine(request), write=False) as conn:
            result = await segments.preview(
                conn, session.principal, expr, default_region=settings(request).default_region
            )
    except ValidationFailed as exc:
        found = segment_form.row_errors([(p.field, p.message) for p in exc.errors], origin)
        return render(request, "segments/preview.html", empty=False, problems=found, result=None)
    result["sample"] = result["sample"][:SAMPLE]
    return render(request, "segments/preview.html", empty=False, problems={}, result=result)


@router.post("/segments/new")
async def create_segment(request: Request, session: Posted) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    raw, origin = segment_form.expression(form)
    description = form.get("description")
    body = {
        "name": form.get("name") or "",
        "description": description if isinstance(description, str) and description else None,
        "filter": raw,
    }
    try:
        checked = SegmentCreate.model_validate(body)
        async with transaction(engine(request), write=True) as conn:
            row = await segments.create(
                conn,
                session.principal,
                name=checked.name,
                description=checked.description,
                expr=checked.filter,
                default_region=settings(request).default_region,
            )
    except ValidationError as exc:
        problems = [(_path(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
        return _invalid(request, form, problems, origin)
    except ValidationFailed as exc:
        return _invalid(request, form, [(p.field, p.message) for p in exc.errors], origin)
    except Conflict:
        return _builder(
            request, form=form, status=422, errors={"name": "A segment already has this name."}
        )
    return RedirectResponse(f"{PREFIX}/contacts?segment_id={row['id']}", status_code=303)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _invalid(
    request: Request, form: Any, problems: list[tuple[str, str]], origin: list[int]
) -> Response:
    errors = {f: m for f, m in problems if not f.startswith("filter")}
    rows = segment_form.row_errors(problems, origin)
    if not origin:
        errors.setdefault("filter", "Add at least one condition.")
    elif not rows and any(f.startswith("filter") for f, _ in problems):
        errors.setdefault("filter", next(m for f, m in problems if f.startswith("filter")))
    return _builder(request, form=form, status=422, errors=errors, rows_errors=rows)
