"""HTTP route of the per-contact export (erasure is ``DELETE /v1/contacts/{id}?erase=true``)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request, Response

from roster.auth.deps import ContactsRead
from roster.gdpr import export
from roster.kit.jsonutil import JSONBody
from roster.kit.web import problems, uow

router = APIRouter(prefix="/v1", tags=["contacts"])


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
    disposition = f'attachment; filename="contact-{contact_id}.json"'
    return JSONBody(document, headers={"Content-Disposition": disposition})
