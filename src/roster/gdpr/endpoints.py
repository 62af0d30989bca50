"""HTTP routes of GDPR: the per-contact export, and ``DELETE /v1/contacts/{id}``, which
archives a contact or, with ``erase=true``, erases it (one route: the one path and method
carry both, and erasure sits above contacts)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.status import HTTP_204_NO_CONTENT

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.contacts import service as contacts
from roster.gdpr import erasure, export, traces
from roster.kit.jsonutil import JSONBody
from roster.kit.web import attachment, problems, uow

router = APIRouter(prefix="/v1", tags=["contacts"])

IfMatch = Annotated[str | None, Header(description='ETag from a GET, e.g. "3"; stale → 412')]


@router.get(
    "/contacts/{contact_id}/export",
    responses={
        **problems(404),
        200: {
            "description": "`contact`, `consent_history`, `activities`, `notes`, and the same "
            "for each contact merged into it under `merged_contacts`",
            "content": {"application/json": {"schema": {"type": "object"}}},
        },
    },
    summary="Everything held about one contact (GDPR access and portability), as JSON",
)
async def export_contact(request: Request, principal: ContactsRead, contact_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        document = await export.export(conn, principal, contact_id)
    disposition = attachment(f"contact-{contact_id}.json")
    return JSONBody(document, headers={"Content-Disposition": disposition})


@router.delete(
    "/contacts/{contact_id}",
    status_code=204,
    responses=problems(400, 404, 412),
    summary="Archive a contact (soft delete), or erase it (GDPR) with erase=true",
)
async def archive_contact(
    request: Request,
    principal: ContactsWrite,
    contact_id: UUID,
    if_match: IfMatch = None,
    erase: Annotated[
        bool,
        Query(
            description="Erase the contact's personal data everywhere (GDPR Art. 17), "
            "leaving a tombstone and keyed hashes that keep its opt-outs; also erases "
            "contacts merged into it. Irreversible."
        ),
    ] = False,
) -> Response:
    async with uow(request, write=True) as conn:
        if erase:
            await erasure.erase(conn, principal, contact_id)
        else:
            await contacts.archive(conn, principal, contact_id, if_match=if_match)
    if erase:
        await traces.checkpoint(request.app.state.engine)
    return Response(status_code=HTTP_204_NO_CONTENT)
