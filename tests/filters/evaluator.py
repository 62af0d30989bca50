"""A pure-Python reading of the filter language, written from docs/filters.md alone.

The property test runs random expressions through the API and through this evaluator and
expects the same contacts. It works on contacts as the API renders them (JSON dicts).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

NEGATIVE = {
    "neq": "eq",
    "not_in": "in",
    "not_exists": "exists",
    "has_none": "has_any",
    "not_within_last": "within_last",
}
_ISO = re.compile(
    r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)?)?$"
)
_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 604800}


def instant(value: Any) -> datetime | None:
    if not isinstance(value, str) or not _ISO.fullmatch(value):
        return None
    text = value[:-1] + "+00:00" if value[-1] in "Zz" else value
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _same(stored: Any, wanted: Any) -> bool:
    """JSON equality that never mixes types (true is not 1, "10" is not 10)."""
    if isinstance(wanted, bool) or isinstance(stored, bool):
        return isinstance(stored, bool) and isinstance(wanted, bool) and stored == wanted
    if _number(wanted):
        return _number(stored) and float(stored) == float(wanted)
    return isinstance(stored, str) and stored == wanted


def _text_match(stored: Any, op: str, wanted: str) -> bool:
    if not isinstance(stored, str):
        return False
    a, b = stored.lower(), wanted.lower()
    return {"contains": b in a, "starts_with": a.startswith(b), "ends_with": a.endswith(b)}[op]


def _ordered(stored: Any, op: str, wanted: Any) -> bool:
    low, high = wanted if op == "between" else [wanted, wanted]
    if isinstance(low, datetime) or instant(low) is not None:
        value = stored if isinstance(stored, datetime) else instant(stored)
        if value is None:
            return False
        low_i, high_i = (
            low if isinstance(low, datetime) else instant(low),
            high if isinstance(high, datetime) else instant(high),
        )
        assert low_i is not None and high_i is not None
        a, b = value, (low_i, high_i)
    else:
        if not _number(stored):
            return False
        a, b = float(stored), (float(low), float(high))
    return {
        "gt": a > b[0],
        "gte": a >= b[0],
        "lt": a < b[0],
        "lte": a <= b[0],
        "between": b[0] <= a <= b[1],
    }[op]


def _value(contact: dict[str, Any], field: str) -> tuple[bool, Any]:
    """(known field kind is custom, the value). Activities are read from the contact's
    ``_activities`` ([{type, occurred_at}]), which the test keeps beside the rendered
    contact."""
    if field == "activity.last_at":
        times = [instant(a["occurred_at"]) for a in contact.get("_activities", [])]
        return False, max((t for t in times if t is not None), default=None)
    if field.startswith("activity.") and field.endswith(".count"):
        kind = field.removeprefix("activity.").removesuffix(".count")
        return False, sum(1 for a in contact.get("_activities", []) if a["type"] == kind)
    if field.startswith("custom_fields."):
        return True, contact["custom_fields"].get(field.split(".", 1)[1])
    if field.startswith("preferences."):
        return False, contact["preferences"][field.split(".", 1)[1]]
    if field.startswith("handles."):
        return False, contact["handles"][field.split(".", 1)[1]]
    return False, contact[field]


def matches(expr: dict[str, Any], contact: dict[str, Any], lists: set[str], now: datetime) -> bool:
    if "all" in expr:
        return all(matches(part, contact, lists, now) for part in expr["all"])
    if "any" in expr:
        return any(matches(part, contact, lists, now) for part in expr["any"])
    if "not" in expr:
        return not matches(expr["not"], contact, lists, now)
    op = expr["op"]
    if op in NEGATIVE:
        return not matches({**expr, "op": NEGATIVE[op]}, contact, lists, now)
    field, wanted = expr["field"], expr.get("value")
    if field in ("tags", "lists"):
        have = set(contact["tags"]) if field == "tags" else lists
        items = [wanted] if op == "has" else (wanted or [])
        if field == "tags":
            items = [item.strip() for item in items]
        if op == "exists":
            return bool(have)
        if op == "has_all":
            return set(items) <= have
        return bool(set(items) & have)
    custom, stored = _value(contact, field)
    if op == "exists":
        return stored is not None
    if stored is None:
        return False
    if field in ("created_at", "updated_at"):
        stored = instant(stored)
    if field.startswith("activity.") and isinstance(stored, int):
        items = wanted if isinstance(wanted, list) else [wanted]
        if op in ("eq", "in"):
            return any(float(stored) == float(item) for item in items)
    if op in ("eq", "in"):
        items = wanted if op == "in" else [wanted]
        if custom:
            return any(_same(stored, item) for item in items)
        if field == "email":
            return stored.lower() in {item.strip().lower() for item in items}
        if field == "country":
            return stored in {item.strip().upper() for item in items}
        if isinstance(stored, datetime):
            return stored in {instant(item) for item in items}
        return stored in items
    if op in ("contains", "starts_with", "ends_with"):
        return _text_match(stored, op, wanted)
    if op in ("gt", "gte", "lt", "lte", "between"):
        return _ordered(stored, op, wanted)
    if op == "within_last":
        moment = stored if isinstance(stored, datetime) else instant(stored)
        amount, unit = int(wanted[:-1]), wanted[-1]
        cutoff = now - timedelta(seconds=amount * _UNITS[unit])
        return moment is not None and cutoff <= moment <= now
    raise AssertionError(f"unhandled op {op}")
