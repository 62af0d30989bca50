"""Query parameters shared by the routes that take the contact list filters."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Query

from roster.contacts.query import MAX_FILTER_VALUES, MAX_Q
from roster.contacts.schemas import PreferenceChannel
from roster.kit.openapi import trimmed
from roster.kit.timeutil import INSTANT


def _text(maximum: int) -> dict[str, Any]:
    # ``query.parse`` trims a value, then wants 1 to ``maximum`` characters.
    return {"json_schema_extra": {"pattern": trimmed(maximum, control=True)}}


_TEXT = _text(255)
_TAGS = {
    "json_schema_extra": {
        "items": {"type": "string", "pattern": trimmed(64, control=True)},
        "maxItems": MAX_FILTER_VALUES,
    }
}


async def list_filter_parameters(
    include_deleted: bool = False,
    q: Annotated[
        str | None,
        Query(
            description="Substring search (see description)",
            json_schema_extra={"maxLength": MAX_Q},
        ),
    ] = None,
    tag: Annotated[
        list[str] | None, Query(description="Must have all (repeatable)", **_TAGS)
    ] = None,
    any_tag: Annotated[
        list[str] | None, Query(description="At least one (repeatable)", **_TAGS)
    ] = None,
    status: Annotated[str | None, Query(**_TEXT)] = None,
    country: Annotated[str | None, Query(description="ISO 3166-1 alpha-2", **_text(2))] = None,
    source: Annotated[str | None, Query(**_TEXT)] = None,
    suppressed: bool | None = None,
    created_after: Annotated[str | None, Query(description="RFC 3339", **INSTANT)] = None,
    created_before: Annotated[str | None, Query(description="RFC 3339", **INSTANT)] = None,
    updated_after: Annotated[str | None, Query(description="RFC 3339", **INSTANT)] = None,
    opted_out: Annotated[
        PreferenceChannel | None, Query(description="Channel opted out of, e.g. sms")
    ] = None,
    list_id: Annotated[UUID | None, Query(description="Members of this list")] = None,
    segment_id: Annotated[
        UUID | None, Query(description="Contacts matching this segment's filter")
    ] = None,
) -> None:
    """The list filters, declared once for every route that takes them: they document and
    type-check the query string, while the filter itself is read whole from it (by
    ``query.parse``), because ``custom_fields.<key>`` names are open-ended."""


ListFilterParameters = Annotated[None, Depends(list_filter_parameters)]
