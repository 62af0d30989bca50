"""Request and response shapes of the yebolink dialect, as its document names them.

The fields are Roster's own under the same names (``name`` is Roster's display name), so a
body passes to the contact service as it is. The document's own rule is stated here
(``phone`` is required on create); Roster's field rules are declared as the native contact
schema declares them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from roster.contacts.normalize import MAX_TAGS
from roster.contacts.schemas import CUSTOM_FIELDS_SCHEMA, TAG, TEXT
from roster.kit.openapi import formatted, omittable

Text = Annotated[str | None, Field(max_length=1024, json_schema_extra={"pattern": TEXT})]
Tag = Annotated[str, Field(json_schema_extra={"pattern": TAG})]
CustomFields = Annotated[dict[str, Any], WithJsonSchema(CUSTOM_FIELDS_SCHEMA)]


class YebolinkContactUpdate(BaseModel):
    """All fields are optional; only those sent change (``null`` clears one)."""

    model_config = ConfigDict(extra="forbid")

    phone: str | None = Field(
        default=None,
        max_length=1024,
        description="E.164 (e.g. +14155552671); any common format is read",
        json_schema_extra=formatted("phone"),
    )
    email: str | None = Field(default=None, max_length=1024, json_schema_extra=formatted("email"))
    name: Text = Field(default=None, description="Contact name")
    tags: list[Tag] | None = omittable(max_length=MAX_TAGS, description="Replace the tags")
    custom_fields: CustomFields | None = omittable(
        description="Custom key-value pairs, merged with the existing (null removes a key)"
    )


class YebolinkContactCreate(YebolinkContactUpdate):
    phone: str = Field(
        max_length=1024,
        description="Phone number in E.164 format",
        json_schema_extra=formatted("phone"),
    )


class YebolinkContact(BaseModel):
    id: str = Field(examples=["01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55"])
    workspace_id: str = Field(description="The tenant")
    phone: str | None
    email: str | None
    name: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    created_at: str
    updated_at: str


class YebolinkListedContact(BaseModel):
    id: str
    phone: str | None
    email: str | None
    name: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    created_at: str
    updated_at: str


class YebolinkContactData(BaseModel):
    contact: YebolinkContact


class YebolinkContactAnswer(BaseModel):
    success: bool = Field(examples=[True])
    data: YebolinkContactData


class YebolinkPagination(BaseModel):
    total: int
    page: int
    pages: int
    limit: int


class YebolinkContactsData(BaseModel):
    contacts: list[YebolinkListedContact]
    pagination: YebolinkPagination


class YebolinkContactsAnswer(BaseModel):
    success: bool = Field(examples=[True])
    data: YebolinkContactsData


class YebolinkMessage(BaseModel):
    message: str = Field(examples=["Contact deleted successfully"])


class YebolinkDeleted(BaseModel):
    success: bool = Field(examples=[True])
    data: YebolinkMessage
