"""The contacts list, and creating, editing, archiving, restoring and erasing a contact."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from sqlalchemy.ext.asyncio import AsyncConnection
from starlette.datastructures import FormData

from roster.auth import scopes
from roster.auth.principal import Principal
from roster.console import custom_fields, source
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
from roster.contacts import service as contacts
from roster.errors import Conflict, ValidationFailed
from roster.exports import stream
from roster.fielddefs import service as fielddefs
from roster.filters.query import by_name
from roster.gdpr import erasure, traces
from roster.kit.db import transaction
from roster.kit.web import attachment
from roster.models import PREFERENCE_CHANNELS

router = APIRouter()

# The fields of the create and edit forms, in their order on the page, with their labels.
FIELDS = (
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("phone", "Phone"),
    ("email", "Email"),
    ("external_id", "External id"),
    ("company", "Company"),
    ("job_title", "Job title"),
    ("status", "Status"),
    ("country", "Country (2 letters)"),
    ("language", "Language"),
)


def contact_url(contact_id: Any) -> str:
    return f"{PREFIX}/contacts/{contact_id}"


@router.get("/contacts")
async def contacts_list(request: Request, session: Signed) -> Response:
    need(session, scopes.CONTACTS_READ)
    params = by_name(request.query_params)
    sort = request.query_params.get("sort") or "-created_at"
    if sort not in source.SORTS:
        sort = "-created_at"
    cursor = request.query_params.get("cursor") or None
    include_total = request.query_params.get("total") == "1"
    # As GET /v1/contacts: the page and the filter menus' reads each stand alone.
    async with transaction(engine(request), write=False, single_reads=True) as conn:
        found = await source.page(
            conn,
            session.principal,
            params,
            sort=sort,
            cursor=cursor,
            include_total=include_total,
            cursors=page_cursors(request),
            default_region=settings(request).default_region,
        )
        lists, segments = await source.audiences(conn, session.principal, page_cursors(request))
    chosen = {name: values[0] for name, values in source.chosen(params).items()}
    return render(
        request,
        "contacts/list.html",
        title="Contacts",
        page=found,
        chosen=chosen,
        filtering=bool(chosen),
        sort=sort,
        sorts=source.SORTS,
        channels=PREFERENCE_CHANNELS,
        lists=lists,
        segments=segments,
        query=_query(chosen, sort),
        filters_query=_query(chosen, None),
    )


def _query(chosen: dict[str, str], sort: str | None) -> str:
    """The list's query string without paging, for the next-page, count and export links."""
    return urlencode({**chosen, "sort": sort} if sort else chosen)


def _values(form: FormData, *, blank_is_null: bool) -> dict[str, Any]:
    """The contact fields a create or edit form sent; a blank field is left out on create
    and clears the field on edit."""
    data: dict[str, Any] = {}
    for name, _ in FIELDS:
        raw = form.get(name)
        value = raw.strip() if isinstance(raw, str) else ""
        if value:
            data[name] = value
        elif blank_is_null:
            data[name] = None
    return data


def _problems(exc: ValidationFailed | Conflict) -> dict[str, str]:
    """Field name → message, to show beside each field."""
    if isinstance(exc, Conflict):
        return {exc.field: f"Another contact already has this {exc.field.replace('_', ' ')}."}
    found: dict[str, str] = {}
    for problem in exc.errors:
        field = problem.field
        if not field.startswith("custom_fields."):
            field = field.split(".")[0].split("[")[0]
        found.setdefault(field, problem.message)
    return found


def _form_page(
    request: Request,
    *,
    title: str,
    action: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    conflict: Any = None,
    contact: dict[str, Any] | None = None,
    definitions: list[dict[str, Any]],
    form: FormData | None = None,
) -> Response:
    stored = contact["custom_fields"] if contact else {}
    custom = custom_fields.inputs(definitions, stored, form)
    shown = set(dict(FIELDS)) | {"tags"} | {f"custom_fields.{c['key']}" for c in custom}
    return render(
        request,
        "contacts/form.html",
        status=422 if errors else 200,
        title=title,
        action=action,
        fields=FIELDS,
        values=values,
        errors=errors or {},
        other_errors={k: v for k, v in (errors or {}).items() if k not in shown},
        conflict=conflict,
        contact=contact,
        custom=custom,
        other_custom=custom_fields.others(definitions, stored),
    )


async def _definitions(conn: AsyncConnection, principal: Principal) -> list[dict[str, Any]]:
    """The tenant's custom field definitions, which type the form's custom field inputs."""
    return await fielddefs.list_all(conn, principal)


@router.get("/contacts/export")
async def export_contacts(request: Request, session: Signed) -> Response:
    """The contacts the list's filters choose, streamed as CSV or NDJSON by the API's
    exporter (the same columns, so the file re-imports)."""
    need(session, scopes.CONTACTS_READ)
    fmt = "ndjson" if request.query_params.get("format") == "ndjson" else "csv"
    params = by_name(request.query_params)
    async with transaction(engine(request), write=False) as conn:
        where = await source.export_condition(
            conn, session.principal, params, default_region=settings(request).default_region
        )
    tenant_id = session.principal.tenant_id
    body = (
        stream.csv_stream(engine(request), tenant_id, where)
        if fmt == "csv"
        else stream.ndjson_stream(engine(request), tenant_id, where)
    )
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/x-ndjson"
    disposition = attachment(f"contacts.{fmt}")
    return StreamingResponse(body, media_type=media, headers={"Content-Disposition": disposition})


@router.get("/contacts/new")
async def new_contact(request: Request, session: Signed) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=False) as conn:
        definitions = await _definitions(conn, session.principal)
    return _form_page(
        request,
        title="New contact",
        action=f"{PREFIX}/contacts/new",
        values={},
        definitions=definitions,
    )


@router.post("/contacts/new")
async def create_contact(request: Request, session: Posted) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    data = _values(form, blank_is_null=False)
    tags = form.get("tags")
    if isinstance(tags, str) and tags.strip():
        data["tags"] = [t.strip() for t in tags.split(",") if t.strip()]
    definitions: list[dict[str, Any]] = []
    unread: dict[str, str] = {}
    try:
        async with transaction(engine(request), write=True) as conn:
            definitions = await _definitions(conn, session.principal)
            custom, unread = custom_fields.patch(definitions, form, {})
            if custom:
                data["custom_fields"] = custom
            row = await contacts.create(
                conn, session.principal, data, default_region=settings(request).default_region
            )
    except (ValidationFailed, Conflict) as exc:
        return _form_page(
            request,
            title="New contact",
            action=f"{PREFIX}/contacts/new",
            values=dict(form),
            errors={**_problems(exc), **unread},
            conflict=getattr(exc, "conflicting_id", None),
            definitions=definitions,
            form=form,
        )
    return RedirectResponse(contact_url(row["id"]), status_code=303)


@router.get("/contacts/{contact_id}/edit")
async def edit_contact(request: Request, session: Signed, contact_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=False) as conn:
        row = await contacts.get(conn, session.principal, contact_id)
        definitions = await _definitions(conn, session.principal)
    values = {name: row[name] or "" for name, _ in FIELDS}
    return _form_page(
        request,
        title=f"Edit {row['name'] or 'contact'}",
        action=contact_url(contact_id) + "/edit",
        values=values,
        contact=row,
        definitions=definitions,
    )


@router.post("/contacts/{contact_id}/edit")
async def update_contact(request: Request, session: Posted, contact_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    data = _values(form, blank_is_null=True)
    unread: dict[str, str] = {}
    try:
        async with transaction(engine(request), write=True) as conn:
            current = await contacts.get(conn, session.principal, contact_id)
            definitions = await _definitions(conn, session.principal)
            custom, unread = custom_fields.patch(definitions, form, current["custom_fields"])
            if custom:
                data["custom_fields"] = custom
            await contacts.update(
                conn,
                session.principal,
                contact_id,
                data,
                default_region=settings(request).default_region,
            )
    except (ValidationFailed, Conflict) as exc:
        async with transaction(engine(request), write=False) as conn:
            row = await contacts.get(conn, session.principal, contact_id)
            definitions = await _definitions(conn, session.principal)
        return _form_page(
            request,
            title=f"Edit {row['name'] or 'contact'}",
            action=contact_url(contact_id) + "/edit",
            values=dict(form),
            errors={**_problems(exc), **unread},
            conflict=getattr(exc, "conflicting_id", None),
            contact=row,
            definitions=definitions,
            form=form,
        )
    return RedirectResponse(contact_url(contact_id), status_code=303)


@router.post("/contacts/{contact_id}/archive")
async def archive_contact(request: Request, session: Posted, contact_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=True) as conn:
        await contacts.archive(conn, session.principal, contact_id)
    return RedirectResponse(contact_url(contact_id), status_code=303)


@router.post("/contacts/{contact_id}/restore")
async def restore_contact(request: Request, session: Posted, contact_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=True) as conn:
        await contacts.restore(conn, session.principal, contact_id)
    return RedirectResponse(contact_url(contact_id), status_code=303)


@router.get("/contacts/{contact_id}/erase")
async def confirm_erase(request: Request, session: Signed, contact_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=False) as conn:
        row = await contacts.get(conn, session.principal, contact_id, include_deleted=True)
    return render(request, "contacts/erase.html", title="Erase contact", contact=row)


@router.post("/contacts/{contact_id}/erase")
async def erase_contact(request: Request, session: Posted, contact_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=True) as conn:
        await erasure.erase(conn, session.principal, contact_id)
    await traces.checkpoint(engine(request))
    return RedirectResponse(f"{PREFIX}/contacts?erased=1", status_code=303)


@router.post("/contacts/{contact_id}/tags")
async def add_tags(request: Request, session: Posted, contact_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    raw = form.get("tag")
    tags = [t.strip() for t in raw.split(",") if t.strip()] if isinstance(raw, str) else []
    error = None
    try:
        async with transaction(engine(request), write=True) as conn:
            row = await contacts.add_tags(
                conn,
                session.principal,
                contact_id,
                tags,
                default_region=settings(request).default_region,
            )
    except ValidationFailed as exc:
        error = exc.errors[0].message if exc.errors else str(exc)
        async with transaction(engine(request), write=False) as conn:
            row = await contacts.get(conn, session.principal, contact_id)
    return _tags(request, row, error)


@router.post("/contacts/{contact_id}/tags/remove")
async def remove_tag(request: Request, session: Posted, contact_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    tag = form.get("tag")
    async with transaction(engine(request), write=True) as conn:
        row = await contacts.remove_tag(
            conn,
            session.principal,
            contact_id,
            tag if isinstance(tag, str) else "",
            default_region=settings(request).default_region,
        )
    return _tags(request, row, None)


def _tags(request: Request, row: dict[str, Any], error: str | None) -> Response:
    """The tags block alone for htmx; the whole contact page otherwise (no script)."""
    if request.headers.get("hx-request"):
        return render(request, "contacts/tags.html", contact=row, tag_error=error, status=200)
    return RedirectResponse(contact_url(row["id"]), status_code=303)
