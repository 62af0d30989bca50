"""The list filters of a query string, parsed into the filter language's expression tree.

``GET /v1/contacts``, its export and the dialects' listings read their filters here: each
parameter becomes a condition of one ``all`` group (``tag=a`` is ``tags has_all [a]``,
``created_after=t`` is ``created_at gt t``, …), compiled by the same compiler as search,
segments and bulk actions. ``q``, ``include_deleted``, ``list_id`` and ``segment_id`` stay
apart: the listing plans ``q`` itself, and the ids are looked up (404 for one that is not
the tenant's) before they become conditions. Errors are 400s naming the parameter.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import orjson
from starlette.datastructures import QueryParams

from roster.contacts.normalize import CUSTOM_FIELD_KEY
from roster.contacts.query import MAX_Q
from roster.errors import BadParameter
from roster.filters.compile import UNTYPED_EQ
from roster.filters.parameters import FILTERS, MAX_FILTER_VALUES, PAGING, REPEATABLE
from roster.filters.schema import Expression
from roster.filters.search_text import clean_q
from roster.kit.timeutil import parse_instant
from roster.models import PREFERENCE_CHANNELS

__all__ = ["MAX_FILTER_VALUES", "MAX_Q", "ListQuery", "by_name", "condition", "parse"]


@dataclass(frozen=True)
class ListQuery:
    """A parsed query string: the filter as an expression (None: no condition), and what
    the listing applies itself."""

    expr: Expression | None = None
    q: str | None = None
    include_deleted: bool = False
    list_id: UUID | None = None
    segment_id: UUID | None = None
    # The tags every match has (``tag``), for the listing's tag-driven pages.
    tags: tuple[str, ...] = ()

    @property
    def tags_only(self) -> bool:
        """Whether the filter is ``tag`` and nothing else (``q`` aside)."""
        parts = self.expr.all_ if self.expr is not None else None
        alone = parts is not None and len(parts) == 1
        return bool(self.tags) and alone and self.list_id is None and self.segment_id is None

    def fingerprint(self) -> str:
        """A short digest of the filter, bound into cursors so that a cursor made for one
        filter cannot be replayed against another."""
        data = {
            "expr": self.expr.dump() if self.expr is not None else None,
            "q": self.q,
            "include_deleted": self.include_deleted,
            "list_id": self.list_id,
            "segment_id": self.segment_id,
        }
        payload = orjson.dumps(data, option=orjson.OPT_SORT_KEYS, default=str)
        return hashlib.sha256(payload).hexdigest()[:16]


def by_name(params: QueryParams) -> dict[str, list[str]]:
    """A query string as ``parse`` takes it: each name with all its values."""
    return {name: params.getlist(name) for name in params}


def condition(field: str, op: str, value: Any) -> Expression:
    """One condition of the tree, built from values the parser already checked."""
    return Expression.model_construct(field=field, op=op, value=value)  # type: ignore[arg-type]


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("true", "1", "yes", "on"):
        return True
    if value in ("false", "0", "no", "off"):
        return False
    raise BadParameter(name, "must be true or false")


def _time(name: str, raw: str) -> str:
    try:
        return parse_instant(raw.strip()).isoformat()
    except ValueError as exc:
        raise BadParameter(name, str(exc)) from None


def _text(name: str, raw: str, limit: int = 255) -> str:
    value = raw.strip()
    if not value or len(value) > limit:
        raise BadParameter(name, f"must be 1-{limit} characters")
    return value


def _uuid(name: str, raw: str) -> UUID:
    try:
        return UUID(raw.strip())
    except ValueError:
        raise BadParameter(name, "must be a UUID") from None


def _read(
    params: Mapping[str, list[str]], also: frozenset[str], paging: bool
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The parameters by name (repeatable ones as sorted tuples) and the custom-field
    filters, each checked for its name and count."""
    found: dict[str, Any] = {}
    custom: list[tuple[str, str]] = []
    for name, values in params.items():
        if name.startswith("custom_fields."):
            key = name.removeprefix("custom_fields.")
            if not CUSTOM_FIELD_KEY.match(key):
                raise BadParameter(name, "not a valid custom field key")
            if len(values) != 1:
                raise BadParameter(name, "give it once")
            custom.append((key, values[0]))
            continue
        if name in also:
            continue
        if name in REPEATABLE:
            if len(values) > MAX_FILTER_VALUES:
                raise BadParameter(name, f"at most {MAX_FILTER_VALUES} values")
            found[name] = tuple(sorted({_text(name, v, 64) for v in values}))
            continue
        if name not in FILTERS and (not paging or name not in PAGING):
            raise BadParameter(name, "unknown query parameter")
        if len(values) != 1:
            raise BadParameter(name, "give it once")
        found[name] = values[0]
    if len(custom) > MAX_FILTER_VALUES:
        raise BadParameter("custom_fields", f"at most {MAX_FILTER_VALUES} custom field filters")
    return found, custom


def parse(
    params: Mapping[str, list[str]], *, also: frozenset[str] = frozenset(), paging: bool = True
) -> ListQuery:
    """The filter of a query string given as ``{name: [values]}``; 400 naming what is bad.

    ``also`` names parameters the caller reads itself (skipped here); ``paging=False``
    refuses the paging parameters (for a caller that does not page).
    """
    found, custom = _read(params, also, paging)
    q = found.get("q")
    if q is not None:
        q = clean_q(q)
        if len(q) > MAX_Q:
            raise BadParameter("q", f"at most {MAX_Q} characters")
    opted_out = found.get("opted_out")
    if opted_out is not None and opted_out not in PREFERENCE_CHANNELS:
        raise BadParameter("opted_out", f"must be one of {', '.join(PREFERENCE_CHANNELS)}")
    tags: tuple[str, ...] = found.get("tag", ())
    parts: list[Expression] = []
    if tags:
        parts.append(condition("tags", "has_all", list(tags)))
    if found.get("any_tag"):
        parts.append(condition("tags", "has_any", list(found["any_tag"])))
    if "status" in found:
        parts.append(condition("status", "eq", _text("status", found["status"])))
    if "country" in found:
        parts.append(condition("country", "eq", _text("country", found["country"], 2).upper()))
    if "source" in found:
        parts.append(condition("source", "eq", _text("source", found["source"])))
    if "suppressed" in found:
        parts.append(condition("suppressed", "eq", _bool("suppressed", found["suppressed"])))
    for name, column, op in (
        ("created_after", "created_at", "gt"),
        ("created_before", "created_at", "lt"),
        ("updated_after", "updated_at", "gt"),
    ):
        if name in found:
            parts.append(condition(column, op, _time(name, found[name])))
    if opted_out is not None:
        parts.append(condition(f"preferences.{opted_out}", "eq", "opted_out"))
    for key, raw in sorted(custom):
        parts.append(condition(f"custom_fields.{key}", UNTYPED_EQ, raw))
    include_deleted = (
        _bool("include_deleted", found["include_deleted"]) if "include_deleted" in found else False
    )
    list_id = _uuid("list_id", found["list_id"]) if "list_id" in found else None
    segment_id = _uuid("segment_id", found["segment_id"]) if "segment_id" in found else None
    return ListQuery(
        expr=Expression.model_construct(all_=parts) if parts else None,
        q=q or None,
        include_deleted=include_deleted,
        list_id=list_id,
        segment_id=segment_id,
        tags=tags,
    )
