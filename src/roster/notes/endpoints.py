"""HTTP routes of notes on a contact."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.status import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.kit.jsonutil import JSONBody
from roster.kit.openapi import omittable
from roster.kit.pagination import envelope, page_request
from roster.kit.web import cursors, problems, uow
from roster.notes import service

router = APIRouter(prefix="/v1", tags=["notes"])


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=10_000)
    author: str | None = Field(default=None, max_length=255)


class NoteUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str | None = omittable(min_length=1, max_length=10_000)
    author: str | None = Field(default=None, max_length=255)


class Note(BaseModel):
    id: str
    contact_id: str
    body: str
    author: str | None
    created_at: str
    updated_at: str


class NotePage(BaseModel):
    data: list[Note]
    has_more: bool
    next_cursor: str | None


@router.get(
    "/contacts/{contact_id}/notes",
    response_model=NotePage,
    responses=problems(400, 404),
    summary="A contact's notes, newest first",
)
async def list_notes(
    request: Request,
    principal: ContactsRead,
    contact_id: UUID,
    limit: Annotated[int | None, Query(description="1..100, default 50")] = None,
    cursor: str | None = None,
    offset: int | None = None,
    page: int | None = None,
) -> Response:
    paging = page_request(limit, cursor, offset, page, cursors=cursors(request), kind="notes")
    async with uow(request, write=False) as conn:
        result = await service.page(
            conn, principal, contact_id, paging=paging, cursors=cursors(request)
        )
    data = [service.render(r) for r in result.rows]
    return JSONBody(envelope(data, result.has_more, result.next_cursor))


@router.post(
    "/contacts/{contact_id}/notes",
    status_code=201,
    response_model=Note,
    responses=problems(404, 422),
    summary="Add a note to a contact",
)
async def add_note(
    request: Request, principal: ContactsWrite, contact_id: UUID, body: NoteCreate
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.create(conn, principal, contact_id, body.model_dump())
    location = f"/v1/contacts/{contact_id}/notes/{row['id']}"
    return JSONBody(
        service.render(row), status_code=HTTP_201_CREATED, headers={"Location": location}
    )


@router.patch(
    "/contacts/{contact_id}/notes/{note_id}",
    response_model=Note,
    responses=problems(404, 422),
    summary="Edit a note (body, author)",
)
async def edit_note(
    request: Request, principal: ContactsWrite, contact_id: UUID, note_id: UUID, body: NoteUpdate
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.update(
            conn, principal, contact_id, note_id, body.model_dump(exclude_unset=True)
        )
    return JSONBody(service.render(row))


@router.delete(
    "/contacts/{contact_id}/notes/{note_id}",
    status_code=204,
    responses=problems(404),
    summary="Delete a note",
)
async def delete_note(
    request: Request, principal: ContactsWrite, contact_id: UUID, note_id: UUID
) -> Response:
    async with uow(request, write=True) as conn:
        await service.delete(conn, principal, contact_id, note_id)
    return Response(status_code=HTTP_204_NO_CONTENT)
