"""UTC timestamps at millisecond precision, rendered as RFC 3339 with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Now, truncated to milliseconds so that what is stored is exactly what is rendered."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def rfc3339(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(UTC)
    # isoformat, not strftime: a fifth less time, and years below 1000 keep four digits.
    return value.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"
