"""Request and response shapes of the lynkist dialect, as its document names them.

The fields are Roster's own under the same names (``status`` is Roster's free-text status),
so a body passes to the contact service as it is; the document's own rules are stated here
(``first_name`` required on create and 1-255 characters, ``phone`` at most 20 characters,
at most 100 contacts a bulk request) and Roster's field rules are declared as the native
contact schema declares them.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
    field_validator,
)
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

from roster.contacts.normalize import MAX_TAGS
from roster.contacts.query import MAX_Q
from roster.contacts.schemas import CUSTOM_FIELDS_SCHEMA, TAG, TEXT
from roster.kit.openapi import formatted, omittable, trimmed

MAX_BULK = 100
MAX_NAME = 255
MAX_PHONE = 20


def _first_name(value: str) -> str:
    """1-255 characters once trimmed, with the message the document shows."""
    value = value.strip()
    if not value:
        raise PydanticCustomError("string_too_short", "must be at least 1 character")
    if len(value) > MAX_NAME:
        raise PydanticCustomError("string_too_long", f"must be at most {MAX_NAME} characters")
    return value


FirstName = Annotated[
    str,
    AfterValidator(_first_name),
    WithJsonSchema({"type": "string", "pattern": trimmed(MAX_NAME)}),
]
Text = Annotated[str | None, Field(max_length=1024, json_schema_extra={"pattern": TEXT})]
Tag = Annotated[str, Field(json_schema_extra={"pattern": TAG})]
CustomFields = Annotated[dict[str, Any], WithJsonSchema(CUSTOM_FIELDS_SCHEMA)]
_PHONE: JsonDict = {"type": "string", "format": "phone"}
_EMAIL: JsonDict = {"type": "string", "format": "email"}


class LynkistContactFields(BaseModel):
    """The writable fields of the contact object."""

    model_config = ConfigDict(extra="forbid")

    last_name: Text = None
    phone: str | None = Field(
        default=None,
        max_length=MAX_PHONE,
        description="E.164 recommended (e.g. +919999999999); any common format is read",
        json_schema_extra=formatted("phone"),
    )
    email: str | None = Field(default=None, max_length=1024, json_schema_extra=formatted("email"))
    company: Text = None
    job_title: Text = None
    status: Text = Field(default=None, description="Free-form: active, lead, customer …")
    tags: list[Tag] | None = omittable(max_length=MAX_TAGS)
    custom_fields: CustomFields | None = omittable()


class LynkistContactCreate(LynkistContactFields):
    """A new contact: ``first_name`` is required; Roster also needs a phone or an email to
    know the contact by (docs/dialects.md)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "anyOf": [
                {"required": ["phone"], "properties": {"phone": _PHONE}},
                {"required": ["email"], "properties": {"email": _EMAIL}},
            ]
        },
    )

    first_name: FirstName


class LynkistContactUpdate(LynkistContactFields):
    """Only the fields sent change; ``null`` clears a nullable one."""

    first_name: FirstName | None = omittable()

    @field_validator("first_name")
    @classmethod
    def _first_name_stays(cls, value: str | None) -> str:
        if value is None:  # only sent values are checked: null is a value, absence is not
            raise PydanticCustomError("string_type", "must not be null")
        return value


class LynkistSearch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    search_term: str | None = Field(
        default=None,
        max_length=MAX_Q,
        description="Matches first_name, last_name, email and company",
    )
    status: str | None = Field(default=None, max_length=255, description="Exact match")
    tag: str | None = Field(default=None, max_length=64, description="Contacts with this tag")


class LynkistBulk(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contacts: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_BULK,
        description="Contacts as for POST /contacts; each is checked and written on its own",
    )


class LynkistContact(BaseModel):
    id: str = Field(examples=["01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55"])
    first_name: str | None = Field(description="null only for a contact made without one")
    last_name: str | None
    phone: str | None
    email: str | None
    company: str | None
    job_title: str | None
    status: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    created_at: str
    updated_at: str | None


class LynkistPagination(BaseModel):
    page: int
    limit: int
    total_items: int
    total_pages: int
    has_next: bool
    has_prev: bool


class LynkistContactPage(BaseModel):
    data: list[LynkistContact]
    pagination: LynkistPagination


class LynkistBulkError(BaseModel):
    index: int
    error: str


class LynkistBulkResult(BaseModel):
    total: int
    created: int
    failed: int
    errors: list[LynkistBulkError]


class LynkistDeleted(BaseModel):
    message: str = Field(examples=["Contact deleted"])
