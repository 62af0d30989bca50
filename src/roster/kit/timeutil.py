"""UTC timestamps at millisecond precision, rendered as RFC 3339 with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, truncated to milliseconds so that what is stored is exactly what is rendered."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


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
    # isoformat, not strftime: a fifth less time, and years below 1000 keep four digits.
    if value.tzinfo is UTC:
        text = value.isoformat(timespec="milliseconds")[:-6] + "Z"
    else:
        utc = value.astimezone(UTC) if value.tzinfo is not None and value.utcoffset() else value
        text = utc.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
    _last = (value, text)
    return text
