"""Request and response shapes of static lists."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_MEMBERS_PER_CALL = 1000
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]


class ListCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="Unique within the tenant")
    description: str | None = Field(default=None, max_length=2000)


class ListUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
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

    contact_ids: list[str] = Field(min_length=1, max_length=MAX_MEMBERS_PER_CALL)


class MembersAdded(BaseModel):
    added: int = Field(description="Contacts that were not in the list and now are")
    already_members: int
    not_found: list[str] = Field(
        description="Ids that name no live contact of this tenant (archived, erased, another "
        "tenant's, or not a UUID), as given"
    )
