"""Typed values for custom fields with a definition: one validator per type.

A validator returns the value as stored (e.g. a trimmed text, a lower-cased email domain)
or raises ValueError with a message for the client.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

from roster.kit import normalize
from roster.kit.jsonutil import JSON_INT_MAX, JSON_INT_MIN
from roster.kit.timeutil import parse_instant

TYPES = ("text", "number", "boolean", "date", "datetime", "enum", "url", "email", "phone")
# (value, region for phone numbers) → the value as stored
Validator = Callable[[Any, str], Any]


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("must be a string")
    if len(value) > 4096:
        raise ValueError("must be at most 4096 characters")
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if isinstance(value, int) and not JSON_INT_MIN <= value <= JSON_INT_MAX:
        raise ValueError(f"an integer must lie between {JSON_INT_MIN} and {JSON_INT_MAX}")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("must be true or false")
    return value


def _date(value: Any) -> str:
    try:
        return date.fromisoformat(_text(value)).isoformat()
    except ValueError:
        raise ValueError("must be a date, YYYY-MM-DD") from None


def _datetime(value: Any) -> str:
    text = _text(value)
    parse_instant(text)
    return text


def _url(value: Any) -> str:
    return normalize.normalize_url(_text(value))


def _email(value: Any) -> str:
    return normalize.normalize_email(_text(value))[0]


def validator(kind: str, options: list[str] | None) -> Validator:
    """The validator for a definition of type ``kind``."""
    if kind == "enum":
        allowed = set(options or [])

        def _enum(value: Any, _region: str) -> str:
            if not isinstance(value, str) or value not in allowed:
                raise ValueError(f"must be one of {', '.join(sorted(allowed))}")
            return value

        return _enum
    if kind == "phone":
        return lambda value, region: normalize.normalize_phone(_text(value), region)
    simple: dict[str, Callable[[Any], Any]] = {
        "text": _text,
        "number": _number,
        "boolean": _boolean,
        "date": _date,
        "datetime": _datetime,
        "url": _url,
        "email": _email,
    }
    check = simple[kind]
    return lambda value, _region: check(value)


_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


def from_text(kind: str, text: str) -> Any:
    """A CSV cell as the JSON value a field of type ``kind`` takes (numbers and booleans are
    written as text in a file); the validator then checks it as it checks any write."""
    if kind == "number":
        try:
            number = int(text) if text.lstrip("+-").isdigit() else float(text)
        except ValueError:
            raise ValueError("must be a number") from None
        return _number(number)
    if kind == "boolean":
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ValueError("must be true or false")
    return text
