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

import orjson
from sqlalchemy import (
    BigInteger,
    Integer,
    Text,
    and_,
    bindparam,
    column,
    delete,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.db import notify_on_commit
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow
from roster.kit.types import UTCDateTime
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


async def sequence_pending(
    conn: AsyncConnection, *, tenant_id: UUID | None = None, limit: int = 1000
) -> int:
    """Give committed, unsequenced events their feed position and create their webhook
    deliveries, for one tenant or (the relay) for all. Returns how many were sequenced;
    0 when another sequencer holds the lock, whose work then covers these events."""
    postgresql = conn.dialect.name == "postgresql"
    if postgresql:
        # The lock, the pending events and each tenant's last position in one round trip.
        query = _PENDING_PG_TENANT if tenant_id is not None else _PENDING_PG
        pending = (
            await conn.execute(query, {"k": _SEQUENCER_LOCK, "limit": limit, "tenant": tenant_id})
        ).all()
    else:
        # SQLite: the write transaction already excludes every other sequencer.
        unsequenced = select(e.tenant_id, e.id, e.type, e.subject_id).where(e.seq.is_(None))
        if tenant_id is not None:
            unsequenced = unsequenced.where(e.tenant_id == tenant_id)
        pending = (await conn.execute(unsequenced.order_by(e.created_at, e.id).limit(limit))).all()
    if not pending:
        return 0
    by_tenant: dict[UUID, list[Any]] = defaultdict(list)
    for row in pending:
        by_tenant[row.tenant_id].append(row)
    now = utcnow()
    for owner, rows in by_tenant.items():
        if postgresql:
            # The tenant's last position and enabled endpoints came with its events.
            seq = int(rows[0].top or 0)
            endpoints = [(UUID(id_), patterns) for id_, patterns in orjson.loads(rows[0].hooks)]
        else:
            top = await conn.execute(select(func.max(e.seq)).where(e.tenant_id == owner))
            seq = int(top.scalar() or 0)
            endpoints = [
                (endpoint.id, endpoint.events)
                for endpoint in (
                    await conn.execute(
                        select(webhook_endpoints.c.id, webhook_endpoints.c.events).where(
                            webhook_endpoints.c.tenant_id == owner, webhook_endpoints.c.enabled
                        )
                    )
                ).all()
            ]
        positions = list(range(seq + 1, seq + 1 + len(rows)))
        # Which endpoints take which event: decided once per event type, not per event.
        takers: dict[str, list[UUID]] = {}
        fanout: list[tuple[UUID, Any, int]] = []  # (endpoint, event row, position)
        for row, position in zip(rows, positions, strict=True):
            found = takers.get(row.type)
            if found is None:
                found = [id_ for id_, patterns in endpoints if matches(patterns, row.type)]
                takers[row.type] = found
            fanout += [(endpoint, row, position) for endpoint in found]
        if postgresql:
            # One statement for the batch, whatever its size: the values travel as arrays.
            await conn.execute(
                _NUMBER_AND_FAN_OUT_PG,
                {
                    "owner": owner,
                    "now": now,
                    "numbered": [row.id for row in rows],
                    "positions": positions,
                    "ids": [uuid7() for _ in fanout],
                    "endpoints": [endpoint for endpoint, _, _ in fanout],
                    "events": [row.id for _, row, _ in fanout],
                    "event_positions": [position for _, _, position in fanout],
                    "subjects": [row.subject_id for _, row, _ in fanout],
                },
            )
            continue
        # One statement for the tenant's batch (executemany), not one round trip per event.
        await conn.execute(
            _NUMBER,
            [
                {"owner": owner, "event": row.id, "position": position}
                for row, position in zip(rows, positions, strict=True)
            ],
        )
        if fanout:
            await conn.execute(
                insert(webhook_deliveries),
                [
                    {
                        "tenant_id": owner,
                        "id": uuid7(),
                        "endpoint_id": endpoint,
                        "event_id": row.id,
                        "event_seq": position,
                        "subject_id": row.subject_id,
                        "status": "pending",
                        "attempts": 0,
                        "next_attempt_at": now,
                        "created_at": now,
                    }
                    for endpoint, row, position in fanout
                ],
            )
    return len(pending)


_NUMBER = (
    update(events)
    .where(e.tenant_id == bindparam("owner"), e.id == bindparam("event"))
    .values(seq=bindparam("position"))
)

_UUIDS = ARRAY(e.id.type)

# The sequencer lock (not waited for: when another sequencer holds it, nothing comes back)
# with the oldest unsequenced events, each with its tenant's last feed position and enabled
# endpoints (a JSON text of [id, patterns] pairs, read once per tenant: ``tops`` is
# materialized, or PostgreSQL ran its subqueries once per event).
_PENDING_SQL = """
    WITH locked AS MATERIALIZED (SELECT pg_try_advisory_xact_lock(:k) AS got),
    pending AS MATERIALIZED (
        SELECT tenant_id, id, type, subject_id, created_at FROM events
        WHERE seq IS NULL {tenant} AND (SELECT got FROM locked)
        ORDER BY created_at, id
        LIMIT :limit
    ),
    tops AS MATERIALIZED (
        SELECT owners.tenant_id,
               (SELECT max(seq) FROM events AS x WHERE x.tenant_id = owners.tenant_id) AS top,
               (SELECT coalesce(json_agg(json_build_array(w.id, w.events)), '[]')::text
                FROM webhook_endpoints AS w
                WHERE w.tenant_id = owners.tenant_id AND w.enabled) AS hooks
        FROM (SELECT DISTINCT tenant_id FROM pending) AS owners
    )
    SELECT pending.tenant_id, pending.id, pending.type, pending.subject_id, tops.top,
           tops.hooks
    FROM pending JOIN tops ON tops.tenant_id = pending.tenant_id
    ORDER BY pending.created_at, pending.id
"""
_PENDING_COLUMNS = (
    column("tenant_id", e.tenant_id.type),
    column("id", e.id.type),
    column("type", e.type.type),
    column("subject_id", e.subject_id.type),
    column("top", BigInteger),
    column("hooks", Text),
)
_PENDING_PG = (
    text(_PENDING_SQL.format(tenant=""))
    .bindparams(bindparam("k", type_=BigInteger), bindparam("limit", type_=Integer))
    .columns(*_PENDING_COLUMNS)
)
_PENDING_PG_TENANT = (
    text(_PENDING_SQL.format(tenant="AND tenant_id = :tenant"))
    .bindparams(
        bindparam("k", type_=BigInteger),
        bindparam("limit", type_=Integer),
        bindparam("tenant", type_=e.tenant_id.type),
    )
    .columns(*_PENDING_COLUMNS)
)

_NUMBER_AND_FAN_OUT_PG = text(
    """
    WITH numbered AS (
        UPDATE events SET seq = numbered.position
        FROM unnest(:numbered, :positions) AS numbered(id, position)
        WHERE events.tenant_id = :owner AND events.id = numbered.id
    )
    INSERT INTO webhook_deliveries (tenant_id, id, endpoint_id, event_id, event_seq,
        subject_id, status, attempts, next_attempt_at, created_at)
    SELECT :owner, new.id, new.endpoint_id, new.event_id, new.position, new.subject_id,
        'pending', 0, :now, :now
    FROM unnest(:ids, :endpoints, :events, :event_positions, :subjects)
        AS new(id, endpoint_id, event_id, position, subject_id)
    """
).bindparams(
    bindparam("owner", type_=e.tenant_id.type),
    bindparam("now", type_=UTCDateTime),
    bindparam("numbered", type_=_UUIDS),
    bindparam("positions", type_=ARRAY(BigInteger)),
    bindparam("ids", type_=_UUIDS),
    bindparam("endpoints", type_=_UUIDS),
    bindparam("events", type_=_UUIDS),
    bindparam("event_positions", type_=ARRAY(BigInteger)),
    bindparam("subjects", type_=_UUIDS),
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
