"""Segments: the list, a segment's page with its members, and a builder of nested groups
that shows the live count and a sample as the filter changes (htmx posts the form to
``preview``; its add / remove buttons post it to ``builder``), used to create a segment
and to edit a saved one with the API's own checks."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from starlette.datastructures import FormData

from roster.auth import scopes
from roster.console import segment_form, source
from roster.console.segment_form import Node
from roster.console.web import (
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
from roster.errors import Conflict, PreconditionFailed, ValidationFailed
from roster.filters import parse
from roster.kit.db import transaction
from roster.kit.pagination import page_request
from roster.segments import service as segments
from roster.segments.schemas import SegmentCreate, SegmentUpdate

router = APIRouter()

SAMPLE = 10


def _labels(node: Node, found: dict[str, str] | None = None) -> dict[str, str]:
    """Builder path → how the page names that part ("Condition 3", "Group 2")."""
    found = {} if found is None else found
    if node["kind"] == "condition":
        found[node["path"]] = f"Condition {node['number']}"
        return found
    found[node["path"]] = f"Group {node['number']}" if node.get("number") else "The filter"
    for child in node["children"]:
        _labels(child, found)
    return found


def _builder(
    request: Request,
    template: str,
    *,
    tree: Node,
    form: FormData | None = None,
    status: int = 200,
    errors: dict[str, str] | None = None,
    node_errors: dict[str, str] | None = None,
    **ctx: Any,
) -> Response:
    # What the form shows in its own fields: as posted, else as given (a saved segment's).
    for name in ("name", "description", "version"):
        given = form.get(name) if form is not None else ctx.get(name, "")
        ctx[name] = given if isinstance(given, str) else ""
    return render(
        request,
        template,
        status=status,
        tree=segment_form.view(tree, node_errors or {}),
        ops=segment_form.OPS,
        matches=segment_form.MATCHES,
        fields=segment_form.FIELDS,
        errors=errors or {},
        **ctx,
    )


@router.get("/segments")
async def list_segments(request: Request, session: Signed) -> Response:
    need(session, scopes.CONTACTS_READ)
    paging = page_request(100, None, None, None, cursors=page_cursors(request), kind="segments")
    async with transaction(engine(request), write=False) as conn:
        found = await segments.page(
            conn, session.principal, paging=paging, cursors=page_cursors(request)
        )
    return render(request, "segments/list.html", title="Segments", segments=found.rows)


@router.get("/segments/new")
async def new_segment(request: Request, session: Signed) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    return _builder(request, "segments/form.html", tree=segment_form.blank(), title="New segment")


@router.post("/segments/builder")
async def builder(request: Request, session: Posted) -> Response:
    """The builder again after one of its buttons (add a condition or a group, remove)."""
    need(session, scopes.CONTACTS_READ)
    form = await form_of(request)
    tree = segment_form.read(form)
    segment_form.change(tree, form)
    return _builder(request, "segments/builder.html", tree=tree)


@router.post("/segments/preview")
async def preview(request: Request, session: Posted) -> Response:
    """The count and a sample of the contacts the builder's filter matches now, or what is
    wrong with the filter, named by the part it is about."""
    need(session, scopes.CONTACTS_READ)
    form = await form_of(request)
    tree = segment_form.read(form)
    raw, origin = segment_form.expression(tree)
    if raw is None:
        return render(request, "segments/preview.html", empty=True, problems=[], result=None)
    try:
        expr = parse(raw)
        async with transaction(engine(request), write=False) as conn:
            result = await segments.preview(
                conn, session.principal, expr, default_region=settings(request).default_region
            )
    except ValidationFailed as exc:
        found = segment_form.node_errors([(p.field, p.message) for p in exc.errors], origin)
        labels = _labels(segment_form.view(tree, {}))
        problems = [(labels.get(path, "The filter"), message) for path, message in found.items()]
        return render(request, "segments/preview.html", empty=False, problems=problems, result=None)
    result["sample"] = result["sample"][:SAMPLE]
    return render(request, "segments/preview.html", empty=False, problems=[], result=result)


@router.post("/segments/new")
async def create_segment(request: Request, session: Posted) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    tree = segment_form.read(form)
    page: dict[str, Any] = {"template": "segments/form.html", "title": "New segment"}
    if segment_form.change(tree, form):  # a builder button, pressed without htmx
        return _builder(request, **page, tree=tree, form=form)
    raw, origin = segment_form.expression(tree)
    body = _body(form, raw)
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
    except (ValidationError, ValidationFailed, Conflict) as exc:
        return _refused(request, page, form, tree, origin, exc)
    return RedirectResponse(f"{PREFIX}/segments/{row['id']}", status_code=303)


@router.get("/segments/{segment_id}")
async def show_segment(
    request: Request, session: Signed, segment_id: UUID, cursor: str | None = None
) -> Response:
    """The segment, its count now, and its members a page at a time."""
    need(session, scopes.CONTACTS_READ)
    region = settings(request).default_region
    async with transaction(engine(request), write=False) as conn:
        row = await segments.get(conn, session.principal, segment_id, default_region=region)
        members = await source.page(
            conn,
            session.principal,
            {"segment_id": [str(segment_id)]},
            sort="-created_at",
            cursor=cursor,
            include_total=False,
            cursors=page_cursors(request),
            default_region=region,
        )
    return render(
        request,
        "segments/show.html",
        title=f"Segment {row['name']}",
        segment=row,
        tree=segment_form.view(segment_form.from_expression(row["filter"]), {}),
        members=members,
        first_page=cursor is None,
    )


@router.get("/segments/{segment_id}/edit")
async def edit_segment(request: Request, session: Signed, segment_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    region = settings(request).default_region
    async with transaction(engine(request), write=False) as conn:
        row = await segments.get(conn, session.principal, segment_id, default_region=region)
    return _builder(
        request,
        "segments/form.html",
        tree=segment_form.from_expression(row["filter"]),
        title=f"Edit segment {row['name']}",
        segment=row,
        name=row["name"],
        description=row["description"] or "",
        version=str(row["version"]),
    )


@router.post("/segments/{segment_id}/edit")
async def update_segment(request: Request, session: Posted, segment_id: UUID) -> Response:
    """Save the edited name, description and filter (``PATCH /v1/segments/{id}``'s checks);
    a segment changed by someone else since the form was opened is not overwritten."""
    need(session, scopes.CONTACTS_WRITE)
    region = settings(request).default_region
    async with transaction(engine(request), write=False) as conn:
        current = await segments.get(conn, session.principal, segment_id, default_region=region)
    form = await form_of(request)
    tree = segment_form.read(form)
    page: dict[str, Any] = {
        "template": "segments/form.html",
        "title": f"Edit segment {current['name']}",
        "segment": current,
    }
    if segment_form.change(tree, form):
        return _builder(request, **page, tree=tree, form=form)
    raw, origin = segment_form.expression(tree)
    body = _body(form, raw)
    version = form.get("version")
    if_match = f'"{version}"' if isinstance(version, str) and version.isdigit() else None
    try:
        checked = SegmentUpdate.model_validate(body)
        data = {key: getattr(checked, key) for key in checked.model_fields_set}
        async with transaction(engine(request), write=True) as conn:
            await segments.update(
                conn, session.principal, segment_id, data, if_match=if_match, default_region=region
            )
    except (ValidationError, ValidationFailed, Conflict) as exc:
        return _refused(request, page, form, tree, origin, exc)
    except PreconditionFailed:
        errors = {"form": "Someone changed this segment since you opened it: open it again."}
        return _builder(request, **page, tree=tree, form=form, status=409, errors=errors)
    return RedirectResponse(f"{PREFIX}/segments/{segment_id}", status_code=303)


@router.post("/segments/{segment_id}/delete")
async def delete_segment(request: Request, session: Posted, segment_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=True) as conn:
        await segments.delete(conn, session.principal, segment_id, None)
    return RedirectResponse(f"{PREFIX}/segments", status_code=303)


def _body(form: FormData, raw: Any) -> dict[str, Any]:
    """The segment's name, description and filter as the API's request body has them."""
    description = form.get("description")
    return {
        "name": form.get("name") or "",
        "description": description if isinstance(description, str) and description else None,
        "filter": raw,
    }


def _refused(
    request: Request,
    page: dict[str, Any],
    form: FormData,
    tree: Node,
    origin: dict[str, str],
    exc: ValidationError | ValidationFailed | Conflict,
) -> Response:
    """The form again, saying why the API's checks refused it."""
    if isinstance(exc, Conflict):
        errors = {"name": "A segment already has this name."}
        return _builder(request, **page, tree=tree, form=form, status=422, errors=errors)
    if isinstance(exc, ValidationError):
        problems = [(_path(e["loc"]), e["msg"]) for e in exc.errors(include_url=False)]
    else:
        problems = [(p.field, p.message) for p in exc.errors]
    return _invalid(request, page, form, tree, problems, origin)


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _invalid(
    request: Request,
    page: dict[str, Any],
    form: FormData,
    tree: Node,
    problems: list[tuple[str, str]],
    origin: dict[str, str],
) -> Response:
    errors = {f: m for f, m in problems if not f.startswith("filter")}
    nodes = segment_form.node_errors(problems, origin)
    if not origin:
        errors.setdefault("filter", "Add at least one condition.")
    elif not nodes and any(f.startswith("filter") for f, _ in problems):
        errors.setdefault("filter", next(m for f, m in problems if f.startswith("filter")))
    return _builder(
        request, **page, tree=tree, form=form, status=422, errors=errors, node_errors=nodes
    )
