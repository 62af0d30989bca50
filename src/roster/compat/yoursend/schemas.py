"""Request and response shapes of the yoursend dialect, as its document names them.

``metadata`` is Roster's ``custom_fields``; ``email_ok``, ``sms_ok``, ``whatsapp_ok`` and
``voice_ok`` are Roster's consent of those channels (true: ``opted_in``, false:
``opted_out``, null: ``unknown``); ``suppressed`` and ``suppressed_reason`` are Roster's.
Roster's field rules are declared as the native contact schema declares them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, WithJsonSchema
from pydantic.config import JsonDict

from roster.contacts.normalize import MAX_TAGS
from roster.contacts.schemas import CUSTOM_FIELDS_SCHEMA, TAG, TEXT
from roster.kit.openapi import formatted, omittable

Text = Annotated[str | None, Field(max_length=1024, json_schema_extra={"pattern": TEXT})]
Tag = Annotated[str, Field(json_schema_extra={"pattern": TAG})]
Metadata = Annotated[dict[str, Any], WithJsonSchema(CUSTOM_FIELDS_SCHEMA)]
_PHONE: JsonDict = {"type": "string", "format": "phone"}
_EMAIL: JsonDict = {"type": "string", "format": "email"}
# yoursend's channel opt-ins → Roster's consent channels.
CHANNELS = {"email_ok": "email", "sms_ok": "sms", "whatsapp_ok": "whatsapp", "voice_ok": "voice"}
OK = {True: "opted_in", False: "opted_out", None: "unknown"}


class YoursendContactFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str | None = Field(default=None, max_length=1024, json_schema_extra=formatted("email"))
    phone: str | None = Field(
        default=None,
        max_length=1024,
        description="Phone number in E.164 format; any common format is read",
        json_schema_extra=formatted("phone"),
    )
    name: Text = Field(default=None, description="Display name")
    tags: list[Tag] | None = omittable(max_length=MAX_TAGS, description="Array of tags")
    metadata: Metadata | None = omittable(description="Custom key-value metadata")


class YoursendContactCreate(YoursendContactFields):
    """A new contact: either email or phone is required."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["email"], "properties": {"email": _EMAIL}},
                {"required": ["phone"], "properties": {"phone": _PHONE}},
            ]
        },
    )

    source: Text = Field(default=None, description='Source of the contact (default: "api")')


class YoursendContactUpdate(YoursendContactFields):
    """Only the fields sent change. The opt-ins and the suppression are consent changes,
    kept in the contact's consent history with source ``api:yoursend``."""

    email_ok: StrictBool | None = Field(default=None, description="Email opt-in (null: unknown)")
    sms_ok: StrictBool | None = Field(default=None, description="SMS opt-in (null: unknown)")
    whatsapp_ok: StrictBool | None = Field(
        default=None, description="WhatsApp opt-in (null: unknown)"
    )
    voice_ok: StrictBool | None = Field(default=None, description="Voice opt-in (null: unknown)")
    suppressed: StrictBool | None = omittable(description="true: no future sends")
    suppressed_reason: Text = Field(
        default=None, description='Reason for suppression (e.g. "unsubscribed", "bounced")'
    )


class YoursendContact(BaseModel):
    id: str = Field(examples=["01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55"])
    email: str | None
    phone: str | None
    name: str | None
    tags: list[str]
    suppressed: bool
    suppressed_reason: str | None
    email_ok: bool | None
    sms_ok: bool | None
    whatsapp_ok: bool | None
    voice_ok: bool | None
    metadata: dict[str, Any]
    source: str
    created_at: str
    updated_at: str


class YoursendContactPage(BaseModel):
    contacts: list[YoursendContact]
    total: int
    limit: int
    offset: int
