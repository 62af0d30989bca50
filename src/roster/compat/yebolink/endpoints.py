"""YeboLink's contacts API, ``/api/v1/contacts``, over Roster's contact services.

Each route resolves Roster's credential and scope, calls the service Roster's own route
calls, in Roster's unit of work, and wraps the answer in ``{"success": true, "data": …}``.
Failures are Roster's errors, written in yebolink's body by ``errors.error``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.compat import contacts
from roster.compat.yebolink import errors
from roster.compat.yebolink.schemas import (
    YebolinkContactAnswer,
    YebolinkContactCreate,
    YebolinkContactsAnswer,
    YebolinkContactUpdate,
    YebolinkDeleted,
)
from roster.contacts import service
from roster.contacts.query import MAX_Q
from roster.errors import BadParameter
from roster.filters.parameters import MAX_FILTER_VALUES
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import MAX_LIMIT, MAX_PAGE
from roster.kit.timeutil import rfc3339
from roster.kit.web import uow

router = APIRouter(prefix="/api/v1/contacts")

SOURCE = "api:yebolink"
DEFAULT_LIMIT = 50
MAX_TAG = 64


def listed(row: dict[str, Any]) -> dict[str, Any]:
    """A contact as the list shows it."""
    return {
        "id": str(row["id"]),
        "phone": row["phone"],
        "email": row["email"],
        "name": row["name"],
        "tags": row["tags"],
        "custom_fields": row["custom_fields"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def contact(row: dict[str, Any]) -> dict[str, Any]:
    """A contact as create, get and update show it: with its workspace (Roster's tenant)."""
    shown = listed(row)
    return {"id": shown.pop("id"), "workspace_id": str(row["tenant_id"]), **shown}


def _answer(row: dict[str, Any], status_code: int = 200) -> JSONBody:
    return JSONBody({"success": True, "data": {"contact": contact(row)}}, status_code=status_code)


def _tags(raw: str | None) -> list[str]:
    """``customer,vip`` → ``["customer", "vip"]``."""
    tags = [t.strip() for t in (raw or "").split(",") if t.strip()]
    if len(tags) > MAX_FILTER_VALUES:
        raise BadParameter("tags", f"at most {MAX_FILTER_VALUES} tags")
    if any(len(t) > MAX_TAG for t in tags):
        raise BadParameter("tags", f"each tag is at most {MAX_TAG} characters")
    return tags


@router.post(
    "",
    status_code=201,
    response_model=YebolinkContactAnswer,
    responses=errors.responses(400),
    operation_id="yebolink_contacts_create",
    summary="Create Contact",
    description="Emits `contact.created`. A phone or email another contact has is a 400.",
)
async def create_contact(
    request: Request, principal: ContactsWrite, body: YebolinkContactCreate
) -> Response:
    data = {**body.model_dump(exclude_unset=True), "source": SOURCE}
    row = await contacts.create(request, principal, data)
    return _answer(row, 201)


@router.get(
    "",
    response_model=YebolinkContactsAnswer,
    responses=errors.responses(400),
    operation_id="yebolink_contacts_list",
    summary="List Contacts",
    description="Newest first. `search` matches the name, phone or email; `tags` "
    "(comma-separated) lists contacts with any of them.",
)
async def list_contacts(
    request: Request,
    principal: ContactsRead,
    search: Annotated[
        str | None, Query(max_length=MAX_Q, description="Search by name, phone, or email")
    ] = None,
    tags: Annotated[
        str | None, Query(max_length=2000, description="Filter by tags (comma-separated)")
    ] = None,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="Page number")] = 1,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Results per page (max 100)")
    ] = DEFAULT_LIMIT,
) -> Response:
    params: dict[str, list[str]] = {}
    if search and search.strip():
        params["q"] = [search]
    wanted = _tags(tags)
    if wanted:
        params["any_tag"] = wanted
    result = await contacts.listed(request, principal, params, limit=limit, page=page)
    total = result.total or 0
    pagination = {"total": total, "page": page, "pages": math.ceil(total / limit), "limit": limit}
    data = {"contacts": [listed(row) for row in result.rows], "pagination": pagination}
    return JSONBody({"success": True, "data": data})


@router.get(
    "/{contact_id}",
    response_model=YebolinkContactAnswer,
    responses=errors.responses(404),
    operation_id="yebolink_contacts_get",
    summary="Get Contact",
)
async def get_contact(request: Request, principal: ContactsRead, contact_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(conn, principal, contact_id)
    return _answer(row)


@router.put(
    "/{contact_id}",
    response_model=YebolinkContactAnswer,
    responses=errors.responses(400, 404),
    operation_id="yebolink_contacts_update",
    summary="Update Contact",
    description="Only the fields sent change: `tags` replace the set, `custom_fields` are "
    "merged with the existing. Emits `contact.updated`.",
)
async def update_contact(
    request: Request, principal: ContactsWrite, contact_id: UUID, body: YebolinkContactUpdate
) -> Response:
    row = await contacts.update(request, principal, contact_id, body.model_dump(exclude_unset=True))
    return _answer(row)


@router.delete(
    "/{contact_id}",
    response_model=YebolinkDeleted,
    responses=errors.responses(404),
    operation_id="yebolink_contacts_delete",
    summary="Delete Contact",
    description="Deletes the contact permanently (Roster's erasure): its data goes, its "
    "opt-outs are remembered. Emits `contact.erased`.",
)
async def delete_contact(request: Request, principal: ContactsWrite, contact_id: UUID) -> Response:
    await contacts.erase(request, principal, contact_id)
    return JSONBody({"success": True, "data": {"message": "Contact deleted successfully"}})
