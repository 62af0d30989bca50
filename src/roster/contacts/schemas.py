"""Request and response shapes of the contact resource, as the OpenAPI document shows them.

Write bodies forbid unknown fields (no mass assignment). Field rules that need context (the
region for a phone number, the tenant's field definitions) are applied by the service, which
reports every bad field at once.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, WithJsonSchema
from pydantic.config import JsonDict

from roster.contacts.normalize import (
    CUSTOM_FIELD_KEY,
    MAX_CUSTOM_FIELDS,
    MAX_HANDLE,
    MAX_TAG,
    MAX_TAGS,
)
from roster.kit.openapi import CONTROL, SPACE, SPACE_CHARS, formatted, omittable, trimmed

Preference = Literal["opted_in", "opted_out", "unknown"]
PreferenceChannel = Literal["sms", "whatsapp", "email", "rcs", "viber", "voice"]
HandleChannel = Literal["whatsapp", "viber", "rcs", "telegram", "messenger", "instagram"]
MatchOn = Literal["phone", "email", "external_id"]

READ_ONLY_FIELDS = frozenset(
    {"id", "tenant_id", "created_at", "updated_at", "version", "deleted_at", "name_set"}
)


# How the document shows what ``contacts.fields.apply`` checks. Text is trimmed first;
# ``format`` names a rule about meaning that a pattern cannot state (docs/errors.md).
TEXT = trimmed(255, blank=True)
TAG = trimmed(MAX_TAG)
_PHONE: JsonDict = {"type": "string", "format": "phone"}
_EMAIL: JsonDict = {"type": "string", "format": "email"}
_USERNAME = (
    f"^{SPACE}*(?:@[^{SPACE_CHARS}{CONTROL}]{{1,{MAX_HANDLE}}}"
    f"|[^{SPACE_CHARS}{CONTROL}@][^{SPACE_CHARS}{CONTROL}]{{0,{MAX_HANDLE - 1}}}){SPACE}*$"
)
_HANDLE_RULES: dict[str, dict[str, Any]] = {
    "whatsapp": _PHONE,
    "viber": _PHONE,
    "rcs": _PHONE,
    "telegram": {"type": "string", "pattern": _USERNAME},
    "instagram": {"type": "string", "pattern": _USERNAME},
    "messenger": {"type": "string", "pattern": trimmed(MAX_HANDLE)},
}
HANDLES_SCHEMA = {
    "type": "object",
    "description": "Per channel: a phone number (whatsapp, viber, rcs), a username with or "
    "without @ (telegram, instagram) or an id (messenger); null removes it",
    "properties": {
        channel: {"anyOf": [rule, {"type": "null"}]} for channel, rule in _HANDLE_RULES.items()
    },
    "additionalProperties": False,
}
CUSTOM_FIELDS_SCHEMA = {
    "type": "object",
    "description": "Merged key by key; null removes a key. At most 100 keys and 16 KiB of "
    "JSON after the merge; a key with a field definition takes values of its type",
    "maxProperties": MAX_CUSTOM_FIELDS,
    "propertyNames": {"pattern": CUSTOM_FIELD_KEY.pattern},
}


class ContactWrite(BaseModel):
    """Fields a client may write. On PATCH/PUT every field is optional and ``null`` clears
    (fields that always have a value refuse null)."""

    model_config = ConfigDict(extra="forbid")

    first_name: str | None = Field(
        default=None, max_length=1024, json_schema_extra={"pattern": TEXT}
    )
    last_name: str | None = Field(
        default=None, max_length=1024, json_schema_extra={"pattern": TEXT}
    )
    name: str | None = Field(
        default=None,
        max_length=1024,
        json_schema_extra={"pattern": TEXT},
        description="Display name; when not given it reads as first_name + ' ' + last_name",
    )
    phone: str | None = Field(
        default=None,
        max_length=1024,
        description="Any common format; stored as E.164",
        json_schema_extra=formatted("phone"),
    )
    email: str | None = Field(default=None, max_length=1024, json_schema_extra=formatted("email"))
    external_id: str | None = Field(
        default=None, max_length=1024, json_schema_extra={"pattern": TEXT}
    )
    company: str | None = Field(default=None, max_length=1024, json_schema_extra={"pattern": TEXT})
    job_title: str | None = Field(
        default=None, max_length=1024, json_schema_extra={"pattern": TEXT}
    )
    status: str | None = Field(default=None, max_length=1024, json_schema_extra={"pattern": TEXT})
    country: str | None = Field(
        default=None,
        max_length=64,
        description="ISO 3166-1 alpha-2",
        json_schema_extra=formatted("iso3166-alpha2"),
    )
    language: str | None = Field(
        default=None,
        max_length=64,
        description="BCP 47 tag",
        json_schema_extra=formatted("bcp47"),
    )
    avatar_url: str | None = Field(
        default=None, max_length=4096, json_schema_extra=formatted("http-url")
    )
    source: str | None = omittable(max_length=1024, schema={"pattern": TEXT})
    tags: list[Annotated[str, Field(json_schema_extra={"pattern": TAG})]] | None = omittable(
        max_length=MAX_TAGS
    )
    custom_fields: Annotated[dict[str, Any], WithJsonSchema(CUSTOM_FIELDS_SCHEMA)] | None = (
        omittable()
    )
    handles: Annotated[dict[HandleChannel, str | None], WithJsonSchema(HANDLES_SCHEMA)] | None = (
        omittable()
    )
    preferences: dict[PreferenceChannel, Preference] | None = omittable()
    suppressed: StrictBool | None = omittable()
    suppressed_reason: str | None = Field(
        default=None, max_length=1024, json_schema_extra={"pattern": TEXT}
    )


class ContactCreate(ContactWrite):
    """A new contact (or an upsert): it needs at least one of phone, email and
    external_id, which ``fields.apply`` checks after normalising them."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["phone"], "properties": {"phone": _PHONE}},
                {"required": ["email"], "properties": {"email": _EMAIL}},
                {
                    "required": ["external_id"],
                    "properties": {"external_id": {"type": "string", "pattern": trimmed(255)}},
                },
            ]
        },
    )


class TagsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tags: list[Annotated[str, Field(json_schema_extra={"pattern": TAG})]] = Field(
        min_length=1, max_length=MAX_TAGS
    )


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
