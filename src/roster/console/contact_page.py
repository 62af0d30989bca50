"""A contact's page: its fields, tags, consent per channel with the history, the timeline,
notes, list memberships, and the download of its personal data (its likely duplicates are
on a page of their own, ``contact_merge``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.activities import service as activities
from roster.apikeys import service as apikeys
from roster.auth import scopes
from roster.auth.principal import Principal
from roster.consent import service as consent
from roster.consent.schemas import PreferencesWrite
from roster.console.web import (
    PREFIX,
    Posted,
    Signed,
    can,
    engine,
    form_of,
    need,
    page_cursors,
    render,
)
from roster.contacts import service as contacts
from roster.errors import NotFound, ValidationFailed
from roster.gdpr import export
from roster.kit.db import transaction
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import Page, page_request
from roster.kit.web import attachment
from roster.lists import service as lists
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS
from roster.notes import service as notes

router = APIRouter()

HISTORY_SIZE = 20
TIMELINE_SIZE = 20
NOTES_SIZE = 20
# Lists offered by the "add to list" choice (the lists page has them all).
LIST_CHOICES = 100


async def _page(
    request: Request,
    session: Any,
    contact_id: UUID,
    *,
    status: int = 200,
    consent_errors: dict[str, str] | None = None,
    note_error: str | None = None,
    note_edit_error: tuple[str, str] | None = None,
) -> Response:
    cursors = page_cursors(request)
    principal = session.principal
    async with transaction(engine(request), write=False) as conn:
        row = await contacts.get(conn, principal, contact_id, include_deleted=True)
        if row.get("erased_at") is not None:
            return render(request, "contacts/erased.html", title="Erased contact", contact=row)
        paging = page_request(HISTORY_SIZE, None, None, None, cursors=cursors, kind="consent")
        history = await consent.history_page(
            conn, principal, contact_id, paging=paging, cursors=cursors
        )
        who = await apikeys.names(conn, principal, {r["actor"] for r in history.rows if r["actor"]})
        paging = page_request(NOTES_SIZE, None, None, None, cursors=cursors, kind="notes")
        found_notes = await notes.page(conn, principal, contact_id, paging=paging, cursors=cursors)
        timeline, timeline_filter = await _timeline(request, conn, principal, contact_id)
        memberships = await lists.of_contact(conn, principal, contact_id)
        live = row.get("deleted_at") is None
        live_write = live and can(session, scopes.CONTACTS_WRITE)
        choices: list[dict[str, Any]] = []
        if live_write:
            paging = page_request(LIST_CHOICES, None, None, None, cursors=cursors, kind="lists")
            found = await lists.page(conn, principal, paging=paging, cursors=cursors)
            member_of = {m["id"] for m in memberships}
            choices = [r for r in found.rows if r["id"] not in member_of]
    return render(
        request,
        "contacts/show.html",
        status=status,
        title=row["name"] or "Contact",
        contact=row,
        channels=PREFERENCE_CHANNELS,
        handles=[(ch, row[f"handle_{ch}"]) for ch in HANDLE_CHANNELS if row[f"handle_{ch}"]],
        history=[{**consent.render_event(r), "who": who.get(r["actor"])} for r in history.rows],
        history_more=history.has_more,
        notes=[notes.render(r) for r in found_notes.rows],
        consent_errors=consent_errors or {},
        note_error=note_error,
        tag_error=None,
        timeline=[activities.render(r) for r in timeline.rows],
        timeline_next=timeline.next_cursor if timeline.has_more else None,
        timeline_filter=timeline_filter,
        timeline_query=urlencode({k: v for k, v in timeline_filter.items() if v}),
        note_edit_error=note_edit_error,
        memberships=memberships,
        list_choices=choices,
        merged=request.query_params.get("merged") == "1",
    )


async def _timeline(
    request: Request, conn: AsyncConnection, principal: Principal, contact_id: UUID
) -> tuple[Page, dict[str, str]]:
    """The page of the contact's timeline the address asks for (``type``, ``channel``,
    ``timeline_cursor``), newest first, as ``GET /v1/contacts/{id}/timeline`` reads it."""
    params = request.query_params
    chosen = {"type": params.get("type", "").strip(), "channel": params.get("channel", "").strip()}
    cursors = page_cursors(request)
    paging = page_request(
        TIMELINE_SIZE,
        params.get("timeline_cursor") or None,
        None,
        None,
        cursors=cursors,
        kind="activities",
    )
    found = await activities.timeline(
        conn,
        principal,
        contact_id,
        types=[chosen["type"]] if chosen["type"] else [],
        channel=chosen["channel"] or None,
        before=None,
        after=None,
        paging=paging,
        cursors=cursors,
    )
    return found, chosen


@router.get("/contacts/{contact_id}")
async def show_contact(request: Request, session: Signed, contact_id: UUID) -> Response:
    need(session, scopes.CONTACTS_READ)
    return await _page(request, session, contact_id)


@router.post("/contacts/{contact_id}/consent")
async def change_consent(request: Request, session: Posted, contact_id: UUID) -> Response:
    """Opt a channel in or out, with the evidence (source) and a note, as the API's
    ``PUT /v1/contacts/{id}/preferences`` does (its schema checks the form)."""
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    channel, state = form.get("channel"), form.get("state")
    note = form.get("note")
    body = {
        "preferences": {channel: state},
        "source": form.get("source") or "",
        "note": note if isinstance(note, str) and note.strip() else None,
    }
    try:
        checked = PreferencesWrite.model_validate(body)
    except ValidationError as exc:
        errors = {str(e["loc"][0]): e["msg"] for e in exc.errors()}
        return await _page(request, session, contact_id, status=422, consent_errors=errors)
    async with transaction(engine(request), write=True) as conn:
        await consent.put_preferences(
            conn,
            session.principal,
            contact_id,
            checked.model_dump(exclude_unset=True),
            if_match=None,
        )
    return RedirectResponse(f"{PREFIX}/contacts/{contact_id}#consent", status_code=303)


@router.post("/contacts/{contact_id}/notes")
async def add_note(request: Request, session: Posted, contact_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    text = form.get("body")
    try:
        async with transaction(engine(request), write=True) as conn:
            await notes.create(
                conn,
                session.principal,
                contact_id,
                {"body": text if isinstance(text, str) else ""},
            )
    except ValidationFailed as exc:
        message = exc.errors[0].message if exc.errors else "not valid"
        return await _page(request, session, contact_id, status=422, note_error=message)
    return RedirectResponse(f"{PREFIX}/contacts/{contact_id}#notes", status_code=303)


@router.post("/contacts/{contact_id}/notes/{note_id}/delete")
async def delete_note(
    request: Request, session: Posted, contact_id: UUID, note_id: UUID
) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=True) as conn:
        await notes.delete(conn, session.principal, contact_id, note_id)
    return RedirectResponse(f"{PREFIX}/contacts/{contact_id}#notes", status_code=303)


@router.post("/contacts/{contact_id}/notes/{note_id}/edit")
async def edit_note(request: Request, session: Posted, contact_id: UUID, note_id: UUID) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    text = form.get("body")
    try:
        async with transaction(engine(request), write=True) as conn:
            await notes.update(
                conn,
                session.principal,
                contact_id,
                note_id,
                {"body": text if isinstance(text, str) else ""},
            )
    except ValidationFailed as exc:
        message = exc.errors[0].message if exc.errors else "not valid"
        return await _page(
            request, session, contact_id, status=422, note_edit_error=(str(note_id), message)
        )
    return RedirectResponse(f"{PREFIX}/contacts/{contact_id}#note-{note_id}", status_code=303)


@router.get("/contacts/{contact_id}/personal-data")
async def personal_data(request: Request, session: Signed, contact_id: UUID) -> Response:
    """Everything held about the contact, as ``GET /v1/contacts/{id}/export`` gives it: a
    JSON download (GDPR access and portability)."""
    need(session, scopes.CONTACTS_READ)
    async with transaction(engine(request), write=False) as conn:
        document = await export.export(conn, session.principal, contact_id)
    disposition = attachment(f"contact-{contact_id}.json")
    return JSONBody(document, headers={"Content-Disposition": disposition})


@router.post("/contacts/{contact_id}/lists")
async def join_list(request: Request, session: Posted, contact_id: UUID) -> Response:
    """Add the contact to the list chosen, as ``POST /v1/lists/{id}/members`` does."""
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    list_id = _uuid(form.get("list_id"))
    async with transaction(engine(request), write=True) as conn:
        await contacts.get(conn, session.principal, contact_id)
        if list_id is None:
            raise NotFound("no such list")
        await lists.add_members(conn, session.principal, list_id, [str(contact_id)])
    return RedirectResponse(f"{PREFIX}/contacts/{contact_id}#lists", status_code=303)


@router.post("/contacts/{contact_id}/lists/{list_id}/remove")
async def leave_list(
    request: Request, session: Posted, contact_id: UUID, list_id: UUID
) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=True) as conn:
        await lists.remove_member(conn, session.principal, list_id, contact_id)
    return RedirectResponse(f"{PREFIX}/contacts/{contact_id}#lists", status_code=303)


def _uuid(value: Any) -> UUID | None:
    try:
        return UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None
