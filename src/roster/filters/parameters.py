"""The query parameters of ``GET /v1/contacts``, declared once.

``list_filter_parameters`` declares the list filters and ``list_paging_parameters`` the
paging; FastAPI documents and type-checks the query string from their signatures, and
``filters.query.parse`` takes its known parameter names from the same signatures (the
filter itself is read whole from the query string, because ``custom_fields.<key>`` names
are open-ended). Exports take the filters; the opt-out list takes ``Q``.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

from fastapi import Depends, Query

from roster.contacts.query import MAX_Q
from roster.contacts.schemas import PreferenceChannel
from roster.kit.openapi import trimmed
from roster.kit.timeutil import INSTANT

MAX_FILTER_VALUES = 20
Sort = Literal["created_at", "-created_at", "updated_at", "-updated_at", "name", "-name"]


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
Q = Annotated[
    str | None,
    Query(
        description="Case-insensitive substring of name, first/last name, email or company, "
        "or of the phone's digits",
        json_schema_extra={"maxLength": MAX_Q},
    ),
]
Tags = Annotated[list[str] | None, Query(description="Must have all (repeatable)", **_TAGS)]
AnyTags = Annotated[list[str] | None, Query(description="At least one (repeatable)", **_TAGS)]
Instant = Annotated[str | None, Query(description="RFC 3339", **INSTANT)]


async def list_filter_parameters(
    include_deleted: bool = False,
    q: Q = None,
    tag: Tags = None,
    any_tag: AnyTags = None,
    status: Annotated[str | None, Query(**_TEXT)] = None,
    country: Annotated[str | None, Query(description="ISO 3166-1 alpha-2", **_text(2))] = None,
    source: Annotated[str | None, Query(**_TEXT)] = None,
    suppressed: bool | None = None,
    created_after: Instant = None,
    created_before: Instant = None,
    updated_after: Instant = None,
    opted_out: Annotated[
        PreferenceChannel | None, Query(description="Channel opted out of, e.g. sms")
    ] = None,
    list_id: Annotated[UUID | None, Query(description="Members of this list")] = None,
    segment_id: Annotated[
        UUID | None, Query(description="Contacts matching this segment's filter")
    ] = None,
) -> None:
    """The list filters, for every route that takes them: they document and type-check
    the query string; ``query.parse`` reads the filter."""


@dataclass(frozen=True)
class ListPaging:
    sort: str
    limit: int | None
    cursor: str | None
    offset: int | None
    page: int | None
    include_total: bool


async def list_paging_parameters(
    sort: Sort = "-created_at",
    limit: Annotated[int | None, Query(description="1..100, default 50")] = None,
    cursor: str | None = None,
    offset: Annotated[int | None, Query(description="Instead of cursor (compatibility)")] = None,
    page: Annotated[int | None, Query(description="1-based; instead of cursor")] = None,
    include_total: Annotated[bool, Query(description="Add the exact count as `total`")] = False,
) -> ListPaging:
    """How the listing pages (an export takes none of these)."""
    return ListPaging(sort, limit, cursor, offset, page, include_total)


ListFilterParameters = Annotated[None, Depends(list_filter_parameters)]
ListPagingParameters = Annotated[ListPaging, Depends(list_paging_parameters)]

# The names the parser knows, from the declarations above.
REPEATABLE = frozenset({"tag", "any_tag"})
FILTERS = frozenset(inspect.signature(list_filter_parameters).parameters) - REPEATABLE
PAGING = frozenset(inspect.signature(list_paging_parameters).parameters)
