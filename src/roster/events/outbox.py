"""Writing events, giving them their place in the feed, and forgetting old ones.

``emit`` is called by services inside the unit of work of the change it describes, so a
change that rolls back emits nothing and a committed change always has its event.

Ids are time-ordered but not commit-ordered: a transaction that began first can commit last.
A feed paged by id could then skip an event. So events get their feed position (``seq``)
only after commit, from one sequencer at a time (an advisory lock on PostgreSQL; SQLite has
one writer anyway). Readers page by ``seq`` and never miss an event. The sequencer also fans
each event out to the webhook endpoints that subscribe to it, in the same transaction.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.db import notify_on_commit
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow
from roster.models import events, webhook_deliveries, webhook_endpoints

EVENT_PREFIX = "evt_"
_SEQUENCER_LOCK = 727_1008
e = events.c


def render_id(event_id: UUID) -> str:
    return EVENT_PREFIX + event_id.hex


def parse_id(text_id: str) -> UUID | None:
    if not text_id.startswith(EVENT_PREFIX):
        return None
    try:
        return UUID(hex=text_id[len(EVENT_PREFIX) :])
    except ValueError:
        return None


async def emit(
    conn: AsyncConnection,
    tenant_id: UUID,
    type_: str,
    data: dict[str, Any],
    *,
    subject_id: UUID | None = None,
) -> UUID:
    """Record one event in the caller's transaction."""
    event_id = uuid7()
    await conn.execute(
        insert(events),
        {
            "tenant_id": tenant_id,
            "id": event_id,
            "type": type_,
            "subject_id": subject_id,
            "data": data,
            "created_at": utcnow(),
        },
    )
    # Wakes an in-process relay as soon as the event is committed, instead of at its next poll.
    notify_on_commit(conn)
    return event_id


async def emit_many(
    conn: AsyncConnection,
    tenant_id: UUID,
    items: list[tuple[str, dict[str, Any], UUID | None]],
) -> list[UUID]:
    """Record events ``(type, data, subject_id)`` in the caller's transaction, in order,
    with one multi-row insert."""
    now = utcnow()
    ids = [uuid7() for _ in items]
    rows = [
        {
            "tenant_id": tenant_id,
            "id": event_id,
            "type": type_,
            "subject_id": subject_id,
            "data": data,
            "created_at": now,
        }
        for event_id, (type_, data, subject_id) in zip(ids, items, strict=True)
    ]
    if rows:
        await conn.execute(insert(events), rows)
        notify_on_commit(conn)
    return ids


def matches(patterns: list[str], type_: str) -> bool:
    """``*`` matches every type, ``contact.*`` every type under ``contact.``."""
    for pattern in patterns:
        if pattern == "*" or pattern == type_:
            return True
        if pattern.endswith(".*") and type_.startswith(pattern[:-1]):
            return True
    return False


async def _take_lock(conn: AsyncConnection) -> bool:
    if conn.dialect.name != "postgresql":
        return True  # SQLite: the write transaction already excludes every other writer
    got = await conn.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _SEQUENCER_LOCK})
    return bool(got.scalar())


async def sequence_pending(
    conn: AsyncConnection, *, tenant_id: UUID | None = None, limit: int = 1000
) -> int:
    """Give committed, unsequenced events their feed position and create their webhook
    deliveries, for one tenant or (the relay) for all. Returns how many were sequenced;
    0 when another sequencer holds the lock, whose work then covers these events."""
    if not await _take_lock(conn):
        return 0
    query = select(e.tenant_id, e.id, e.type, e.subject_id).where(e.seq.is_(None))
    if tenant_id is not None:
        query = query.where(e.tenant_id == tenant_id)
    pending = (await conn.execute(query.order_by(e.created_at, e.id).limit(limit))).all()
    if not pending:
        return 0
    by_tenant: dict[UUID, list[Any]] = defaultdict(list)
    for row in pending:
        by_tenant[row.tenant_id].append(row)
    now = utcnow()
    for owner, rows in by_tenant.items():
        top = (await conn.execute(select(func.max(e.seq)).where(e.tenant_id == owner))).scalar()
        seq = int(top or 0)
        endpoints = (
            await conn.execute(
                select(webhook_endpoints.c.id, webhook_endpoints.c.events).where(
                    webhook_endpoints.c.tenant_id == owner, webhook_endpoints.c.enabled
                )
            )
        ).all()
        deliveries = []
        numbered = []
        for row in rows:
            seq += 1
            numbered.append({"owner": owner, "event": row.id, "position": seq})
            deliveries += [
                {
                    "tenant_id": owner,
                    "id": uuid7(),
                    "endpoint_id": endpoint.id,
                    "event_id": row.id,
                    "event_seq": seq,
                    "subject_id": row.subject_id,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for endpoint in endpoints
                if matches(endpoint.events, row.type)
            ]
        # One statement for the tenant's batch (executemany), not one round trip per event.
        await conn.execute(_NUMBER, numbered)
        if deliveries:
            await conn.execute(insert(webhook_deliveries), deliveries)
    return len(pending)


_NUMBER = (
    update(events)
    .where(e.tenant_id == bindparam("owner"), e.id == bindparam("event"))
    .values(seq=bindparam("position"))
)


async def sweep(conn: AsyncConnection, retention_days: int) -> int:
    """Forget events older than the retention, with their finished deliveries."""
    cutoff = utcnow() - timedelta(days=retention_days)
    d = webhook_deliveries.c
    await conn.execute(
        delete(webhook_deliveries).where(d.status != "pending", d.created_at < cutoff)
    )
    result = await conn.execute(
        delete(events).where(
            e.created_at < cutoff,
            e.seq.is_not(None),
            ~select(d.id)
            .where(and_(d.tenant_id == e.tenant_id, d.event_id == e.id, d.status == "pending"))
            .exists(),
        )
    )
    return int(result.rowcount or 0)


async def forget_subject(conn: AsyncConnection, tenant_id: UUID, subject_id: UUID) -> None:
    """Erasure: drop every event about the subject, and its deliveries, pending or not.
    Events carry copies of the contact, so keeping them would keep the personal data."""
    d = webhook_deliveries.c
    await conn.execute(
        delete(webhook_deliveries).where(d.tenant_id == tenant_id, d.subject_id == subject_id)
    )
    await conn.execute(delete(events).where(e.tenant_id == tenant_id, e.subject_id == subject_id))
