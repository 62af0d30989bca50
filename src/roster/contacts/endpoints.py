"""HTTP routes of the contact resource: resolve auth, call one service function, respond."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Header, Query, Request, Response
from starlette.status import HTTP_201_CREATED
from starlette.types import ASGIApp, Receive, Scope, Send

from roster.auth import scopes
from roster.auth.deps import (
    ContactsRead,
    ContactsWrite,
    authorization_header,
    check_scope,
    resolve_scope,
)
from roster.auth.keys import hash_key
from roster.auth.principal import api_key, key_principal
from roster.contacts import render, service
from roster.contacts.repository import key_and_contact
from roster.contacts.schemas import (
    Contact,
    ContactCreate,
    ContactWrite,
    MatchOn,
    TagPage,
    TagsBody,
)
from roster.errors import NotFound, RosterError, Unauthorized
from roster.kit import ratelimit
from roster.kit.jsonutil import JSONBody, problem_response
from roster.kit.pagination import Page, envelope, page_request
from roster.kit.web import cursors, problems, scope_uow, settings, uow

router = APIRouter(prefix="/v1", tags=["contacts"])

IfMatch = Annotated[str | None, Header(description='ETag from a GET, e.g. "3"; stale → 412')]


def _one(row: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> JSONBody:
    return JSONBody(
        render.contact(row),
        status_code=status,
        headers={"ETag": service.etag(row), **(headers or {})},
    )


def _body(body: ContactWrite) -> dict[str, Any]:
    return body.model_dump(exclude_unset=True)


@router.post(
    "/contacts",
    status_code=201,
    response_model=Contact,
    responses=problems(409, 413, 422),
    summary="Create a contact",
)
async def create_contact(
    request: Request, principal: ContactsWrite, body: ContactCreate
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.create(
            conn, principal, _body(body), default_region=settings(request).default_region
        )
    return _one(row, HTTP_201_CREATED, {"Location": f"/v1/contacts/{row['id']}"})


def _page(result: Page, render_row: Callable[[Any], Any]) -> JSONBody:
    data = [render_row(row) for row in result.rows]
    return JSONBody(envelope(data, result.has_more, result.next_cursor, result.total))


# The document shows the four identifiers as one exploded object parameter with exactly
# one property: the query string is the same, and "exactly one of them" (400 otherwise,
# from ``service.lookup``) is stated where a client's tools can read it.
_IDENTIFIER = {
    "name": "identifier",
    "in": "query",
    "required": True,
    "style": "form",
    "explode": True,
    "description": "Exactly one of phone, email, external_id or handle, each a query "
    "parameter of its own",
    "schema": {
        "type": "object",
        "properties": {
            "phone": {
                "type": "string",
                "format": "phone",
                "description": "Any format; normalised first",
            },
            "email": {"type": "string", "format": "email"},
            "external_id": {"type": "string"},
            "handle": {
                "type": "string",
                "format": "handle",
                "description": "channel:address, e.g. whatsapp:+1…",
            },
        },
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
    },
}


@router.get(
    "/contacts/lookup",
    response_model=Contact,
    responses=problems(400, 404),
    summary="Find one contact by phone, email, external_id or handle",
    openapi_extra={"parameters": [_IDENTIFIER]},
)
async def lookup_contact(
    request: Request,
    principal: ContactsRead,
    phone: Annotated[str | None, Query(include_in_schema=False)] = None,
    email: Annotated[str | None, Query(include_in_schema=False)] = None,
    external_id: Annotated[str | None, Query(include_in_schema=False)] = None,
    handle: Annotated[str | None, Query(include_in_schema=False)] = None,
) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.lookup(
            conn,
            principal,
            phone=phone,
            email=email,
            external_id=external_id,
            handle=handle,
            default_region=settings(request).default_region,
        )
    return _one(row)


@router.post(
    "/contacts/upsert",
    response_model=Contact,
    responses={201: {"model": Contact, "description": "Created"}, **problems(409, 413, 422)},
    summary="Create or update a contact matched on an identifier",
    description="200 when an existing contact was updated, 201 when one was created.",
)
async def upsert_contact(
    request: Request,
    principal: ContactsWrite,
    body: ContactCreate,
    match_on: Annotated[
        MatchOn | None,
        Query(
            description="Identifier to match on; default: the first present of phone, email, "
            "external_id"
        ),
    ] = None,
) -> Response:
    async with uow(request, write=True) as conn:
        row, created = await service.upsert(
            conn,
            principal,
            _body(body),
            match_on=match_on,
            default_region=settings(request).default_region,
        )
    if created:
        return _one(row, HTTP_201_CREATED, {"Location": f"/v1/contacts/{row['id']}"})
    return _one(row)


@router.get(
    "/contacts/{contact_id}",
    response_model=Contact,
    responses=problems(400, 404),
    summary="Get a contact (with ETag)",
)
async def get_contact(
    request: Request, principal: ContactsRead, contact_id: UUID, include_deleted: bool = False
) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(conn, principal, contact_id, include_deleted=include_deleted)
    return _one(row)


# GET /v1/contacts/{id} with a canonical id and no query: the hottest request there is.
_HOT_PATH = re.compile(
    r"/v1/contacts/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
)


class ContactReads:
    """Serves ``get_contact`` for a plain ``GET /v1/contacts/{id}`` without the router.

    Routing over every route and solving the dependency graph cost more than the read
    itself. This middleware (with ``ContactPages``, the innermost) answers that
    one request shape with the route's checks in the route's order (``read``) and renders
    failures as the exception handlers do; with an API key the key and the contact are read
    in one statement (``key_and_contact``), with a JWT as the route reads them. Every other
    request, including a query string or a non-canonical id, goes on to the router.
    ``tests/contacts/test_contact_reads.py`` holds both paths to the same answers.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.route = next(r for r in router.routes if getattr(r, "endpoint", None) is get_contact)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope["query_string"]
            and (match := _HOT_PATH.fullmatch(scope["path"]))
        ):
            await self.serve(scope, receive, send, match[1])
        else:
            await self.app(scope, receive, send)

    async def serve(self, scope: Scope, receive: Receive, send: Send, contact_id: str) -> None:
        scope["route"] = self.route  # what the router sets (metrics and logs label by it)
        scope["path_params"] = {"contact_id": contact_id}
        try:
            response: Response = _one(await self.read(scope, UUID(contact_id)))
        except RosterError as exc:
            response = problem_response(exc)
        await response(scope, receive, send)

    @staticmethod
    async def read(scope: Scope, contact_id: UUID) -> dict[str, Any]:
        """The contact, after the checks and in the order the route makes them: the
        credential (401), the rate limit (429), the scope (403), then the contact (404)."""
        token = api_key(authorization_header(scope))
        if token is None:
            # A JWT or no usable credential: its own look-ups. Two independent ones
            # (credential, contact), so no snapshot needs sharing.
            principal = check_scope(
                await resolve_scope(scope, single_reads=True), scopes.CONTACTS_READ
            )
            async with scope_uow(scope, write=False) as conn:
                return await service.get(conn, principal, contact_id)
        engine = scope["app"].state.engine
        key, row = await key_and_contact(engine, hash_key(token), contact_id)
        try:
            principal = await key_principal(engine, key)
        except Unauthorized as exc:
            raise await ratelimit.failed_authentication(scope, exc) from None
        scope.setdefault("state", {})["principal"] = principal
        check_scope(await resolve_scope(scope), scopes.CONTACTS_READ)
        if row is None:
            raise NotFound("no such contact")
        return row


async def update_contact(
    request: Request,
    principal: ContactsWrite,
    contact_id: UUID,
    body: ContactWrite,
    if_match: IfMatch = None,
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.update(
            conn,
            principal,
            contact_id,
            _body(body),
            if_match=if_match,
            default_region=settings(request).default_region,
        )
    return _one(row)


# PUT is PATCH under another method (partial, merge semantics): one route function, two
# operations, each named as before.
for _method, _name, _summary in (
    ("PATCH", "patch_contact", "Update a contact (JSON Merge Patch)"),
    ("PUT", "put_contact", "Update a contact (same as PATCH: partial, merge semantics)"),
):
    router.add_api_route(
        "/contacts/{contact_id}",
        update_contact,
        methods=[_method],
        name=_name,
        response_model=Contact,
        responses=problems(404, 409, 412, 413, 422),
        summary=_summary,
    )


@router.post(
    "/contacts/{contact_id}/restore",
    response_model=Contact,
    responses=problems(404, 409),
    summary="Restore an archived contact",
)
async def restore_contact(request: Request, principal: ContactsWrite, contact_id: UUID) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.restore(conn, principal, contact_id)
    return _one(row)


@router.post(
    "/contacts/{contact_id}/tags",
    response_model=Contact,
    responses=problems(404, 422),
    summary="Add tags to a contact",
)
async def add_tags(
    request: Request, principal: ContactsWrite, contact_id: UUID, body: TagsBody
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.add_tags(
            conn, principal, contact_id, body.tags, default_region=settings(request).default_region
        )
    return _one(row)


@router.delete(
    "/contacts/{contact_id}/tags/{tag}",
    response_model=Contact,
    responses=problems(404),
    summary="Remove one tag from a contact",
)
async def remove_tag(
    request: Request, principal: ContactsWrite, contact_id: UUID, tag: str
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.remove_tag(
            conn, principal, contact_id, tag, default_region=settings(request).default_region
        )
    return _one(row)


@router.get(
    "/tags",
    response_model=TagPage,
    responses=problems(400),
    tags=["tags"],
    summary="Tags of the tenant with live-contact counts, by name",
)
async def list_tags(
    request: Request,
    principal: ContactsRead,
    limit: Annotated[int | None, Query(description="1..100, default 50")] = None,
    cursor: str | None = None,
) -> Response:
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind="tags")
    async with uow(request, write=False) as conn:
        result = await service.tag_counts(conn, principal, paging=paging, cursors=cursors(request))
    return _page(result, dict)
