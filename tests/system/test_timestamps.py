"""Timestamps as the API writes them: RFC 3339, UTC, milliseconds, a Z."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from roster.kit.timeutil import rfc3339


def test_every_timestamp_is_written_in_utc_with_milliseconds() -> None:
    at = datetime(2026, 1, 2, 3, 4, 5, 678999, tzinfo=UTC)
    plus_two = datetime(2026, 1, 2, 5, 4, 5, 678000, tzinfo=timezone(timedelta(hours=2)))
    cases = [
        (at, "2026-01-02T03:04:05.678Z"),
        (plus_two, "2026-01-02T03:04:05.678Z"),
        (datetime(2026, 1, 2, 3, 4, 5), "2026-01-02T03:04:05.000Z"),  # naive: taken as UTC
        (datetime(999, 1, 1, tzinfo=UTC), "0999-01-01T00:00:00.000Z"),
        (datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(0))), "2026-01-02T03:04:05.000Z"),
    ]
    # Each twice, and again in another order: the last value's text is kept, so a value
    # must never be answered with the text of the one before it.
    for value, text in [*cases, *cases, *reversed(cases)]:
        assert rfc3339(value) == text
        assert rfc3339(value) == text
    assert rfc3339(None) is None
    # Equal instants that are different objects render alike.
    assert rfc3339(at.replace()) == rfc3339(at.astimezone(timezone(timedelta(hours=-5))))
