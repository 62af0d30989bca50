"""HTTP routes of static lists: resolve auth, call one service function, respond."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.contacts import render
from roster.contacts.schemas import ContactPage
from roster.filters.bodies import Sort
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import Page, envelope, page_request
from roster.kit.timeutil import rfc3339
from roster.kit.web import cursors, problems, uow
from roster.lists import service
from roster.lists.schemas import (
    ListCreate,
    ListDetail,
    ListPage,
    ListUpdate,
    MembersAdd,
    MembersAdded,
)

router = APIRouter(prefix="/v1", tags=["lists"])
IfMatch = Annotated[str | None, Header(description='ETag from a GET, e.g. "3"; stale → 412')]
Limit = Annotated[int | None, Query(description="1..100, default 50")]


def _render(row: dict[str, Any]) -> dict[str, Any]:
    body = {
        "id": str(row["id"]),
        "name": row["name"],
        "description": row["description"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
        "version": row["version"],
    }
    if "member_count" in row:
        body["member_count"] = row["member_count"]
    return body


def _one(row: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> JSONBody:
    return JSONBody(
        _render(row), status_code=status, headers={"ETag": service.etag(row), **(headers or {})}
    )


def _page(result: Page, render_row: Any) -> JSONBody:
    return JSONBody(
        envelope(
            [render_row(r) for r in result.rows], result.has_more, result.next_cursor, result.total
        )
    )


@router.get("/lists", response_model=ListPage, responses=problems(400), summary="List lists")
async def list_lists(
    request: Request, principal: ContactsRead, limit: Limit = None, cursor: str | None = None
) -> Response:
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind="lists")
    async with uow(request, write=False) as conn:
        result = await service.page(conn, principal, paging=paging, cursors=cursors(request))
    return _page(result, _render)


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
    request: Request,
    principal: ContactsRead,
    list_id: UUID,
    sort: Sort = "-created_at",
    limit: Limit = None,
    cursor: str | None = None,
    include_total: bool = False,
) -> Response:
    paging = page_request(
        limit, cursor, None, None, cursors=cursors(request), kind=f"list:{list_id}:{sort}"
    )
    async with uow(request, write=False) as conn:
        result = await service.members(
            conn,
            principal,
            list_id,
            sort=sort,
            paging=paging,
            cursors=cursors(request),
            include_total=include_total,
        )
    return _page(result, render.contact)


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
