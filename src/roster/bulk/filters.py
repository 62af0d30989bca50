"""Which contacts an export or a bulk action covers — the seam for the shared filter builder.

``list_filter`` turns the list filters of ``GET /v1/contacts`` into a WHERE clause, and
``expression`` turns a filter expression into one. Both are interim: the filter-expression
language, search and segments are built elsewhere, and these two functions are where they
plug in (same signatures: request parameters in, a SQLAlchemy condition over ``contacts``
out). Every clause here is combined with the tenant condition by the repository base.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, and_, exists, or_, true

from roster.errors import ValidationFailed
from roster.models import contact_tags, contacts

c = contacts.c
MAX_DEPTH = 4
MAX_CONDITIONS = 50


@dataclass(frozen=True)
class ListFilter:
    include_deleted: bool = False
    tag: str | None = None
    status: str | None = None
    country: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


def _has_tag(tenant_id: UUID, tag: str) -> ColumnElement[bool]:
    t = contact_tags.c
    return exists().where(t.tenant_id == tenant_id, t.contact_id == c.id, t.tag == tag)


def list_filter(tenant_id: UUID, f: ListFilter) -> ColumnElement[bool]:
    parts: list[ColumnElement[bool]] = []
    if not f.include_deleted:
        parts.append(c.deleted_at.is_(None))
    if f.tag is not None:
        parts.append(_has_tag(tenant_id, f.tag.strip()))
    if f.status is not None:
        parts.append(c.status == f.status.strip())
    if f.country is not None:
        parts.append(c.country == f.country.strip().upper())
    if f.created_after is not None:
        parts.append(c.created_at > f.created_after)
    if f.created_before is not None:
        parts.append(c.created_at < f.created_before)
    return and_(true(), *parts)


def expression(tenant_id: UUID, expr: Any) -> ColumnElement[bool]:
    """Interim expression language: ``{"all": [...]}``, ``{"any": [...]}``, and conditions
    ``{"field": "tags", "op": "has", "value": "vip"}`` or ``{"field": "status" | "country",
    "op": "eq", "value": "..."}``. Archived contacts are never matched. 422 on anything else.
    """
    count = [0]
    clause = _node(tenant_id, expr, "filter", 0, count)
    return and_(c.deleted_at.is_(None), clause)


def _bad(path: str, message: str) -> ValidationFailed:
    return ValidationFailed.one(path, message)


def _node(tenant_id: UUID, node: Any, path: str, depth: int, count: list[int]) -> Any:
    if depth > MAX_DEPTH:
        raise _bad(path, f"nested deeper than {MAX_DEPTH}")
    if not isinstance(node, dict):
        raise _bad(path, "must be an object")
    for group, combine in (("all", and_), ("any", or_)):
        if group in node:
            items = node[group]
            if set(node) != {group} or not isinstance(items, list) or not items:
                raise _bad(path, f"'{group}' must be the only key and a non-empty list")
            return combine(
                *(
                    _node(tenant_id, item, f"{path}.{group}[{i}]", depth + 1, count)
                    for i, item in enumerate(items)
                )
            )
    count[0] += 1
    if count[0] > MAX_CONDITIONS:
        raise _bad(path, f"at most {MAX_CONDITIONS} conditions")
    field, op, value = node.get("field"), node.get("op"), node.get("value")
    if set(node) != {"field", "op", "value"} or not isinstance(value, str):
        raise _bad(path, "a condition is {field, op, value} with a string value")
    if field == "tags" and op == "has":
        return _has_tag(tenant_id, value.strip())
    if field in ("status", "country") and op == "eq":
        wanted = value.strip().upper() if field == "country" else value.strip()
        return c[field] == wanted
    raise _bad(
        path,
        f"unsupported condition {field!r} {op!r} (interim filter: tags has, status eq, country eq)",
    )
