"""Managing webhook endpoints: registration (with the SSRF guard), secrets, deliveries."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from uuid import UUID

import orjson
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal
from roster.config import Settings
from roster.errors import NotFound, ValidationFailed
from roster.kit.ids import uuid7
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.timeutil import rfc3339, utcnow
from roster.webhooks import sender, signing, ssrf
from roster.webhooks.relay.sending import active_secrets
from roster.webhooks.repository import WebhookRepository
from roster.webhooks.schemas import EVENT_TYPES

ROTATION_OVERLAP = timedelta(hours=24)
_PATTERN = re.compile(r"^[a-z_]+\.\*$")
_FAMILIES = {t.split(".", 1)[0] for t in EVENT_TYPES}


def check_events(patterns: list[str]) -> list[str]:
    cleaned: list[str] = []
    for i, pattern in enumerate(patterns):
        pattern = pattern.strip()
        known = (
            pattern == "*"
            or pattern in EVENT_TYPES
            or (_PATTERN.match(pattern) is not None and pattern[:-2] in _FAMILIES)
        )
        if not known:
            raise ValidationFailed.one(f"events[{i}]", f"unknown event type {pattern!r}")
        if pattern not in cleaned:
            cleaned.append(pattern)
    return cleaned


async def _checked_url(url: str, allow_private: bool) -> str:
    try:
        return await ssrf.check_url(url, allow_private=allow_private)
    except ssrf.ForbiddenTarget as exc:
        raise ValidationFailed.one("url", str(exc)) from None


def render(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "url": row["url"],
        "events": row["events"],
        "description": row["description"],
        "enabled": bool(row["enabled"]),
        "disabled_reason": row["disabled_reason"],
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


def render_delivery(row: dict[str, Any]) -> dict[str, Any]:
    from roster.events.outbox import render_id

    return {
        "id": str(row["id"]),
        "event_id": render_id(row["event_id"]),
        "status": row["status"],
        "attempts": row["attempts"],
        "last_status_code": row["last_status_code"],
        "last_latency_ms": row["last_latency_ms"],
        "last_error": row["last_error"],
        "next_attempt_at": rfc3339(row["next_attempt_at"]) if row["status"] == "pending" else None,
        "created_at": rfc3339(row["created_at"]),
        "finished_at": rfc3339(row["finished_at"]),
    }


def _repo(conn: AsyncConnection, principal: Principal) -> WebhookRepository:
    return WebhookRepository(conn, principal.tenant_id)


async def get(conn: AsyncConnection, principal: Principal, endpoint_id: UUID) -> dict[str, Any]:
    row = await _repo(conn, principal).get(endpoint_id)
    if row is None:
        raise NotFound("no such webhook")
    return row


async def create(
    conn: AsyncConnection, principal: Principal, data: dict[str, Any], *, allow_private: bool
) -> dict[str, Any]:
    now = utcnow()
    row = {
        "id": uuid7(),
        "url": await _checked_url(data["url"], allow_private),
        "events": check_events(data["events"]),
        "description": data.get("description"),
        "enabled": True,
        "disabled_reason": None,
        "secret": signing.new_secret(),
        "previous_secret": None,
        "previous_secret_expires_at": None,
        "failing_since": None,
        "created_at": now,
        "updated_at": now,
    }
    await _repo(conn, principal).insert(row)
    return row


async def update(
    conn: AsyncConnection,
    principal: Principal,
    endpoint_id: UUID,
    data: dict[str, Any],
    *,
    allow_private: bool,
) -> dict[str, Any]:
    current = await get(conn, principal, endpoint_id)
    values: dict[str, Any] = {}
    if data.get("url") is not None:
        values["url"] = await _checked_url(data["url"], allow_private)
    if data.get("events") is not None:
        values["events"] = check_events(data["events"])
    if "description" in data:
        values["description"] = data["description"]
    if data.get("enabled") is not None:
        values["enabled"] = data["enabled"]
        if data["enabled"]:
            values.update(disabled_reason=None, failing_since=None)
        else:
            values["disabled_reason"] = "disabled by a user"
    if "enabled" in data and data["enabled"] is None:
        raise ValidationFailed.one("enabled", "must not be null")
    if values:
        values["updated_at"] = utcnow()
        await _repo(conn, principal).set(endpoint_id, **values)
    return {**current, **values}


async def delete(conn: AsyncConnection, principal: Principal, endpoint_id: UUID) -> None:
    if not await _repo(conn, principal).remove(endpoint_id):
        raise NotFound("no such webhook")


async def rotate_secret(
    conn: AsyncConnection, principal: Principal, endpoint_id: UUID
) -> dict[str, Any]:
    """A new secret; the old one keeps signing too for 24 hours, so receivers can switch."""
    current = await get(conn, principal, endpoint_id)
    secret = signing.new_secret()
    expires = utcnow() + ROTATION_OVERLAP
    await _repo(conn, principal).set(
        endpoint_id,
        secret=secret,
        updated_at=utcnow(),
        previous_secret=current["secret"],
        previous_secret_expires_at=expires,
    )
    return {"secret": secret, "previous_secret_expires_at": rfc3339(expires)}


async def page(
    conn: AsyncConnection, principal: Principal, *, paging: PageRequest, cursors: Cursors
) -> Page:
    after = UUID(paging.cursor[0]) if paging.cursor else None
    rows = await _repo(conn, principal).page(after, paging.limit + 1)
    return keyset_page(
        rows, paging.limit, key_of=lambda r: [str(r["id"])], cursors=cursors, kind="webhooks"
    )


async def deliveries(
    conn: AsyncConnection,
    principal: Principal,
    endpoint_id: UUID,
    *,
    paging: PageRequest,
    cursors: Cursors,
) -> Page:
    await get(conn, principal, endpoint_id)
    after = [int(paging.cursor[0]), UUID(paging.cursor[1])] if paging.cursor else None
    rows = await _repo(conn, principal).deliveries(endpoint_id, after, paging.limit + 1)
    return keyset_page(
        rows,
        paging.limit,
        key_of=lambda r: [r["event_seq"], str(r["id"])],
        cursors=cursors,
        kind=f"deliveries:{endpoint_id}",
    )


async def retry(
    conn: AsyncConnection, principal: Principal, endpoint_id: UUID, delivery_id: UUID
) -> dict[str, Any]:
    """Send a delivery again now, whatever became of it."""
    await get(conn, principal, endpoint_id)
    repo = _repo(conn, principal)
    row = await repo.delivery(endpoint_id, delivery_id)
    if row is None:
        raise NotFound("no such delivery")
    values = {
        "status": "pending",
        "next_attempt_at": utcnow(),
        "lease_until": None,
        "finished_at": None,
    }
    await repo.set_delivery(delivery_id, **values)
    return {**row, **values}


async def send_test(endpoint: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Send a signed ``webhook.test`` event to ``endpoint`` now, outside the delivery log,
    and report the answer (delivered, status code, latency, error)."""
    message_id = "evt_" + uuid7().hex
    body = orjson.dumps(
        {
            "id": message_id,
            "type": "webhook.test",
            "created_at": rfc3339(utcnow()),
            "data": {"webhook": {"id": str(endpoint["id"])}},
        }
    )
    async with sender.make_session(
        allow_private=settings.webhooks_allow_private,
        concurrency=1,
        connect_timeout=settings.webhook_connect_timeout,
        timeout=settings.webhook_timeout,
    ) as session:
        outcome = await sender.send(
            session,
            endpoint["url"],
            active_secrets(endpoint),
            message_id,
            body,
            allow_private=settings.webhooks_allow_private,
        )
    return {
        "delivered": outcome.delivered,
        "status_code": outcome.status_code,
        "latency_ms": outcome.latency_ms,
        "error": outcome.error,
    }
