"""The HTTP shapes lists and segments share: both are named, versioned objects of a tenant
(``NamedRepository``), rendered alike and read and written with an ETag."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import Header, Query

from roster.kit.jsonutil import JSONBody
from roster.kit.pagination import Page, envelope
from roster.kit.timeutil import rfc3339
from roster.kit.versions import etag

IfMatch = Annotated[str | None, Header(description='ETag from a GET, e.g. "3"; stale → 412')]
Limit = Annotated[int | None, Query(description="1..100, default 50")]


def body(row: dict[str, Any], count: str, **own: Any) -> dict[str, Any]:
    """The object's fields (``own`` after its description), and ``count`` when the row
    holds it."""
    out = {
        "id": str(row["id"]),
        "name": row["name"],
        "description": row["description"],
        **own,
        "created_at": rfc3339(row["created_at"]),
        "updated_at": rfc3339(row["updated_at"]),
        "version": row["version"],
    }
    if count in row:
        out[count] = row[count]
    return out


def one(
    rendered: dict[str, Any],
    row: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> JSONBody:
    return JSONBody(rendered, status_code=status, headers={"ETag": etag(row), **(headers or {})})


def page(result: Page, render_row: Callable[[Any], Any]) -> JSONBody:
    data = [render_row(r) for r in result.rows]
    return JSONBody(envelope(data, result.has_more, result.next_cursor, result.total))
