"""/v1/webhooks: endpoints, secrets, test pings and deliveries (admin)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from roster.auth.deps import Admin
from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import envelope, page_request
from roster.kit.web import cursors, problems, settings, uow
from roster.webhooks import service
from roster.webhooks.schemas import (
    DeliveryPage,
    Secret,
    TestResult,
    Webhook,
    WebhookCreate,
    WebhookPage,
    WebhookUpdate,
    WebhookWithSecret,
)

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])
Limit = Annotated[int | None, Query(description="1..100, default 50")]


@router.post(
    "",
    status_code=201,
    response_model=WebhookWithSecret,
    responses=problems(413, 422),
    summary="Register a webhook endpoint",
    description="The `secret` is shown only in this response. URLs that resolve to "
    "loopback, private, link-local or metadata addresses are refused.",
)
async def create_webhook(request: Request, principal: Admin, body: WebhookCreate) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.create(
            conn,
            principal,
            body.model_dump(),
            allow_private=settings(request).webhooks_allow_private,
        )
    return JSONBody(
        {**service.render(row), "secret": row["secret"]},
        status_code=201,
        headers={"Location": f"/v1/webhooks/{row['id']}"},
    )


@router.get("", response_model=WebhookPage, responses=problems(400), summary="List webhooks")
async def list_webhooks(
    request: Request, principal: Admin, limit: Limit = None, cursor: str | None = None
) -> Response:
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind="webhooks")
    async with uow(request, write=False) as conn:
        page = await service.page(conn, principal, paging=paging, cursors=cursors(request))
    return JSONBody(
        envelope([service.render(r) for r in page.rows], page.has_more, page.next_cursor)
    )


@router.get(
    "/{webhook_id}", response_model=Webhook, responses=problems(404), summary="Get a webhook"
)
async def get_webhook(request: Request, principal: Admin, webhook_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(conn, principal, webhook_id)
    return JSONBody(service.render(row))


@router.patch(
    "/{webhook_id}",
    response_model=Webhook,
    responses=problems(404, 413, 422),
    summary="Change a webhook (url, events, enabled, description)",
    description="Setting `enabled: true` re-enables an endpoint that was disabled "
    "after failures or a 410. Setting `enabled: false` ends its pending deliveries: the "
    'relay marks them `failed` with `last_error` "endpoint disabled" instead of sending '
    "them (a send already under way finishes); events after re-enabling are delivered.",
)
async def update_webhook(
    request: Request, principal: Admin, webhook_id: UUID, body: WebhookUpdate
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.update(
            conn,
            principal,
            webhook_id,
            body.model_dump(exclude_unset=True),
            allow_private=settings(request).webhooks_allow_private,
        )
    return JSONBody(service.render(row))


@router.delete(
    "/{webhook_id}",
    status_code=204,
    responses=problems(404),
    summary="Delete a webhook and its delivery log",
)
async def delete_webhook(request: Request, principal: Admin, webhook_id: UUID) -> Response:
    async with uow(request, write=True) as conn:
        await service.delete(conn, principal, webhook_id)
    return Response(status_code=204)


@router.post(
    "/{webhook_id}/rotate-secret",
    response_model=Secret,
    responses=problems(404),
    summary="Replace the signing secret",
    description="Returns the new secret, shown once. For 24 hours deliveries carry "
    "signatures by both the old and the new secret.",
)
async def rotate_secret(request: Request, principal: Admin, webhook_id: UUID) -> Response:
    async with uow(request, write=True) as conn:
        result = await service.rotate_secret(conn, principal, webhook_id)
    return JSONBody(result)


@router.post(
    "/{webhook_id}/test",
    response_model=TestResult,
    responses=problems(404),
    summary="Send a signed `webhook.test` event now and report the answer",
)
async def test_webhook(request: Request, principal: Admin, webhook_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        row = await service.get(conn, principal, webhook_id)
    return JSONBody(await service.send_test(row, settings(request)))


@router.get(
    "/{webhook_id}/deliveries",
    response_model=DeliveryPage,
    responses=problems(400, 404),
    summary="Delivery log, newest first",
)
async def list_deliveries(
    request: Request,
    principal: Admin,
    webhook_id: UUID,
    limit: Limit = None,
    cursor: str | None = None,
) -> Response:
    kind = f"deliveries:{webhook_id}"
    paging = page_request(limit, cursor, None, None, cursors=cursors(request), kind=kind)
    async with uow(request, write=False) as conn:
        page = await service.deliveries(
            conn, principal, webhook_id, paging=paging, cursors=cursors(request)
        )
    return JSONBody(
        envelope([service.render_delivery(r) for r in page.rows], page.has_more, page.next_cursor)
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    responses=problems(404),
    summary="Send a delivery again now",
)
async def retry_delivery(
    request: Request, principal: Admin, webhook_id: UUID, delivery_id: UUID
) -> Response:
    async with uow(request, write=True) as conn:
        row = await service.retry(conn, principal, webhook_id, delivery_id)
    return JSONBody(service.render_delivery(row), status_code=202)
