"""Request and response shapes of the omnichannel dialect, and its success envelope.

The reference document lists each call's parameters by description only; their names are
the platform's published ones (``phone``, ``email``, ``first_name``, ``last_name``,
``country_code``, ``lifecycle_stage``, ``tags``, ``metadata``; ``search``, ``cursor``,
``limit``), and a body becomes Roster's by ``to_roster``. Roster's field rules are declared
as the native contact schema declares them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Request
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.config import JsonDict

from roster.activities.schemas import Activity
from roster.contacts.normalize import MAX_TAGS
from roster.contacts.schemas import CUSTOM_FIELDS_SCHEMA, TAG, TEXT, Preference, PreferenceChannel
from roster.kit.openapi import formatted, omittable
from roster.kit.pagination import Page
from roster.kit.timeutil import rfc3339, utcnow
from roster.models import PREFERENCE_CHANNELS

Text = Annotated[str | None, Field(max_length=1024, json_schema_extra={"pattern": TEXT})]
Tag = Annotated[str, Field(json_schema_extra={"pattern": TAG})]
Metadata = Annotated[dict[str, Any], WithJsonSchema(CUSTOM_FIELDS_SCHEMA)]
_PHONE: JsonDict = {"type": "string", "format": "phone"}
_EMAIL: JsonDict = {"type": "string", "format": "email"}
# The dialect's names of Roster's contact fields.
_ROSTER_NAMES = {
    "country_code": "country",
    "lifecycle_stage": "status",
    "metadata": "custom_fields",
}


class OmnichannelContactUpdate(BaseModel):
    """Only the fields sent change; ``null`` clears a field; ``metadata`` merges key by key
    (a key set to null is removed)."""

    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(
        default=None,
        max_length=1024,
        description="E.164 (e.g. +14155552671); any common format is read",
        json_schema_extra=formatted("phone"),
    )
    email: str | None = Field(default=None, max_length=1024, json_schema_extra=formatted("email"))
    first_name: Text = None
    last_name: Text = None
    country_code: str | None = Field(
        default=None,
        max_length=64,
        description="ISO 3166-1 alpha-2 (e.g. US, TR)",
        json_schema_extra=formatted("iso3166-alpha2"),
    )
    lifecycle_stage: Text = Field(default=None, description="lead, customer, churned, etc.")
    metadata: Metadata | None = omittable(description="Custom key-value data")


class OmnichannelContactCreate(OmnichannelContactUpdate):
    """A new contact; it needs a phone or an email."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["phone"], "properties": {"phone": _PHONE}},
                {"required": ["email"], "properties": {"email": _EMAIL}},
            ]
        },
    )

    tags: list[Tag] | None = omittable(max_length=MAX_TAGS, description="Initial tags")


def to_roster(body: BaseModel, source: str | None = None) -> dict[str, Any]:
    """The fields sent, under Roster's names."""
    data = {_ROSTER_NAMES.get(k, k): v for k, v in body.model_dump(exclude_unset=True).items()}
    if source is not None:
        data["source"] = source
    return data


class OmnichannelTags(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags: list[Tag] = Field(min_length=1, max_length=MAX_TAGS, description="Tags to add")


class OmnichannelPreferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preferences: dict[PreferenceChannel, Preference] = Field(
        description="Channels to change (sms, whatsapp, email, rcs, viber, voice); others "
        "keep their state"
    )


class OmnichannelContact(BaseModel):
    id: str = Field(examples=["01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55"])
    phone: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    country_code: str | None
    lifecycle_stage: str | None
    tags: list[str]
    metadata: dict[str, Any]
    preferences: dict[str, Preference]
    created_at: str
    updated_at: str


def contact(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": str(row["id"]),
        "phone": row["phone"],
        "email": row["email"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "country_code": row["country"],
        "lifecycle_stage": row["status"],
        "tags": row["tags"],
        "metadata": row["custom_fields"],
        "preferences": {channel: row[f"pref_{channel}"] for channel in PREFERENCE_CHANNELS},
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
    }


class OmnichannelMeta(BaseModel):
    request_id: str | None = Field(description="Also the X-Request-Id header")
    timestamp: str


class OmnichannelPagination(BaseModel):
    cursor: str | None = Field(description="Pass as `cursor` for the next page; null at the end")
    has_more: bool
    total: int | None = Field(description="Matching items, with include_total=true")


class OmnichannelPageMeta(OmnichannelMeta):
    pagination: OmnichannelPagination


def meta(request: Request) -> dict[str, Any]:
    return {
        "request_id": getattr(request.state, "request_id", None),
        "timestamp": rfc3339(utcnow()),
    }


def one(request: Request, data: Any) -> dict[str, Any]:
    return {"data": data, "meta": meta(request)}


def page(request: Request, result: Page, data: list[Any]) -> dict[str, Any]:
    pagination = {"cursor": result.next_cursor, "has_more": result.has_more, "total": result.total}
    return {"data": data, "meta": {**meta(request), "pagination": pagination}}


class OmnichannelContactAnswer(BaseModel):
    data: OmnichannelContact
    meta: OmnichannelMeta


class OmnichannelContactsAnswer(BaseModel):
    data: list[OmnichannelContact]
    meta: OmnichannelPageMeta


class OmnichannelPreferencesAnswer(BaseModel):
    data: dict[PreferenceChannel, Preference]
    meta: OmnichannelMeta


class OmnichannelTimelineAnswer(BaseModel):
    data: list[Activity]
    meta: OmnichannelPageMeta
