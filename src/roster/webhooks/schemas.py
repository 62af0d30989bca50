"""Shapes of webhook endpoints and deliveries."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

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


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(max_length=2048, examples=["https://example.com/hooks/roster"])
    events: list[str] = Field(
        min_length=1,
        max_length=50,
        examples=[["contact.*"]],
        description="Event types, `prefix.*` patterns, or `*`",
    )
    description: str | None = Field(default=None, max_length=1024)


class WebhookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(default=None, max_length=2048)
    events: list[str] | None = Field(default=None, min_length=1, max_length=50)
    enabled: bool | None = None
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
