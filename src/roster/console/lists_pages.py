"""Static lists: the tenant's lists, creating one, a list's members (cursor-paged) with a
remove button each, and adding the contacts chosen on the contacts list."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from roster.auth import scopes
from roster.console.web import (
    PREFIX,
    Posted,
    Signed,
    cursor_page,
    engine,
    form_of,
    need,
    page_cursors,
    render,
)
from roster.errors import Conflict, InvalidRequest, NotFound
from roster.kit.db import transaction
from roster.lists import service as lists
from roster.lists.schemas import ListCreate, MembersAdd

router = APIRouter()

LISTS_SIZE = 50
MEMBERS_SIZE = 25
MEMBERS_SORT = "-created_at"


def _url(list_id: Any) -> str:
    return f"{PREFIX}/lists/{list_id}"


async def _index(
    request: Request,
    session: Any,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    cursors = page_cursors(request)
    paging = cursor_page(request, LISTS_SIZE, "lists")
    async with transaction(engine(request), write=False) as conn:
        found = await lists.page(conn, session.principal, paging=paging, cursors=cursors)
    return render(
        request,
        "lists/list.html",
        status=status,
        title="Lists",
        page=found,
        values=values or {},
        errors=errors or {},
    )


@router.get("/lists")
async def list_lists(request: Request, session: Signed) -> Response:
    need(session, scopes.CONTACTS_READ)
    return await _index(request, session)


@router.post("/lists")
async def create_list(request: Request, session: Posted) -> Response:
    """Create a list with the API's checks (``ListCreate``; names unique per tenant)."""
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    values = {k: v for k in ("name", "description") if isinstance(v := form.get(k), str)}
    description = values.get("description", "").strip()
    try:
        checked = ListCreate.model_validate(
            {"name": values.get("name", ""), "description": description or None}
        )
        async with transaction(engine(request), write=True) as conn:
            row = await lists.create(conn, session.principal, checked.model_dump())
    except ValidationError as exc:
        errors = {str(e["loc"][0]): e["msg"] for e in exc.errors(include_url=False)}
        return await _index(request, session, status=422, values=values, errors=errors)
    except Conflict:
        errors = {"name": "A list already has this name."}
        return await _index(request, session, status=422, values=values, errors=errors)
    return RedirectResponse(_url(row["id"]), status_code=303)


@router.get("/lists/{list_id}")
async def show_list(request: Request, session: Signed, list_id: UUID) -> Response:
    """The list and a page of its live members, newest first, as
    ``GET /v1/lists/{id}/members`` pages them."""
    need(session, scopes.CONTACTS_READ)
    cursors = page_cursors(request)
    paging = cursor_page(request, MEMBERS_SIZE, f"list:{list_id}:{MEMBERS_SORT}")
    async with transaction(engine(request), write=False) as conn:
        row = await lists.get(conn, session.principal, list_id)
        members = await lists.members(
            conn,
            session.principal,
            list_id,
            sort=MEMBERS_SORT,
            paging=paging,
            cursors=cursors,
            include_total=False,
        )
    params = request.query_params
    return render(
        request,
        "lists/show.html",
        title=row["name"],
        list=row,
        members=members,
        added=params.get("added"),
        already=params.get("already"),
        missing=params.get("missing"),
    )


@router.post("/lists/{list_id}/members/{contact_id}/remove")
async def remove_member(
    request: Request, session: Posted, list_id: UUID, contact_id: UUID
) -> Response:
    need(session, scopes.CONTACTS_WRITE)
    async with transaction(engine(request), write=True) as conn:
        await lists.remove_member(conn, session.principal, list_id, contact_id)
    return RedirectResponse(_url(list_id) + "#members", status_code=303)


@router.post("/lists/selection")
async def add_selection(request: Request, session: Posted) -> Response:
    """Add the contacts ticked on the contacts list to the list chosen there, as
    ``POST /v1/lists/{id}/members`` does; the list's page then says how many joined."""
    need(session, scopes.CONTACTS_WRITE)
    form = await form_of(request)
    raw_list = form.get("list_id")
    try:
        list_id = UUID(raw_list) if isinstance(raw_list, str) else None
    except ValueError:
        list_id = None
    if list_id is None:
        raise NotFound("no such list")
    chosen = [v for v in form.getlist("contact_id") if isinstance(v, str)]
    if not chosen:
        return RedirectResponse(_url(list_id) + "?added=0", status_code=303)
    try:
        checked = MembersAdd.model_validate({"contact_ids": chosen})
    except ValidationError:
        raise InvalidRequest("a chosen contact id is not valid") from None
    async with transaction(engine(request), write=True) as conn:
        result = await lists.add_members(conn, session.principal, list_id, checked.contact_ids)
    outcome = {
        "added": result["added"],
        "already": result["already_members"],
        "missing": len(result["not_found"]),
    }
    return RedirectResponse(f"{_url(list_id)}?{urlencode(outcome)}", status_code=303)
