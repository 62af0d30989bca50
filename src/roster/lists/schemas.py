"""Request and response shapes of static lists."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from roster.kit.openapi import omittable, trimmed

MAX_MEMBERS_PER_CALL = 1000
# The bounds hold after trimming, as the document's pattern says.
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=255),
    WithJsonSchema({"type": "string", "pattern": trimmed(255, control=True)}),
]


_UUID = TypeAdapter(UUID)


def _id_text(text: str) -> str:
    """``text`` as given once it reads as a UUID (with pydantic's message otherwise, so that
    the 422 reads as merge's ``duplicate_ids[0]`` does); kept as given for ``not_found``."""
    try:
        _UUID.validate_python(text)
    except ValidationError as exc:
        reason = exc.errors()[0]["msg"]
        raise PydanticCustomError("uuid_parsing", "{reason}", {"reason": reason}) from None
    return text


IdText = Annotated[
    str, AfterValidator(_id_text), WithJsonSchema({"type": "string", "format": "uuid"})
]


class ListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="Unique within the tenant")
    description: str | None = Field(default=None, max_length=2000)


class ListUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = omittable()
    description: str | None = Field(default=None, max_length=2000)


class ListSummary(BaseModel):
    id: str
    name: str
    description: str | None
    created_at: str
    updated_at: str
    version: int


class ListDetail(ListSummary):
    member_count: int = Field(description="Live (not archived) contacts in the list, counted now")


class ListPage(BaseModel):
    data: list[ListSummary]
    has_more: bool
    next_cursor: str | None


class MembersAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_ids: list[IdText] = Field(
        min_length=1,
        max_length=MAX_MEMBERS_PER_CALL,
        description="Contact ids (UUIDs); text that is not a UUID is a 422",
    )


class MembersAdded(BaseModel):
    added: int = Field(description="Contacts that were not in the list and now are")
    already_members: int
    not_found: list[str] = Field(
        description="Ids that name no live contact of this tenant (archived, erased, or "
        "another tenant's), as given"
    )
