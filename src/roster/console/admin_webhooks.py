"""Admin: webhook endpoints: the list, a new endpoint (its signing secret shown once), an
endpoint's page with its deliveries (newest first, paged), retrying one delivery, rotating
the secret and sending a test event, through the API's own webhooks service."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from roster.console.admin_common import ADMIN, admin, field_errors, strings
from roster.console.sessions import Session
from roster.console.web import (
    Posted,
    Signed,
    cursor_page,
    engine,
    form_of,
    page_cursors,
    render,
    settings,
)
from roster.errors import ValidationFailed
from roster.kit.db import transaction
from roster.kit.timeutil import rfc3339, utcnow
from roster.webhooks import service as webhooks
from roster.webhooks.schemas import EVENT_TYPES, WebhookCreate

router = APIRouter()

HOOKS = ADMIN + "/webhooks"
PAGE_SIZE = 50
DELIVERIES_SIZE = 25
# What the form offers: every event, each family of events, and each event type.
FAMILIES = tuple(dict.fromkeys(t.split(".", 1)[0] + ".*" for t in EVENT_TYPES))
CHOICES = ("*", *FAMILIES, *EVENT_TYPES)


def hook_url(webhook_id: Any) -> str:
    return f"{HOOKS}/{webhook_id}"


@router.get("/admin/webhooks")
async def list_webhooks(request: Request, session: Signed) -> Response:
    admin(session)
    paging = cursor_page(request, PAGE_SIZE, "webhooks")
    async with transaction(engine(request), write=False) as conn:
        found = await webhooks.page(
            conn, session.principal, paging=paging, cursors=page_cursors(request)
        )
    return render(
        request,
        "admin/webhooks.html",
        title="Webhooks",
        hooks=[webhooks.render(row) for row in found.rows],
        next_cursor=found.next_cursor if found.has_more else None,
    )


def _form(
    request: Request,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "admin/webhook_new.html",
        status=422 if errors else 200,
        title="New webhook",
        values=values or {"url": "", "description": "", "events": ["*"]},
        choices=CHOICES,
        errors=errors or {},
    )


@router.get("/admin/webhooks/new")
async def new_webhook(request: Request, session: Signed) -> Response:
    admin(session)
    return _form(request)


@router.post("/admin/webhooks/new")
async def create_webhook(request: Request, session: Posted) -> Response:
    """Register the endpoint with the API's checks (the URL's target included); the answer
    is the one page that shows its signing secret."""
    admin(session)
    form = await form_of(request)
    url, description = form.get("url"), form.get("description")
    values = {
        "url": url.strip() if isinstance(url, str) else "",
        "description": description.strip() if isinstance(description, str) else "",
        "events": strings(form.getlist("events")),
    }
    try:
        checked = WebhookCreate.model_validate(
            {**values, "description": values["description"] or None}
        )
        async with transaction(engine(request), write=True) as conn:
            row = await webhooks.create(
                conn,
                session.principal,
                checked.model_dump(),
                allow_private=settings(request).webhooks_allow_private,
            )
    except (ValidationError, ValidationFailed) as exc:
        return _form(request, values=values, errors=field_errors(exc))
    return render(
        request,
        "admin/webhook_secret.html",
        title="Webhook created",
        hook=webhooks.render(row),
        secret=row["secret"],
        rotated=None,
    )


async def _page(
    request: Request,
    session: Session,
    webhook_id: UUID,
    *,
    test: dict[str, Any] | None = None,
) -> Response:
    """The endpoint's page: its settings, the page of deliveries the address asks for, and
    the outcome of a test just sent."""
    paging = cursor_page(request, DELIVERIES_SIZE, f"deliveries:{webhook_id}")
    async with transaction(engine(request), write=False) as conn:
        row = await webhooks.get(conn, session.principal, webhook_id)
        found = await webhooks.deliveries(
            conn, session.principal, webhook_id, paging=paging, cursors=page_cursors(request)
        )
    overlap = row["previous_secret_expires_at"]
    return render(
        request,
        "admin/webhook.html",
        title=f"Webhook {row['url']}",
        hook=webhooks.render(row),
        previous_until=rfc3339(overlap) if overlap is not None and overlap > utcnow() else None,
        deliveries=[webhooks.render_delivery(d) for d in found.rows],
        next_cursor=found.next_cursor if found.has_more else None,
        test=test,
        retried=request.query_params.get("retried") == "1",
    )


@router.get("/admin/webhooks/{webhook_id}")
async def show_webhook(request: Request, session: Signed, webhook_id: UUID) -> Response:
    admin(session)
    return await _page(request, session, webhook_id)


@router.post("/admin/webhooks/{webhook_id}/test")
async def test_webhook(request: Request, session: Posted, webhook_id: UUID) -> Response:
    """Send a signed ``webhook.test`` event now and show the endpoint's answer."""
    admin(session)
    async with transaction(engine(request), write=False) as conn:
        row = await webhooks.get(conn, session.principal, webhook_id)
    result = await webhooks.send_test(row, settings(request))
    return await _page(request, session, webhook_id, test=result)


@router.post("/admin/webhooks/{webhook_id}/rotate")
async def rotate_secret(request: Request, session: Posted, webhook_id: UUID) -> Response:
    """A new signing secret, shown once; the old one keeps signing for a while so that the
    receiver can switch."""
    admin(session)
    async with transaction(engine(request), write=True) as conn:
        rotated = await webhooks.rotate_secret(conn, session.principal, webhook_id)
        row = await webhooks.get(conn, session.principal, webhook_id)
    return render(
        request,
        "admin/webhook_secret.html",
        title="Secret rotated",
        hook=webhooks.render(row),
        secret=rotated["secret"],
        rotated=rotated,
    )


@router.post("/admin/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")
async def retry_delivery(
    request: Request, session: Posted, webhook_id: UUID, delivery_id: UUID
) -> Response:
    admin(session)
    async with transaction(engine(request), write=True) as conn:
        await webhooks.retry(conn, session.principal, webhook_id, delivery_id)
    return RedirectResponse(hook_url(webhook_id) + "?retried=1#deliveries", status_code=303)
