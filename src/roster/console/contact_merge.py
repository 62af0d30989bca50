"""A contact's likely duplicates, and merging them into it: a preview (the merge service's
dry run: the record as it would be, field by field) that asks for confirmation, then the
merge. The duplicates are looked for when asked (a link on the contact's page), not on
every view of the page: the look-up compares names and companies across the tenant."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from roster.auth import scopes
from roster.console.web import PREFIX, Posted, Signed, engine, form_of, need, render
from roster.contacts import render as shown
from roster.contacts import service as contacts
from roster.errors import NotFound, ValidationFailed
from roster.kit.db import transaction
from roster.lists import service as lists
from roster.merge import service as merge

router = APIRouter()

# The rows of the preview, in order: (label, the API's field name).
ROWS = (
    ("Name", "name"),
    ("First name", "first_name"),
    ("Last name", "last_name"),
    ("Phone", "phone"),
    ("Email", "email"),
    ("External id", "external_id"),
    ("Company", "company"),
    ("Job title", "job_title"),
    ("Status", "status"),
    ("Country", "country"),
    ("Language", "language"),
    ("Tags", "tags"),
    ("Custom fields", "custom_fields"),
    ("Handles", "handles"),
    ("Consent", "preferences"),
    ("Suppressed", "suppressed"),
)


def _text(value: Any) -> str:
    """A field's value as one line of text for the comparison table."""
    if value is None or value == [] or value == {}:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_text(v)}" for k, v in sorted(value.items()) if v is not None)
    return str(value)


def _ids(values: list[Any]) -> list[UUID]:
    """The duplicate ids a form or address names; a malformed one names nothing (404)."""
    try:
        found = [UUID(v) for v in values if isinstance(v, str)]
    except ValueError:
        raise NotFound("no such contact") from None
    if not found:
        raise NotFound("choose a duplicate to merge")
    return found


def _url(contact_id: UUID) -> str:
    return f"{PREFIX}/contacts/{contact_id}"


@router.get("/contacts/{contact_id}/duplicates")
async def find_duplicates(request: Request, session: Signed, contact_id: UUID) -> Response:
    """The contact's likely duplicates, as ``GET /v1/contacts/{id}/duplicates`` finds them:
    the list alone for htmx (swapped into the contact's page), else a page of its own."""
    need(session, scopes.CONTACTS_READ)
    async with transaction(engine(request), write=False) as conn:
        contact = await contacts.get(conn, session.principal, contact_id)
        found = await merge.duplicates(conn, session.principal, contact_id)
    template = "contacts/duplicates.html"
    if not request.headers.get("hx-request"):
        template = "contacts/duplicates_page.html"
    title = f"Possible duplicates of {contact['name'] or 'a contact'}"
    return render(request, template, title=title, contact=contact, duplicates=found)


@router.get("/contacts/{contact_id}/merge")
async def preview_merge(request: Request, session: Signed, contact_id: UUID) -> Response:
    """What merging the duplicates named by ``duplicate`` into this contact would give, as
    ``POST /v1/contacts/{id}/merge`` with ``dry_run`` answers; nothing is written."""
    need(session, scopes.CONTACTS_WRITE)
    duplicate_ids = _ids(request.query_params.getlist("duplicate"))
    principal = session.principal
    error = None
    async with transaction(engine(request), write=False) as conn:
        survivor = await contacts.get(conn, principal, contact_id)
        duplicates = [await contacts.get(conn, principal, d) for d in duplicate_ids]
        try:
            result, moved = await merge.merge(
                conn, principal, contact_id, duplicate_ids, dry_run=True
            )
        except ValidationFailed as exc:
            result, moved = None, {"list_ids": []}
            error = exc.errors[0].message if exc.errors else "these contacts cannot be merged"
        joined = [await lists.get(conn, principal, list_id) for list_id in moved["list_ids"]]
    before = shown.contact(survivor)
    others = [shown.contact(d) for d in duplicates]
    after = shown.contact(result) if result is not None else None
    rows = [
        {
            "label": label,
            "survivor": _text(before[name]),
            "duplicates": [_text(o[name]) for o in others],
            "merged": _text(after[name]) if after else "",
            "changed": after is not None and after[name] != before[name],
        }
        for label, name in ROWS
    ]
    return render(
        request,
        "contacts/merge.html",
        status=422 if error else 200,
        title=f"Merge into {survivor['name'] or 'this contact'}",
        contact=survivor,
        duplicates=duplicates,
        rows=rows,
        joined=joined,
        error=error,
    )


@router.post("/contacts/{contact_id}/merge")
async def merge_contacts(request: Request, session: Posted, contact_id: UUID) -> Response:
    """Merge the duplicates the preview showed into this contact; they are archived with
    ``merged_into`` and their notes, activities and list memberships move here."""
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    duplicate_ids = _ids(form.getlist("duplicate_id"))
    async with transaction(engine(request), write=True) as conn:
        await merge.merge(conn, session.principal, contact_id, duplicate_ids, dry_run=False)
    return RedirectResponse(f"{_url(contact_id)}?merged=1#duplicates", status_code=303)
