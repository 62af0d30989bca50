"""Request and response shapes of the channel dialect.

A contact is ``{"id", "custom_fields": {…}, "tags", "created_at"}``: ``custom_fields`` holds
the contact fields under the platform's names (``firstName``, ``lastName``, ``profilePic``,
``language``, ``phone``, ``email``) beside the custom ones, and ``created_at`` is in Unix
seconds, as the platform answers. A create or an update sends ``{"custom_fields": [{"name",
"value"}, …]}``: at most 30 fields; a contact field's name is its platform name, any other
name a custom field.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from roster.contacts.normalize import CUSTOM_FIELD_KEY
from roster.contacts.schemas import TAG
from roster.errors import FieldProblem, ValidationFailed

MAX_FIELDS = 30
MAX_TAGS = 10
PER_PAGE = 10
# The platform's contact fields → Roster's.
STANDARD = {
    "firstName": "first_name",
    "lastName": "last_name",
    "profilePic": "avatar_url",
    "language": "language",
    "phone": "phone",
    "email": "email",
}
Tag = Annotated[str, Field(json_schema_extra={"pattern": TAG})]


class ChannelField(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1,
        max_length=64,
        description="firstName, lastName, profilePic, language, phone, email, or the name "
        "of a custom field",
        examples=["firstName"],
    )
    value: Any = Field(
        default=None,
        description="A string for a contact field; any JSON value for a custom field; null "
        "clears it",
        examples=["Muhammad Mahin"],
    )


class ChannelFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    custom_fields: list[ChannelField] = Field(
        min_length=1, max_length=MAX_FIELDS, description="At most 30 fields per request"
    )


class ChannelTags(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tags: list[Tag] = Field(
        min_length=1, max_length=MAX_TAGS, description="At most 10 tags per request"
    )


def to_roster(body: ChannelFields) -> dict[str, Any]:
    """The fields sent, as Roster's contact fields and custom fields."""
    data: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    seen: set[str] = set()
    problems = []
    for index, item in enumerate(body.custom_fields):
        if item.name in seen:
            problems.append(FieldProblem(f"custom_fields[{index}].name", "given twice"))
        elif item.name not in STANDARD and not CUSTOM_FIELD_KEY.match(item.name):
            problems.append(FieldProblem(f"custom_fields[{index}].name", "not a valid name"))
        seen.add(item.name)
        if item.name in STANDARD:
            data[STANDARD[item.name]] = item.value
        else:
            custom[item.name] = item.value
    if problems:
        raise ValidationFailed(problems)
    if custom:
        data["custom_fields"] = custom
    return data


def contact(row: dict[str, Any]) -> dict[str, Any]:
    fields = {name: row[column] for name, column in STANDARD.items()}
    own = {k: v for k, v in row["custom_fields"].items() if k not in STANDARD}
    return {
        "id": str(row["id"]),
        "custom_fields": {**fields, **own},
        "tags": row["tags"],
        "created_at": int(row["created_at"].timestamp()),
    }


class ChannelContact(BaseModel):
    id: str = Field(examples=["01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55"])
    custom_fields: dict[str, Any] = Field(
        description="firstName, lastName, profilePic, language, phone, email and the custom fields"
    )
    tags: list[str]
    created_at: int = Field(description="Unix seconds", examples=[1575618542])


class ChannelContactAnswer(BaseModel):
    data: ChannelContact


class ChannelLinks(BaseModel):
    first: str
    last: str
    prev: str | None
    next: str | None


class ChannelMeta(BaseModel):
    current_page: int
    from_: int | None = Field(alias="from")
    last_page: int
    path: str
    per_page: int
    to: int | None
    total: int


class ChannelContactPage(BaseModel):
    data: list[ChannelContact]
    links: ChannelLinks
    meta: ChannelMeta
