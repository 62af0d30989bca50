"""The channel Contacts API, ``/v1/contact`` and below, over Roster's contact services.

Each route resolves Roster's credential and scope, counts the request against the channel
limit (``ROSTER_DIALECT_CHANNEL_RATE_LIMIT``, the document's 200 a minute per credential),
calls the service Roster's own route calls, in Roster's unit of work, and answers
``{"data": …}``. Failures are Roster's errors, written in channel's body by ``errors.error``.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from roster.auth.deps import ContactsRead, ContactsWrite, resolve
from roster.compat import contacts
from roster.compat.channel import errors
from roster.compat.channel.schemas import (
    PER_PAGE,
    STANDARD,
    ChannelContactAnswer,
    ChannelContactPage,
    ChannelFields,
    ChannelTags,
    contact,
    to_roster,
)
from roster.contacts import service
from roster.errors import BadParameter, NotFound
from roster.filters import listing, query
from roster.filters import service as expressions
from roster.filters.schema import Expression
from roster.kit import ratelimit
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import MAX_PAGE, Page, page_request
from roster.kit.web import cursors, settings, uow

POLICY = "channel"
SOURCE = "api:channel"
SORT = "created_at"  # oldest first: a page stays put as contacts are added


async def channel_limit(request: Request) -> None:
    """Count the request against the channel limit of its credential (past it: 429). The
    RateLimit headers show whichever of this and the credential's own limit is nearer."""
    principal = await resolve(request)
    limiter: ratelimit.Limiter | None = getattr(request.app.state, "limiter", None)
    if limiter is None:
        return
    state: dict[str, Any] = request.scope.setdefault("state", {})
    rate = settings(request).dialect_channel_rate_limit
    try:
        limits = await ratelimit.check_policy(limiter, POLICY, str(principal.credential_id), rate)
    except ratelimit.RateLimited as exc:
        state["ratelimit"] = exc.state
        raise
    current: ratelimit.RateState | None = state.get("ratelimit")
    if current is None or limits.remaining < current.remaining:
        state["ratelimit"] = limits


router = APIRouter(prefix="/v1/contact", dependencies=[Depends(channel_limit)])
# A UUID (32-36 characters), or its text Base64-encoded (48). The bound keeps the literal
# sibling paths (by_custom_field) from being taken for an id: another method there is a 405.
ContactId = Annotated[
    str,
    Path(
        pattern=r"^(?:[0-9A-Fa-f-]{32,36}|[A-Za-z0-9+/_-]{48}={0,2})$",
        description="A UUID, or its Base64 encoding (Viber channels)",
    ),
]


def contact_id_of(raw: str) -> UUID:
    """The contact id, given as Roster's UUID or, as the document asks of Viber channels,
    Base64-encoded; anything else names no contact."""
    try:
        return UUID(raw)
    except ValueError:
        pass
    try:
        padded = raw + "=" * (-len(raw) % 4)
        return UUID(base64.b64decode(padded, altchars=b"-_", validate=True).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise NotFound("no such contact") from None


def _one(row: dict[str, Any]) -> JSONBody:
    return JSONBody({"data": contact(row)})


@router.get(
    "/by_custom_field",
    response_model=ChannelContactPage,
    responses=errors.responses(),
    operation_id="channel_contacts_by_custom_field",
    summary="Get Contact by Custom Field",
    description="Contacts whose field `name` equals `value`, 10 a page, oldest first. A "
    "boolean custom field takes `true` or `false`; a phone's `+` is sent as `%2B`.",
)
async def by_custom_field(
    request: Request,
    principal: ContactsRead,
    name: Annotated[str, Query(min_length=1, max_length=64, description="e.g. firstName")],
    value: Annotated[str, Query(max_length=1024, description="e.g. Muhammad Mahin")],
    page: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 1,
) -> Response:
    region = settings(request).default_region
    if name == "phone" and value.startswith(" "):
        value = "+" + value[1:]  # an unencoded "+" arrives as a space
    async with uow(request, write=False) as conn:
        result: Page
        if name in STANDARD:
            expr = Expression.model_validate({"field": STANDARD[name], "op": "eq", "value": value})
            paging = page_request(
                PER_PAGE, None, None, page, cursors=cursors(request), kind=f"search:{SORT}"
            )
            result = await expressions.search(
                conn,
                principal,
                expr=expr,
                q=None,
                sort=SORT,
                paging=paging,
                cursors=cursors(request),
                default_region=region,
                include_total=True,
            )
        else:
            if not value.strip():
                raise BadParameter("value", "must not be empty")
            flt = query.parse({f"custom_fields.{name}": [value]})
            kind = listing.listing_kind(SORT, flt)
            paging = page_request(PER_PAGE, None, None, page, cursors=cursors(request), kind=kind)
            result = await listing.list_page(
                conn,
                principal,
                flt,
                sort=SORT,
                paging=paging,
                cursors=cursors(request),
                include_total=True,
                default_region=region,
            )
    total = result.total or 0
    last = max(1, math.ceil(total / PER_PAGE))
    path = str(request.url.replace(query=""))

    def link(number: int) -> str:
        return f"{path}?{urlencode({'name': name, 'value': value, 'page': number})}"

    first = (page - 1) * PER_PAGE + 1
    shown = len(result.rows)
    body = {
        "data": [contact(row) for row in result.rows],
        "links": {
            "first": link(1),
            "last": link(last),
            "prev": link(page - 1) if 1 < page <= last + 1 else None,
            "next": link(page + 1) if page < last else None,
        },
        "meta": {
            "current_page": page,
            "from": first if shown else None,
            "last_page": last,
            "path": path,
            "per_page": PER_PAGE,
            "to": first + shown - 1 if shown else None,
            "total": total,
        },
    }
    return JSONBody(body)


@router.post(
    "",
    response_model=ChannelContactAnswer,
    responses=errors.responses(),
    operation_id="channel_contacts_create",
    summary="Create Contact",
    description="Creates a contact with the fields sent (at most 30); it needs a phone or "
    "an email. Emits `contact.created`.",
)
async def create_contact(
    request: Request, principal: ContactsWrite, body: ChannelFields
) -> Response:
    data = {**to_roster(body), "source": SOURCE}
    return _one(await contacts.create(request, principal, data))


@router.get(
    "/{contact_id}",
    response_model=ChannelContactAnswer,
    responses=errors.responses(),
    operation_id="channel_contacts_get",
    summary="Get Contact by ID",
)
async def get_contact(request: Request, principal: ContactsRead, contact_id: ContactId) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(conn, principal, contact_id_of(contact_id))
    return _one(row)


@router.put(
    "/{contact_id}",
    response_model=ChannelContactAnswer,
    responses=errors.responses(),
    operation_id="channel_contacts_update",
    summary="Update Contact by ID",
    description="Changes the fields sent (at most 30); null clears one. Emits `contact.updated`.",
)
async def update_contact(
    request: Request, principal: ContactsWrite, contact_id: ContactId, body: ChannelFields
) -> Response:
    return _one(
        await contacts.update(request, principal, contact_id_of(contact_id), to_roster(body))
    )


@router.post(
    "/{contact_id}/tags",
    response_model=ChannelContactAnswer,
    responses=errors.responses(),
    operation_id="channel_contacts_tags_add",
    summary="Add Tag by ID",
    description="Adds up to 10 tags; a tag the contact has is ignored.",
)
async def add_tags(
    request: Request, principal: ContactsWrite, contact_id: ContactId, body: ChannelTags
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.add_tags(
            conn,
            principal,
            contact_id_of(contact_id),
            body.tags,
            default_region=settings(request).default_region,
        )
    return _one(row)


@router.delete(
    "/{contact_id}/tags",
    response_model=ChannelContactAnswer,
    responses=errors.responses(),
    operation_id="channel_contacts_tags_remove",
    summary="Remove Tag by ID",
    description="Removes up to 10 tags; a tag the contact lacks is not an error.",
)
async def remove_tags(
    request: Request, principal: ContactsWrite, contact_id: ContactId, body: ChannelTags
) -> Response:
    found = contact_id_of(contact_id)
    async with uow(request, write=True) as conn:
        row = await service.get(conn, principal, found)
        for tag in dict.fromkeys(body.tags):
            row = await service.remove_tag(
                conn, principal, found, tag, default_region=settings(request).default_region
            )
    return _one(row)
