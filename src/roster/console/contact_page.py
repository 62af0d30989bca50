"""A contact's page: its fields, tags, consent per channel with the history, and notes."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from roster.auth import scopes
from roster.consent import service as consent
from roster.consent.schemas import PreferencesWrite
from roster.console.web import PREFIX, Posted, Signed, engine, form_of, need, render
from roster.contacts import service as contacts
from roster.errors import ValidationFailed
from roster.kit.db import transaction
from roster.kit.pagination import page_request
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS
from roster.notes import service as notes

router = APIRouter()

HISTORY_SIZE = 20
NOTES_SIZE = 20


def _cursors(request: Request) -> Any:
    return request.app.state.parent.state.cursors


async def _page(
    request: Request,
    session: Any,
    contact_id: UUID,
    *,
    status: int = 200,
    consent_errors: dict[str, str] | None = None,
    note_error: str | None = None,
) -> Response:
    cursors = _cursors(request)
    principal = session.principal
    async with transaction(engine(request), write=False) as conn:
        row = await contacts.get(conn, principal, contact_id, include_deleted=True)
        if row.get("erased_at") is not None:
            return render(request, "contacts/erased.html", title="Erased contact", contact=row)
        paging = page_request(HISTORY_SIZE, None, None, None, cursors=cursors, kind="consent")
        history = await consent.history_page(
            conn, principal, contact_id, paging=paging, cursors=cursors
        )
        paging = page_request(NOTES_SIZE, None, None, None, cursors=cursors, kind="notes")
        found_notes = await notes.page(conn, principal, contact_id, paging=paging, cursors=cursors)
    return render(
        request,
        "contacts/show.html",
        status=status,
        title=row["name"] or "Contact",
        contact=row,
        channels=PREFERENCE_CHANNELS,
        handles=[(ch, row[f"handle_{ch}"]) for ch in HANDLE_CHANNELS if row[f"handle_{ch}"]],
        history=[consent.render_event(r) for r in history.rows],
        history_more=history.has_more,
        notes=[notes.render(r) for r in found_notes.rows],
        consent_errors=consent_errors or {},
        note_error=note_error,
        tag_error=None,
    )


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
