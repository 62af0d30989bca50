"""What every dialect does with Roster's contacts, written once.

Each call is the native one (contacts' service, the filter parser and listing, GDPR
erasure) in its own unit of work, with the request's settings; a dialect only translates
its names and envelopes around them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from fastapi import Request

from roster.auth.principal import Principal
from roster.contacts import service
from roster.errors import NotFound
from roster.filters import listing, query
from roster.gdpr import erasure, traces
from roster.kit.pagination import Page, page_request
from roster.kit.web import cursors, settings, uow

# Every dialect lists newest first, as each of their documents does.
SORT = "-created_at"


async def listed(
    request: Request,
    principal: Principal,
    params: Mapping[str, list[str]],
    *,
    limit: int,
    cursor: str | None = None,
    offset: int | None = None,
    page: int | None = None,
    include_total: bool = True,
) -> Page:
    """One page of the live contacts matching ``params`` (Roster's query-string filters);
    a 400 names a bad filter as the native list does."""
    flt = query.parse(params)
    kind = listing.listing_kind(SORT, flt)
    paging = page_request(limit, cursor, offset, page, cursors=cursors(request), kind=kind)
    async with uow(request, write=False) as conn:
        return await listing.list_page(
            conn,
            principal,
            flt,
            sort=SORT,
            paging=paging,
            cursors=cursors(request),
            include_total=include_total,
            default_region=settings(request).default_region,
        )


async def create(request: Request, principal: Principal, values: dict[str, Any]) -> dict[str, Any]:
    """A new contact from Roster's fields (validated, normalised, deduplicated natively)."""
    async with uow(request, write=True) as conn:
        return await service.create(
            conn, principal, values, default_region=settings(request).default_region
        )


async def update(
    request: Request, principal: Principal, contact_id: UUID, changes: dict[str, Any]
) -> dict[str, Any]:
    """The contact with ``changes`` (Roster's fields) applied; only what is sent changes."""
    async with uow(request, write=True) as conn:
        return await service.update(
            conn, principal, contact_id, changes, default_region=settings(request).default_region
        )


async def erase(request: Request, principal: Principal, contact_id: UUID) -> None:
    """Roster's erasure, for a dialect's delete: the contact's data goes, its opt-outs are
    remembered; an erased contact is not found again."""
    async with uow(request, write=True) as conn:
        row = await service.get(conn, principal, contact_id, include_deleted=True)
        if row.get("erased_at") is not None:
            raise NotFound("no such contact")
        await erasure.erase(conn, principal, contact_id)
    await traces.checkpoint(request.app.state.engine)
