"""Request and response bodies of ``/v1/api-keys``."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator

from roster.config import parse_rate
from roster.kit.openapi import SPACE, SPACE_CHARS
from roster.kit.timeutil import Instant

Scope = Literal["contacts:read", "contacts:write", "admin"]


# What the validators below accept: a name that is not blank and has no C0 control
# character; a rate of at least one request per second, minute, hour or day.
_C0 = "\\x00-\\x1f\\x7f"
_NAME = f"^[^{_C0}]*[^{_C0}{SPACE_CHARS}][^{_C0}]*$"
_RATE = f"^{SPACE}*0*[1-9][0-9]*{SPACE}*/{SPACE}*(?:second|minute|hour|day){SPACE}*$"


class ApiKeyCreate(BaseModel):
    """A new key. ``admin`` implies both contacts scopes."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[
        str,
        Field(
            min_length=1,
            max_length=255,
            description="What the key is for",
            json_schema_extra={"pattern": _NAME},
        ),
    ]
    scopes: Annotated[list[Scope], Field(min_length=1, max_length=3)]
    expires_at: Instant | None = Field(
        default=None, description="RFC 3339 with an offset; must be in the future"
    )
    rate_limit: str | None = Field(
        default=None,
        max_length=32,
        description="Overrides the instance default for this key, e.g. `120/minute`",
        json_schema_extra={"pattern": _RATE},
    )

    @field_validator("name")
    @classmethod
    def _printable(cls, value: str) -> str:
        if any(ord(c) < 32 or ord(c) == 127 for c in value):
            raise ValueError("must not contain control characters")
        if not value.strip():
            raise ValueError("must not be blank")
        return value.strip()

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str | None) -> str | None:
        if value is not None:
            count, _ = parse_rate(value)
            if count < 1:
                raise ValueError("must allow at least one request")
        return value


class ApiKey(BaseModel):
    """A key as listed: never the secret itself, only its prefix and last four characters."""

    id: UUID
    tenant_id: UUID = Field(description="The tenant the key belongs to (yours)")
    name: str
    prefix: str
    last_four: str
    scopes: list[str]
    rate_limit: str | None
    created_at: str
    last_used_at: str | None = Field(description="Updated at most once a minute")
    expires_at: str | None
    revoked: bool
    revoked_at: str | None


class ApiKeyCreated(ApiKey):
    key: str = Field(description="The secret: shown only in this response")


class ApiKeyPage(BaseModel):
    data: list[ApiKey]
    has_more: bool
    next_cursor: str | None
