"""YourSend's contacts API, ``/v1/contacts``, over Roster's contact and consent services.

Each route resolves Roster's credential and scope, calls the services Roster's own routes
call, in Roster's unit of work, and renders yoursend's shape. Failures are Roster's errors,
written in yoursend's body by ``errors.error``.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.compat import contacts
from roster.compat.yoursend import errors
from roster.compat.yoursend.schemas import (
    CHANNELS,
    OK,
    YoursendContact,
    YoursendContactCreate,
    YoursendContactPage,
    YoursendContactUpdate,
)
from roster.consent import service as consent
from roster.contacts import service
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import MAX_LIMIT, MAX_OFFSET
from roster.kit.timeutil import rfc3339
from roster.kit.web import settings, uow

router = APIRouter(prefix="/v1/contacts")

CONSENT_SOURCE = "api:yoursend"
DEFAULT_LIMIT = 50
# The update fields that are consent changes (``consent.put_preferences``).
CONSENT_FIELDS = {*CHANNELS, "suppressed", "suppressed_reason"}
_STATES = {state: ok for ok, state in OK.items()}


def contact(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "email": row["email"],
        "phone": row["phone"],
        "name": row["name"],
        "tags": row["tags"],
        "suppressed": row["suppressed"],
        "suppressed_reason": row["suppressed_reason"],
        **{ok: _STATES[row[f"pref_{channel}"]] for ok, channel in CHANNELS.items()},
        "metadata": row["custom_fields"],
        "source": row["source"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def _roster(data: dict[str, Any]) -> dict[str, Any]:
    """The contact fields sent, under Roster's names."""
    return {("custom_fields" if k == "metadata" else k): v for k, v in data.items()}


@router.get(
    "",
    response_model=YoursendContactPage,
    responses=errors.responses(400),
    operation_id="yoursend_contacts_list",
    summary="List contacts",
    description="Newest first, with pagination and filtering.",
)
async def list_contacts(
    request: Request,
    principal: ContactsRead,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Results per page (max 100)")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Offset for pagination")] = 0,
    tag: Annotated[str | None, Query(max_length=64, description="Filter by tag")] = None,
    suppressed: Annotated[bool | None, Query(description="Filter by suppression")] = None,
) -> Response:
    params: dict[str, list[str]] = {}
    if tag is not None:
        params["tag"] = [tag]
    if suppressed is not None:
        params["suppressed"] = [str(suppressed).lower()]
    result = await contacts.listed(request, principal, params, limit=limit, offset=offset)
    body = {
        "contacts": [contact(row) for row in result.rows],
        "total": result.total or 0,
        "limit": limit,
        "offset": offset,
    }
    return JSONBody(body)


@router.post(
    "",
    status_code=201,
    response_model=YoursendContact,
    responses=errors.responses(400),
    operation_id="yoursend_contacts_create",
    summary="Create a contact",
    description="Either email or phone is required. Emits `contact.created`.",
)
async def create_contact(
    request: Request, principal: ContactsWrite, body: YoursendContactCreate
) -> Response:
    data = _roster(body.model_dump(exclude_unset=True))
    row = await contacts.create(request, principal, data)
    return JSONBody(contact(row), status_code=201)


@router.get(
    "/{contact_id}",
    response_model=YoursendContact,
    responses=errors.responses(404),
    operation_id="yoursend_contacts_get",
    summary="Get a contact",
)
async def get_contact(request: Request, principal: ContactsRead, contact_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(conn, principal, contact_id)
    return JSONBody(contact(row))


@router.put(
    "/{contact_id}",
    response_model=YoursendContact,
    responses=errors.responses(400, 404),
    operation_id="yoursend_contacts_update",
    summary="Update a contact",
    description="Only the fields sent change; `metadata` is merged with the existing. The "
    "channel opt-ins and the suppression are consent changes, kept in the contact's consent "
    "history with source `api:yoursend`.",
)
async def update_contact(
    request: Request, principal: ContactsWrite, contact_id: UUID, body: YoursendContactUpdate
) -> Response:
    sent = body.model_dump(exclude_unset=True)
    fields = _roster({k: v for k, v in sent.items() if k not in CONSENT_FIELDS})
    change: dict[str, Any] = {k: v for k, v in sent.items() if k in CONSENT_FIELDS - set(CHANNELS)}
    preferences = {CHANNELS[k]: OK[v] for k, v in sent.items() if k in CHANNELS}
    if preferences:
        change["preferences"] = preferences
    async with uow(request, write=True) as conn:
        row = await service.get(conn, principal, contact_id)
        if fields:
            row = await service.update(
                conn, principal, contact_id, fields, default_region=settings(request).default_region
            )
        if change:
            change["source"] = CONSENT_SOURCE
            row = await consent.put_preferences(conn, principal, contact_id, change, if_match=None)
    return JSONBody(contact(row))
