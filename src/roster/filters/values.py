"""Checking and converting the ``value`` of one condition, by field kind and op.

Each function raises ``ValueError`` with a short phrase; the schema attaches the path
(``all[1].value``). The compiler calls the same functions, so what was accepted on write is
exactly what is compared on read.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from roster.filters.catalogue import (
    ORDERING,
    PREFERENCE_VALUES,
    PRESENCE,
    RELATIVE,
    SET_OPS,
    TEXT_MATCH,
    Field,
)
from roster.kit.jsonutil import JSON_INT_MAX, JSON_INT_MIN
from roster.kit.timeutil import OutOfRange, parse_instant

MAX_ITEMS = 1000
MAX_TEXT = 1024
# activity.<type>.count is compared with a signed 32-bit value on both engines (PostgreSQL
# binds an integer as int4; SQLite would hold 64 bits, but one rule serves both).
COUNT_MIN, COUNT_MAX = -(2**31), 2**31 - 1
# Numbers compared with custom fields (as double precision): far inside its range.
NUMBER_LIMIT = 1e300

_DURATION = re.compile(r"^(\d{1,6})([mhdw])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_datetime(value: Any) -> datetime:
    """An ISO 8601 date or date-time as an aware UTC datetime (no offset means UTC), in
    years 1-9999 once in UTC."""
    return parse_instant(value, offset_required=False)


def is_date_text(value: Any) -> bool:
    try:
        parse_datetime(value)
    except ValueError:
        return False
    return True


def parse_duration(value: Any) -> timedelta:
    """``"30d"``, ``"12h"``, ``"90m"`` or ``"2w"``."""
    match = _DURATION.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise ValueError('must be a duration such as "30d", "12h", "90m" or "2w"')
    amount, unit = int(match.group(1)), match.group(2)
    try:
        span = timedelta(**{_UNITS[unit]: amount})
    except OverflowError:
        raise ValueError("duration is too long") from None
    if span > timedelta(days=365 * 200):
        raise ValueError("duration is too long")
    return span


def _numeric(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def is_number(value: Any) -> bool:
    return _numeric(value) and math.isfinite(value) and abs(value) < NUMBER_LIMIT


def _custom_number(value: Any) -> bool:
    """Whether ``value`` is a number to compare a custom field with; ValueError when it is
    a number out of range (an integer must also fit the JSON a segment is saved as)."""
    if not _numeric(value):
        return False
    if not is_number(value):
        raise ValueError(f"a number must lie between -{NUMBER_LIMIT:g} and {NUMBER_LIMIT:g}")
    if isinstance(value, int) and not JSON_INT_MIN <= value <= JSON_INT_MAX:
        raise ValueError(f"an integer must lie between {JSON_INT_MIN} and {JSON_INT_MAX}")
    return True


def _count(value: Any) -> int | float:
    if not _numeric(value) or not math.isfinite(value):
        raise ValueError("must be a number")
    if not COUNT_MIN <= value <= COUNT_MAX:
        raise ValueError(f"must lie between {COUNT_MIN} and {COUNT_MAX}")
    return value  # type: ignore[no-any-return]


def _text(value: Any, *, empty_ok: bool = True) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if len(value) > MAX_TEXT:
        raise ValueError(f"must be at most {MAX_TEXT} characters")
    if not empty_ok and not value:
        raise ValueError("must not be empty")
    return value


def _items(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("must be a list")
    if not value:
        raise ValueError("must not be empty")
    if len(value) > MAX_ITEMS:
        raise ValueError(f"at most {MAX_ITEMS} values")
    return value


def _scalar(field: Field, value: Any) -> Any:
    """One comparable value for eq/neq/in/not_in on ``field``."""
    if field.kind in ("text",):
        return _text(value)
    if field.kind == "preference":
        if value not in PREFERENCE_VALUES:
            raise ValueError("must be one of " + ", ".join(PREFERENCE_VALUES))
        return value
    if field.kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if field.kind == "datetime":
        return parse_datetime(value)
    if field.kind == "number":
        return _count(value)
    # custom: a string, a number or a boolean, compared with the JSON value of that type.
    if isinstance(value, bool) or _custom_number(value):
        return value
    if isinstance(value, str):
        return _text(value)
    raise ValueError("must be a string, a number or a boolean")


def _ordered(field: Field, value: Any) -> Any:
    """One bound of gt/gte/lt/lte/between: a number, or a date for date fields."""
    if field.kind == "datetime":
        return parse_datetime(value)
    if field.kind == "number":
        return _count(value)
    if _custom_number(value):
        return value
    if isinstance(value, str):
        try:
            return parse_datetime(value)
        except OutOfRange:
            raise
        except ValueError:
            pass
    raise ValueError("must be a number or an ISO 8601 date")


def check(field: Field, op: str, value: Any) -> Any:
    """The value of ``field op value`` converted for comparison; ValueError when wrong."""
    if op in PRESENCE:
        if value is not None:
            raise ValueError(f"{op} takes no value")
        return None
    if op in ("eq", "neq"):
        if value is None:
            raise ValueError(f"{op} needs a value; use exists / not_exists to test for none")
        return _scalar(field, value)
    if op in ("in", "not_in"):
        converted = [_scalar(field, item) for item in _items(value)]
        if field.kind == "custom" and len({type(v) is str for v in converted}) > 1:
            raise ValueError("give values of one type: all strings, or numbers and booleans")
        return converted
    if op in TEXT_MATCH:
        return _text(value, empty_ok=False)
    if op in ORDERING:
        if op != "between":
            return _ordered(field, value)
        if not isinstance(value, list) or len(value) != 2:
            raise ValueError("must be a list of two bounds [low, high]")
        low, high = _ordered(field, value[0]), _ordered(field, value[1])
        if type(low) is not type(high) and not (is_number(low) and is_number(high)):
            raise ValueError("both bounds must be numbers or both dates")
        return [low, high]
    if op in RELATIVE:
        return parse_duration(value)
    if op in SET_OPS:
        if op == "has":
            return [_member(field, value)]
        return [_member(field, item) for item in _items(value)]
    raise ValueError(f"unknown op {op}")


def _member(field: Field, value: Any) -> str:
    """A tag (trimmed, as tags are stored) or a list id."""
    if field.source == "lists":
        if not isinstance(value, str):
            raise ValueError("must be a list id")
        try:
            return str(UUID(value))
        except ValueError:
            raise ValueError("must be a list id") from None
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty tag")
    tag = value.strip()
    if len(tag) > 64:
        raise ValueError("tags are at most 64 characters")
    return tag
