"""Shapes of webhook endpoints and deliveries."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from roster.kit.openapi import SPACE, formatted, omittable

EVENT_TYPES = (
    "contact.created",
    "contact.updated",
    "contact.deleted",
    "contact.restored",
    "contact.erased",
    "contact.merged",
    "contact.consent_changed",
    "contact.note_added",
    "contact.communication_added",
    "list.member_added",
    "list.member_removed",
    "import.completed",
    "import.failed",
    "webhook.disabled",
)

# What ``service.check_events`` accepts, trimmed: "*", an event type, or "<family>.*".
_FAMILIES = sorted({t.split(".", 1)[0] for t in EVENT_TYPES})
EVENT_PATTERN = (
    f"^{SPACE}*(?:\\*|{'|'.join(re.escape(t) for t in EVENT_TYPES)}"
    f"|(?:{'|'.join(_FAMILIES)})\\.\\*){SPACE}*$"
)
_EVENT = {"json_schema_extra": {"pattern": EVENT_PATTERN}}
_URL = formatted("http-url")


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(
        max_length=2048, examples=["https://example.com/hooks/roster"], json_schema_extra=_URL
    )
    events: list[Annotated[str, Field(**_EVENT)]] = Field(
        min_length=1,
        max_length=50,
        examples=[["contact.*"]],
        description="Event types, `prefix.*` patterns, or `*`",
    )
    description: str | None = Field(default=None, max_length=1024)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(default=None, max_length=2048, json_schema_extra=_URL)
    events: list[Annotated[str, Field(**_EVENT)]] | None = Field(
        default=None, min_length=1, max_length=50
    )
    enabled: StrictBool | None = omittable()
    description: str | None = Field(default=None, max_length=1024)


class Webhook(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    enabled: bool
    disabled_reason: str | None
    created_at: str
    updated_at: str


class WebhookWithSecret(Webhook):
    secret: str = Field(description="`whsec_…`; shown only when created or rotated")


class WebhookPage(BaseModel):
    data: list[Webhook]
    has_more: bool
    next_cursor: str | None


class Secret(BaseModel):
    secret: str
    previous_secret_expires_at: str | None


class TestResult(BaseModel):
    delivered: bool
    status_code: int | None
    latency_ms: int | None
    error: str | None


class Delivery(BaseModel):
    id: str
    event_id: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    next_attempt_at: str | None
    created_at: str
    finished_at: str | None


class DeliveryPage(BaseModel):
    data: list[Delivery]
    has_more: bool
    next_cursor: str | None
