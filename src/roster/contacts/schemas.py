"""Request and response shapes of the contact resource, as the OpenAPI document shows them.

Write bodies forbid unknown fields (no mass assignment). Field rules that need context (the
region for a phone number, the tenant's field definitions) are applied by the service, which
reports every bad field at once.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Preference = Literal["opted_in", "opted_out", "unknown"]
PreferenceChannel = Literal["sms", "whatsapp", "email", "rcs", "viber", "voice"]
HandleChannel = Literal["whatsapp", "viber", "rcs", "telegram", "messenger", "instagram"]
MatchOn = Literal["phone", "email", "external_id"]

READ_ONLY_FIELDS = frozenset(
    {"id", "tenant_id", "created_at", "updated_at", "version", "deleted_at", "name_set"}
)


class ContactWrite(BaseModel):
    """Fields a client may write. On PATCH/PUT every field is optional and ``null`` clears."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(default=None, max_length=1024)
    last_name: str | None = Field(default=None, max_length=1024)
    name: str | None = Field(
        default=None,
        max_length=1024,
        description="Display name; when not given it reads as first_name + ' ' + last_name",
    )
    phone: str | None = Field(
        default=None, max_length=1024, description="Any common format; stored as E.164"
    )
    email: str | None = Field(default=None, max_length=1024)
    external_id: str | None = Field(default=None, max_length=1024)
    company: str | None = Field(default=None, max_length=1024)
    job_title: str | None = Field(default=None, max_length=1024)
    status: str | None = Field(default=None, max_length=1024)
    country: str | None = Field(default=None, max_length=64, description="ISO 3166-1 alpha-2")
    language: str | None = Field(default=None, max_length=64, description="BCP 47 tag")
    avatar_url: str | None = Field(default=None, max_length=4096)
    source: str | None = Field(default=None, max_length=1024)
    tags: list[str] | None = Field(default=None, max_length=10_000)
    custom_fields: dict[str, Any] | None = None
    handles: dict[HandleChannel, str | None] | None = None
    preferences: dict[PreferenceChannel, Preference] | None = None
    suppressed: bool | None = None
    suppressed_reason: str | None = Field(default=None, max_length=1024)


class TagsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: list[str] = Field(min_length=1, max_length=100)


class Handles(BaseModel):
    whatsapp: str | None
    viber: str | None
    rcs: str | None
    telegram: str | None
    messenger: str | None
    instagram: str | None


class Preferences(BaseModel):
    sms: Preference
    whatsapp: Preference
    email: Preference
    rcs: Preference
    viber: Preference
    voice: Preference


class Contact(BaseModel):
    id: str = Field(examples=["01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55"])
    first_name: str | None
    last_name: str | None
    name: str | None
    phone: str | None = Field(examples=["+14155551234"])
    email: str | None
    external_id: str | None
    company: str | None
    job_title: str | None
    status: str | None
    country: str | None
    language: str | None
    avatar_url: str | None
    source: str
    tags: list[str]
    custom_fields: dict[str, Any]
    handles: Handles
    preferences: Preferences
    suppressed: bool
    suppressed_reason: str | None
    created_at: str = Field(examples=["2026-11-22T08:00:00.123Z"])
    updated_at: str
    deleted_at: str | None = Field(description="Set while the contact is archived")
    version: int


class ContactPage(BaseModel):
    data: list[Contact]
    has_more: bool
    next_cursor: str | None
    total: int | None = Field(default=None, description="Only with include_total=true")


class TagCount(BaseModel):
    tag: str
    count: int


class TagPage(BaseModel):
    data: list[TagCount]
    has_more: bool
    next_cursor: str | None
