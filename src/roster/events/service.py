"""The change feed: a tenant's events, oldest first, from a given event on."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal
from roster.errors import InvalidRequest
from roster.events.outbox import parse_id, render_id
from roster.events.repository import EventRepository
from roster.kit.pagination import Page
from roster.kit.timeutil import rfc3339

TYPE = re.compile(r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$")


def render(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": render_id(row["id"]),
        "type": row["type"],
        "created_at": rfc3339(row["created_at"]),
        "data": row["data"],
    }


def _checked(types: list[str]) -> list[str]:
    """The type filters, checked; none when any is ``*``."""
    for t in types:
        if not TYPE.match(t):
            raise InvalidRequest(f"type {t!r} is not an event type or a pattern like contact.*")
    return [] if "*" in types else types


async def _position(repo: EventRepository, name: str, cursor: str) -> int:
    event_id = parse_id(cursor)
    found = await repo.seq_of(event_id) if event_id else None
    if found is None:
        raise InvalidRequest(f"{name}: no such event (it may be older than the retention)")
    return found


async def feed(
    conn: AsyncConnection, principal: Principal, *, after: str | None, types: list[str], limit: int
) -> Page:
    types = _checked(types)
    repo = EventRepository(conn, principal.tenant_id)
    seq = await _position(repo, "after", after) if after else 0
    rows = await repo.after(seq, types, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    # The feed's cursor is simply the last event's id: pass it back as `after`.
    next_cursor = render_id(rows[-1]["id"]) if rows else after
    return Page(rows=rows, has_more=has_more, next_cursor=next_cursor)


async def recent(
    conn: AsyncConnection, principal: Principal, *, before: str | None, types: list[str], limit: int
) -> Page:
    """The feed read backwards, newest first: the events before the event ``before`` (an
    event id, as the feed's cursors are), or the latest ones."""
    types = _checked(types)
    repo = EventRepository(conn, principal.tenant_id)
    seq = await _position(repo, "before", before) if before else None
    rows = await repo.before(seq, types, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = render_id(rows[-1]["id"]) if has_more else None
    return Page(rows=rows, has_more=has_more, next_cursor=next_cursor)
