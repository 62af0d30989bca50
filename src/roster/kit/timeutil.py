"""UTC timestamps at millisecond precision, rendered as RFC 3339 with a ``Z``; and the one
parser of every instant a client sends (query parameters, bodies, filter values)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

# Every instant Roster takes lies in years 1-9999 once converted to UTC: what Python's
# datetime holds, and both engines store. 9999-12-31T23:59:59-05:00 is a valid RFC 3339
# text whose instant is in year 10000, so the range is checked after the conversion.
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
OUT_OF_RANGE = "must lie between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z in UTC"
NEEDS_OFFSET = "must be an RFC 3339 date-time with an offset, e.g. 2026-11-22T08:00:00Z"
NOT_ISO = "must be an ISO 8601 date or date-time, e.g. 2026-11-01T08:00:00Z"

# A date, optionally a time (seconds and their fraction optional) and an offset. The same
# shape is checked in SQL before a stored custom-field string is read as a date
# (migration 0006, filters/jsonsql.py), where the separator is T or a space.
_INSTANT = re.compile(
    r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$"
)
_OFFSET = re.compile(r"([Zz]|[+-]\d{2}(:?\d{2})?)$")


class OutOfRange(ValueError):
    """A well-formed date whose instant lies outside ``EARLIEST``..``LATEST`` in UTC."""


def utcnow() -> datetime:
    """Now, truncated to milliseconds so that what is stored is exactly what is rendered."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def parse_instant(value: Any, *, offset_required: bool = True) -> datetime:
    """The instant an RFC 3339 / ISO 8601 text names, as an aware UTC datetime.

    With ``offset_required`` (every input but filter values) the text must be a date-time
    with ``Z`` or an offset; without it a date, or a date-time with no offset, is read as
    UTC. Raises ValueError with a short phrase for the client when the text is not such a
    date, or ``OutOfRange`` when its instant falls outside ``EARLIEST``..``LATEST`` in UTC.
    """
    shape = NEEDS_OFFSET if offset_required else NOT_ISO
    if not isinstance(value, str) or not _INSTANT.fullmatch(value):
        raise ValueError(shape)
    has_offset = len(value) > 10 and _OFFSET.search(value[16:]) is not None
    if offset_required and not has_offset:
        raise ValueError(shape)
    text = value.replace("t", "T")
    text = text[:-1] + "+00:00" if text[-1] in "Zz" else text
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        if value[:4] == "0000":
            raise OutOfRange(OUT_OF_RANGE) from None
        raise ValueError("not a valid date") from None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise OutOfRange(OUT_OF_RANGE) from None


def checked_instant(value: datetime) -> datetime:
    """An aware datetime given by Python code, as UTC; ValueError as ``parse_instant``."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(NEEDS_OFFSET)
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise OutOfRange(OUT_OF_RANGE) from None


def _instant_field(value: Any) -> datetime:
    try:
        if isinstance(value, datetime):
            return checked_instant(value)
        return parse_instant(value)
    except ValueError as exc:
        raise PydanticCustomError("datetime", str(exc)) from None


Instant = Annotated[datetime, BeforeValidator(_instant_field)]
"""A request-body field holding an instant: documented as ``date-time``, read by
``parse_instant`` (an offset required, years 1-9999 in UTC), an aware UTC datetime."""

INSTANT: dict[str, Any] = {"json_schema_extra": {"format": "date-time"}}
"""``Query(**INSTANT)``: a query parameter taken as text and read by ``parse_instant``
(a 400 naming it), documented as ``date-time``."""


# The length of orjson's quoted text of a UTC moment with microseconds.
_WRITTEN = len(b'"2026-01-01T00:00:00.000001Z"')
# The last value rendered and its text: a bulk write renders the same timestamp (its
# chunk's "now") for every contact it writes, twice each.
_last: tuple[datetime | None, str | None] = (None, None)


def rfc3339(value: datetime | None) -> str | None:
    global _last
    if value is None:
        return None
    last, text = _last  # one tuple, replaced whole: a thread never sees half of it
    if value is last:
        return text
    if value.tzinfo is UTC:
        # orjson writes a UTC moment with microseconds as "YYYY-MM-DDTHH:MM:SS.ffffffZ" in
        # a quarter of isoformat's time; without microseconds it writes a shorter form, and
        # isoformat (which keeps four-digit years below 1000 too) writes it instead.
        written = orjson.dumps(value, option=orjson.OPT_UTC_Z)
        if len(written) == _WRITTEN:
            text = written[1:24].decode() + "Z"
        else:
            text = value.isoformat(timespec="milliseconds")[:-6] + "Z"
    else:
        utc = value.astimezone(UTC) if value.tzinfo is not None and value.utcoffset() else value
        text = utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    _last = (value, text)
    return text
