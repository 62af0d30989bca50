"""Request and response shapes of the activity timeline."""

from __future__ import annotations

import re
from typing import Any

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator

from roster.kit.timeutil import Instant

MAX_DATA_BYTES = 16 * 1024
MAX_BATCH = 1000
TYPES = (
    "message.sent",
    "message.delivered",
    "message.read",
    "message.received",
    "message.failed",
    "call.completed",
    "agent.interaction",
)
CUSTOM_TYPE = re.compile(r"custom\.[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}")
CHANNEL = re.compile(r"[a-z0-9][a-z0-9_.-]{0,31}")


class ActivityWrite(BaseModel):
    """One activity. ``type`` is one of the listed types or ``custom.<name>``; the
    contact's own events (``contact.*``) are written by Roster only."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        max_length=80,
        description=f"One of {', '.join(TYPES)}, or custom.<name>",
        examples=["message.sent"],
        json_schema_extra={
            "pattern": f"^(?:{'|'.join(re.escape(t) for t in TYPES)}|{CUSTOM_TYPE.pattern})$"
        },
    )
    channel: str | None = Field(
        default=None,
        max_length=32,
        description="sms, whatsapp, email, voice, …",
        json_schema_extra={"pattern": f"^{CHANNEL.pattern}$"},
    )
    occurred_at: Instant | None = Field(
        default=None, description="RFC 3339 with a time zone; default: now"
    )
    summary: str | None = Field(default=None, max_length=1000)
    data: dict[str, Any] = Field(default_factory=dict, description="At most 16 KiB as JSON")
    external_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=255,
        description="Your id for this activity; the same id again returns the first (200)",
    )

    @field_validator("type")
    @classmethod
    def _type(cls, value: str) -> str:
        if value not in TYPES and not CUSTOM_TYPE.fullmatch(value):
            raise ValueError(f"must be one of {', '.join(TYPES)} or custom.<name>")
        return value

    @field_validator("channel")
    @classmethod
    def _channel(cls, value: str | None) -> str | None:
        if value is not None and not CHANNEL.fullmatch(value):
            raise ValueError("must be 1-32 lower-case letters, digits, '_', '.' or '-'")
        return value

    @field_validator("data")
    @classmethod
    def _data(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            size = len(orjson.dumps(value))
        except orjson.JSONEncodeError as error:
            raise ValueError(f"must be JSON: {error}") from None
        if size > MAX_DATA_BYTES:
            raise ValueError(f"must be at most {MAX_DATA_BYTES} bytes as JSON")
        return value


class BatchActivity(ActivityWrite):
    """An activity naming its contact by exactly one of contact_id, phone, email."""

    contact_id: str | None = None
    phone: str | None = Field(default=None, max_length=64)
    email: str | None = Field(default=None, max_length=320)


class ActivityBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    activities: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BATCH,
        description="Each item: the activity fields and one of contact_id, phone, email",
    )


class Activity(BaseModel):
    id: str
    contact_id: str
    type: str
    channel: str | None
    occurred_at: str
    summary: str | None
    data: dict[str, Any]
    external_id: str | None
    created_at: str


class ActivityPage(BaseModel):
    data: list[Activity]
    has_more: bool
    next_cursor: str | None


class BatchResult(BaseModel):
    index: int
    status: str = Field(description="created | duplicate | failed")
    id: str | None = None
    error: dict[str, Any] | None = None


class BatchResponse(BaseModel):
    total: int
    created: int
    duplicates: int
    failed: int
    results: list[BatchResult]
