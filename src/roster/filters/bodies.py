"""Request and response shapes for search (and the filter field other bodies reuse)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from roster.contacts.query import MAX_Q
from roster.contacts.schemas import Contact
from roster.filters.parameters import Sort
from roster.filters.schema import Filter
from roster.kit.openapi import JsonInt
from roster.kit.pagination import MAX_LIMIT

__all__ = ["Preview", "SearchBody", "Sort"]


class SearchBody(BaseModel):
    """A filtered, sorted page of live contacts."""

    model_config = ConfigDict(extra="forbid")

    filter: Filter | None = Field(default=None, description="A filter expression (docs/filters.md)")
    q: str | None = Field(
        default=None,
        max_length=MAX_Q,
        description="Case-insensitive substring of name, first/last name, email, company or "
        "phone digits",
    )
    sort: Sort = "-created_at"
    # The bounds are documented here and checked with the query's (400, as for every page).
    limit: JsonInt | None = Field(
        default=None,
        description="1..100, default 50",
        json_schema_extra={"minimum": 1, "maximum": MAX_LIMIT},
    )
    cursor: str | None = Field(default=None, description="next_cursor of the previous page")
    include_total: StrictBool = Field(default=False, description="Add the exact count as `total`")


class Preview(BaseModel):
    count: int
    sample: list[Contact] = Field(description="Up to 10 matching contacts, newest first")
