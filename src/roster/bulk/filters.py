"""Which contacts an export or a bulk action covers, in the one filter language.

``expression`` compiles filter expressions (docs/filters.md) with the same compiler as
search and segments; ``segment_filter`` reads a segment's stored expression (404 when the
segment is not the tenant's). Archived contacts are never matched. Every clause here is
combined with the tenant condition by the repository base.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.errors import NotFound
from roster.filters.compile import compile_filter
from roster.kit.repository import live
from roster.models import contacts
from roster.segments.repository import SegmentRepository


def expression(
    tenant_id: UUID,
    expr: dict[str, Any] | None,
    *,
    region: str | None,
    segment: dict[str, Any] | None = None,
) -> ColumnElement[bool]:
    """Live contacts matching ``expr`` and the stored filter of a ``segment`` (either may
    be absent; neither matches every live contact). 422 naming the path of a bad part."""
    parts: list[ColumnElement[bool]] = [live(contacts)]
    if expr is not None:
        parts.append(compile_filter(expr, tenant_id, region=region))
    if segment is not None:
        parts.append(compile_filter(segment, tenant_id, region=region, prefix="segment_id"))
    return and_(*parts)


async def segment_filter(conn: AsyncConnection, tenant_id: UUID, segment_id: UUID) -> Any:
    """The stored filter expression of a segment of this tenant; 404 otherwise."""
    row = await SegmentRepository(conn, tenant_id).get(segment_id)
    if row is None:
        raise NotFound("no such segment")
    return row["filter"]
