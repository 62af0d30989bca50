"""lynkist's contacts API, ``/api/v1/public/contacts``, over Roster's contact services.

Each route resolves Roster's credential and scope, calls the service Roster's own route
calls, in Roster's unit of work, and renders lynkist's shape. Failures are Roster's errors,
written in lynkist's body by ``errors.error``.
"""

from __future__ import annotations

import math
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from pydantic import ValidationError

from roster.auth.deps import ContactsRead, ContactsWrite
from roster.bulk import batch, statistics
from roster.compat import contacts
from roster.compat.lynkist import errors
from roster.compat.lynkist.schemas import (
    LynkistBulk,
    LynkistBulkResult,
    LynkistContact,
    LynkistContactCreate,
    LynkistContactPage,
    LynkistContactUpdate,
    LynkistDeleted,
    LynkistSearch,
)
from roster.contacts import service
from roster.contacts.query import MAX_Q
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import MAX_LIMIT, MAX_PAGE
from roster.kit.timeutil import rfc3339
from roster.kit.web import settings, uow

router = APIRouter(prefix="/api/v1/public/contacts")

SOURCE = "api:lynkist"
DEFAULT_LIMIT = 20
Page = Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="1-100")]


def render(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "phone": row["phone"],
        "email": row["email"],
        "company": row["company"],
        "job_title": row["job_title"],
        "status": row["status"],
        "tags": row["tags"],
        "custom_fields": row["custom_fields"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


async def _listing(
    request: Request,
    principal: ContactsRead,
    *,
    search: str | None,
    status: str | None,
    tag: str | None,
    page: int,
    limit: int,
) -> Response:
    """One page of live contacts: ``search`` is Roster's ``q``, ``status`` and ``tag`` its
    exact filters, ``page``/``limit`` its offset paging, with the exact total."""
    given = (("q", search), ("status", status), ("tag", tag))
    params = {name: [value] for name, value in given if value and value.strip()}
    result = await contacts.listed(request, principal, params, limit=limit, page=page)
    total = result.total or 0
    pages = math.ceil(total / limit)
    pagination = {
        "page": page,
        "limit": limit,
        "total_items": total,
        "total_pages": pages,
        "has_next": page < pages,
        "has_prev": page > 1,
    }
    return JSONBody({"data": [render(row) for row in result.rows], "pagination": pagination})


@router.get(
    "",
    response_model=LynkistContactPage,
    responses=errors.responses(422),
    operation_id="lynkist_contacts_list",
    summary="List contacts",
    description="Paginated; `search` matches first_name, last_name, email and company, "
    "`status` is an exact match.",
)
async def list_contacts(
    request: Request,
    principal: ContactsRead,
    search: Annotated[str | None, Query(max_length=MAX_Q)] = None,
    status: Annotated[str | None, Query(max_length=255, description="Exact match")] = None,
    page: Page = 1,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    return await _listing(
        request, principal, search=search, status=status, tag=None, page=page, limit=limit
    )


@router.post(
    "/search",
    response_model=LynkistContactPage,
    responses=errors.responses(400, 422),
    operation_id="lynkist_contacts_search",
    summary="Structured search",
    description="As GET /contacts, with the filters in the body.",
)
async def search_contacts(
    request: Request,
    principal: ContactsRead,
    body: LynkistSearch,
    page: Page = 1,
    limit: Limit = DEFAULT_LIMIT,
) -> Response:
    return await _listing(
        request,
        principal,
        search=body.search_term,
        status=body.status,
        tag=body.tag,
        page=page,
        limit=limit,
    )


@router.post(
    "",
    status_code=201,
    response_model=LynkistContact,
    responses=errors.responses(400, 422),
    operation_id="lynkist_contacts_create",
    summary="Create a contact",
    description="Emits `contact.created`. Send `Idempotency-Key` to make a retry safe.",
)
async def create_contact(
    request: Request, principal: ContactsWrite, body: LynkistContactCreate
) -> Response:
    data = {**body.model_dump(exclude_unset=True), "source": SOURCE}
    async with uow(request, write=True) as conn:
        row = await service.create(
            conn, principal, data, default_region=settings(request).default_region
        )
    return JSONBody(render(row), status_code=201)


def _phrase(field: str, message: str) -> str:
    if message == "Field required":
        return f"{field} is required"
    if message.startswith(("must ", "is ")):
        return f"{field} {message}"
    return f"{field}: {message}" if field else message


def _shape_error(exc: ValidationError) -> str:
    return "; ".join(
        _phrase(".".join(str(p) for p in e["loc"]), str(e["msg"])) for e in exc.errors()
    )


def _roster_error(problem: dict[str, Any]) -> str:
    if problem.get("code") == "conflict":
        return f"{problem.get('field')} is already used by another contact"
    listed = problem.get("errors") or []
    if listed:
        return "; ".join(_phrase(e["field"], e["message"]) for e in listed)
    return str(problem.get("detail") or problem.get("code"))


@router.post(
    "/bulk",
    status_code=201,
    response_model=LynkistBulkResult,
    responses=errors.responses(400, 422),
    operation_id="lynkist_contacts_bulk_create",
    summary="Create up to 100 contacts",
    description="A bad row never aborts the others: it is reported with its index. Each "
    "created row emits `contact.created`.",
)
async def bulk_create(request: Request, principal: ContactsWrite, body: LynkistBulk) -> Response:
    failed: list[dict[str, Any]] = []
    valid: list[tuple[int, dict[str, Any]]] = []
    for index, raw in enumerate(body.contacts):
        try:
            item = LynkistContactCreate.model_validate(raw)
        except ValidationError as exc:
            failed.append({"index": index, "error": _shape_error(exc)})
            continue
        valid.append((index, {**item.model_dump(exclude_unset=True), "source": SOURCE}))
    created = 0
    if valid:
        region = principal.default_region or settings(request).default_region
        rows = batch.BatchBody(mode="create", contacts=[data for _, data in valid])
        async with uow(request, write=True) as conn:
            result = await batch.run(
                conn, principal.tenant_id, rows, region=region, actor=principal.credential_id
            )
        created = result["created"]
        growth: statistics.Growth = request.app.state.bulk_growth
        if growth.due(principal.tenant_id, created):
            # As after POST /v1/contacts/batch: the planner learns the tenant's new size.
            await statistics.refresh(request.app.state.engine)
        for outcome in result["results"]:
            if outcome["status"] == "failed":
                index = valid[outcome["index"]][0]
                failed.append({"index": index, "error": _roster_error(outcome["error"])})
    failed.sort(key=lambda e: e["index"])
    summary = {
        "total": len(body.contacts),
        "created": created,
        "failed": len(failed),
        "errors": failed,
    }
    return JSONBody(summary, status_code=201)


@router.get(
    "/{contact_id}",
    response_model=LynkistContact,
    responses=errors.responses(404),
    operation_id="lynkist_contacts_get",
    summary="Get a contact",
)
async def get_contact(request: Request, principal: ContactsRead, contact_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(conn, principal, contact_id)
    return JSONBody(render(row))


@router.patch(
    "/{contact_id}",
    response_model=LynkistContact,
    responses=errors.responses(400, 404, 422),
    operation_id="lynkist_contacts_update",
    summary="Update a contact",
    description="Only the fields sent change; `null` clears a nullable field. Emits "
    "`contact.updated`.",
)
async def update_contact(
    request: Request, principal: ContactsWrite, contact_id: UUID, body: LynkistContactUpdate
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.update(
            conn,
            principal,
            contact_id,
            body.model_dump(exclude_unset=True),
            default_region=settings(request).default_region,
        )
    return JSONBody(render(row))


@router.delete(
    "/{contact_id}",
    response_model=LynkistDeleted,
    responses=errors.responses(404),
    operation_id="lynkist_contacts_delete",
    summary="Archive a contact",
    description="Soft delete: hidden from listings, its history kept. Emits `contact.deleted`.",
)
async def delete_contact(request: Request, principal: ContactsWrite, contact_id: UUID) -> Response:
    async with uow(request, write=True) as conn:
        await service.get(conn, principal, contact_id)  # an archived contact is not found
        await service.archive(conn, principal, contact_id)
    return JSONBody({"message": "Contact deleted"})
