"""Admin: custom field definitions: the list, defining a field's type, changing its label
or (for an enum) its options, and removing a definition, as ``/v1/fields`` allows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from roster.console.admin_common import ADMIN, admin, field_errors
from roster.console.web import Posted, Signed, engine, form_of, render
from roster.errors import Conflict, ValidationFailed
from roster.fielddefs import service as fielddefs
from roster.fielddefs.endpoints import FieldCreate, FieldUpdate, Key
from roster.fielddefs.service import DefinitionConflict
from roster.fielddefs.types import TYPES
from roster.kit.db import transaction
from roster.kit.timeutil import rfc3339

router = APIRouter()

FIELDS = ADMIN + "/fields"
# The fields' types with what a value of each looks like, for the form.
TYPE_HELP = {
    "text": "any text",
    "number": "a number",
    "boolean": "true or false",
    "date": "a date, YYYY-MM-DD",
    "datetime": "a date and time (RFC 3339)",
    "enum": "one of the options you list",
    "url": "a web address",
    "email": "an email address",
    "phone": "a phone number, saved in international form",
}


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _options(text: str) -> list[str] | None:
    """The options textarea: one option a line, blank lines skipped; None when empty."""
    found = [line.strip() for line in text.splitlines() if line.strip()]
    return found or None


@router.get("/admin/fields")
async def list_fields(request: Request, session: Signed) -> Response:
    admin(session)
    async with transaction(engine(request), write=False) as conn:
        rows = await fielddefs.list_all(conn, session.principal)
    return render(
        request,
        "admin/fields.html",
        title="Custom fields",
        definitions=[{**row, "updated_at": rfc3339(row["updated_at"])} for row in rows],
        changed=request.query_params.get("changed"),
        removed=request.query_params.get("removed"),
    )


def _new_form(
    request: Request, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Response:
    return render(
        request,
        "admin/field_new.html",
        status=422 if errors else 200,
        title="New custom field",
        values=values or {"key": "", "label": "", "type": "text", "options": ""},
        types=[(t, TYPE_HELP.get(t, "")) for t in TYPES],
        errors=errors or {},
    )


@router.get("/admin/fields/new")
async def new_field(request: Request, session: Signed) -> Response:
    admin(session)
    return _new_form(request)


@router.post("/admin/fields/new")
async def create_field(request: Request, session: Posted) -> Response:
    admin(session)
    form = await form_of(request)
    values = {name: _text(form, name) for name in ("key", "label", "type", "options")}
    body = {**values, "options": _options(values["options"])}
    try:
        checked = FieldCreate.model_validate(body)
        async with transaction(engine(request), write=True) as conn:
            await fielddefs.create(conn, session.principal, checked.model_dump())
    except DefinitionConflict as exc:
        return _new_form(request, values, {"type": exc.detail or "existing values disagree"})
    except (ValidationError, ValidationFailed, Conflict) as exc:
        return _new_form(request, values, field_errors(exc))
    return RedirectResponse(f"{FIELDS}?changed={values['key']}", status_code=303)


def _edit_form(
    request: Request,
    row: dict[str, Any],
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "admin/field_edit.html",
        status=422 if errors else 200,
        title=f"Edit custom field {row['key']}",
        definition=row,
        values=values or {"label": row["label"], "options": "\n".join(row["options"] or [])},
        errors=errors or {},
    )


@router.get("/admin/fields/{key}/edit")
async def edit_field(request: Request, session: Signed, key: Key) -> Response:
    admin(session)
    async with transaction(engine(request), write=False) as conn:
        row = await fielddefs.get(conn, session.principal, key)
    return _edit_form(request, row)


@router.post("/admin/fields/{key}/edit")
async def update_field(request: Request, session: Posted, key: Key) -> Response:
    """Change the label, and an enum's options (refused while live contacts hold a value
    the new options leave out, as the API refuses it)."""
    admin(session)
    form = await form_of(request)
    values = {"label": _text(form, "label"), "options": _text(form, "options")}
    async with transaction(engine(request), write=False) as conn:
        row = await fielddefs.get(conn, session.principal, key)
    body: dict[str, Any] = {"label": values["label"]}
    if row["type"] == "enum":
        body["options"] = _options(values["options"])
    try:
        checked = FieldUpdate.model_validate(body)
        async with transaction(engine(request), write=True) as conn:
            await fielddefs.update(
                conn, session.principal, key, checked.model_dump(exclude_unset=True)
            )
    except DefinitionConflict as exc:
        return _edit_form(request, row, values, {"options": exc.detail or "values disagree"})
    except (ValidationError, ValidationFailed) as exc:
        return _edit_form(request, row, values, field_errors(exc))
    return RedirectResponse(f"{FIELDS}?changed={key}", status_code=303)


@router.get("/admin/fields/{key}/delete")
async def confirm_delete(request: Request, session: Signed, key: Key) -> Response:
    admin(session)
    async with transaction(engine(request), write=False) as conn:
        row = await fielddefs.get(conn, session.principal, key)
    return render(
        request, "admin/field_delete.html", title=f"Remove custom field {key}", definition=row
    )


@router.post("/admin/fields/{key}/delete")
async def delete_field(request: Request, session: Posted, key: Key) -> Response:
    admin(session)
    async with transaction(engine(request), write=True) as conn:
        await fielddefs.delete(conn, session.principal, key)
    return RedirectResponse(f"{FIELDS}?removed={key}", status_code=303)
