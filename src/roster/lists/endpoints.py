"""HTTP routes of static lists: resolve auth, call one service function, respond."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.contacts.schemas import ContactPage
from roster.filters.endpoints import MemberPagingParameters, members_response
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import Page, page_request
from roster.kit.web import cursors, problems, uow
from roster.lists import named, service
from roster.lists.named import IfMatch, Limit
from roster.lists.schemas import (
    ListCreate,
    ListDetail,
    ListPage,
    ListUpdate,
    MembersAdd,
    MembersAdded,
)

router = APIRouter(prefix="/v1", tags=["lists"])


def _render(row: dict[str, Any]) -> dict[str, Any]:
    return named.body(row, "member_count")


def _one(row: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> JSONBody:
    return named.one(_render(row), row, status, headers)


@router.get("/lists", response_model=ListPage, responses=problems(400), summary="List lists")
async def list_lists(
    request: Request, principal: ContactsRead, limit: Limit = None, cursor: str | None = None
) -> Response:
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind="lists")
    async with uow(request, write=False) as conn:
        result = await service.page(conn, principal, paging=paging, cursors=cursors(request))
    return named.page(result, _render)


@router.post(
    "/lists",
    status_code=201,
    response_model=ListDetail,
    responses=problems(409, 422),
    summary="Create a list (names are unique per tenant)",
)
async def create_list(request: Request, principal: ContactsWrite, body: ListCreate) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.create(conn, principal, body.model_dump())
    return _one(row, 201, {"Location": f"/v1/lists/{row['id']}"})


@router.get(
    "/lists/{list_id}",
    response_model=ListDetail,
    responses=problems(404),
    summary="Get a list with its member count (with ETag)",
)
async def get_list(request: Request, principal: ContactsRead, list_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(conn, principal, list_id)
    return _one(row)


@router.patch(
    "/lists/{list_id}",
    response_model=ListDetail,
    responses=problems(404, 409, 412, 422),
    summary="Rename a list or change its description",
)
async def patch_list(
    request: Request,
    principal: ContactsWrite,
    list_id: UUID,
    body: ListUpdate,
    if_match: IfMatch = None,
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.update(
            conn, principal, list_id, body.model_dump(exclude_unset=True), if_match
        )
    return _one(row)


@router.delete(
    "/lists/{list_id}",
    status_code=204,
    responses=problems(404, 412),
    summary="Delete a list (its contacts are kept)",
)
async def delete_list(
    request: Request, principal: ContactsWrite, list_id: UUID, if_match: IfMatch = None
) -> Response:
    async with uow(request, write=True) as conn:
        await service.delete(conn, principal, list_id, if_match)
    return Response(status_code=204)


@router.get(
    "/lists/{list_id}/members",
    response_model=ContactPage,
    responses=problems(400, 404),
    summary="Live contacts in a list, paginated",
)
async def list_members(
    request: Request, principal: ContactsRead, list_id: UUID, paged: MemberPagingParameters
) -> Response:
    async def read(conn: AsyncConnection, **page: Any) -> Page:
        return await service.members(conn, principal, list_id, **page)

    return await members_response(request, paged, f"list:{list_id}", read)


@router.post(
    "/lists/{list_id}/members",
    response_model=MembersAdded,
    responses=problems(404, 422),
    summary="Add up to 1,000 contacts to a list",
)
async def add_members(
    request: Request, principal: ContactsWrite, list_id: UUID, body: MembersAdd
) -> Response:
    async with uow(request, write=True) as conn:
        result = await service.add_members(conn, principal, list_id, body.contact_ids)
    return JSONBody(result)


@router.delete(
    "/lists/{list_id}/members/{contact_id}",
    status_code=204,
    responses=problems(404),
    summary="Take a contact out of a list",
)
async def remove_member(
    request: Request, principal: ContactsWrite, list_id: UUID, contact_id: UUID
) -> Response:
    async with uow(request, write=True) as conn:
        await service.remove_member(conn, principal, list_id, contact_id)
    return Response(status_code=204)
