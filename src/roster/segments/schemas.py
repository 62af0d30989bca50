"""Request and response shapes of segments (saved filters with always-current members)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from roster.filters.schema import Filter
from roster.kit.openapi import omittable
from roster.lists.schemas import Name


class SegmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name = Field(description="Unique within the tenant")
    description: str | None = Field(default=None, max_length=2000)
    filter: Filter = Field(description="A filter expression (docs/filters.md)")


class SegmentUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name | None = omittable()
    description: str | None = Field(default=None, max_length=2000)
    filter: Filter | None = omittable()


class PreviewBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    filter: Filter


class SegmentSummary(BaseModel):
    id: str
    name: str
    description: str | None
    filter: dict[str, Any]
    created_at: str
    updated_at: str
    version: int


class SegmentDetail(SegmentSummary):
    contact_count: int = Field(description="Live contacts matching the filter, counted now")


class SegmentPage(BaseModel):
    data: list[SegmentSummary]
    has_more: bool
    next_cursor: str | None
