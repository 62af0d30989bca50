"""HTTP routes of ``/v1/api-keys`` (admin scope)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from starlette.status import HTTP_201_CREATED, HTTP_204_NO_CONTENT

from roster.apikeys import service
from roster.apikeys.schemas import ApiKey, ApiKeyCreate, ApiKeyCreated, ApiKeyPage
from roster.auth.deps import Admin
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import envelope, page_request
from roster.kit.web import cursors, problems, uow

router = APIRouter(prefix="/v1", tags=["api-keys"])


@router.post(
    "/api-keys",
    status_code=201,
    response_model=ApiKeyCreated,
    responses=problems(413, 422),
    summary="Create an API key (the secret is shown only in this response)",
)
async def create_api_key(request: Request, principal: Admin, body: ApiKeyCreate) -> Response:
    async with uow(request, write=True) as conn:
        created = await service.create(
            conn,
            principal,
            name=body.name,
            scopes=list(body.scopes),
            expires_at=body.expires_at,
            rate_limit=body.rate_limit,
        )
    return JSONBody(
        created, status_code=HTTP_201_CREATED, headers={"Location": f"/v1/api-keys/{created['id']}"}
    )


@router.get(
    "/api-keys",
    response_model=ApiKeyPage,
    responses=problems(400),
    summary="List API keys (revoked ones included, flagged)",
)
async def list_api_keys(
    request: Request,
    principal: Admin,
    limit: Annotated[int | None, Query(description="1..100, default 50")] = None,
    cursor: str | None = None,
    offset: Annotated[int | None, Query(description="Instead of cursor (compatibility)")] = None,
    page: Annotated[int | None, Query(description="1-based; instead of cursor")] = None,
) -> Response:
    paging = page_request(limit, cursor, offset, page, cursors=cursors(request), kind="api-keys")
    async with uow(request, write=False) as conn:
        result = await service.list_page(conn, principal, paging=paging, cursors=cursors(request))
    data = [service.render(row) for row in result.rows]
    return JSONBody(envelope(data, result.has_more, result.next_cursor))


@router.get(
    "/api-keys/{key_id}",
    response_model=ApiKey,
    responses=problems(404),
    summary="One API key",
)
async def get_api_key(request: Request, principal: Admin, key_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        return JSONBody(await service.get(conn, principal, key_id))


@router.delete(
    "/api-keys/{key_id}",
    status_code=204,
    responses=problems(404),
    summary="Revoke an API key, effective at once on every server process",
)
async def revoke_api_key(request: Request, principal: Admin, key_id: UUID) -> Response:
    async with uow(request, write=True) as conn:
        await service.revoke(conn, principal, key_id)
    return Response(status_code=HTTP_204_NO_CONTENT)
