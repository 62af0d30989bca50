"""The claim's queries: leasing due deliveries with what sending them needs, and giving
back the leases of unsent ones (see ``roster.webhooks.relay.claims``)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from operator import itemgetter
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Integer,
    Text,
    and_,
    bindparam,
    column,
    exists,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.repository import scoped
from roster.kit.types import UTCDateTime
from roster.models import events, webhook_deliveries, webhook_endpoints
from roster.webhooks.relay.repository import sql

d = webhook_deliveries.c
w = webhook_endpoints.c
UUIDS = ARRAY(webhook_deliveries.c.id.type)
INTS = ARRAY(Integer)

# What sending a delivery needs: the delivery, its endpoint and its event.
DETAILS = (
    d.tenant_id,
    d.id,
    d.endpoint_id,
    d.event_id,
    d.event_seq,
    d.attempts,
    d.next_attempt_at,
    w.url,
    w.enabled,
    w.secret,
    w.previous_secret,
    w.previous_secret_expires_at,
    w.failing_since,
    events.c.type,
    # As text, spliced into the payload (see ``sending.payload``).
    sa_cast(events.c.data, Text).label("data"),
    events.c.created_at.label("event_at"),
)

# The claim on PostgreSQL in one statement (claim.sql says how): ``limit`` is an endpoint's
# room, ``busy``/``room`` the endpoints this relay sends to with their room left, ``full``
# those at their limit.
CLAIM = (
    text(sql("claim.sql"))
    .bindparams(
        bindparam("now", type_=UTCDateTime),
        bindparam("until", type_=UTCDateTime),
        bindparam("capacity", type_=Integer),
        bindparam("limit", type_=Integer),
        bindparam("full", type_=UUIDS),
        bindparam("busy", type_=UUIDS),
        bindparam("room", type_=INTS),
    )
    .columns(
        column("place", Integer),
        *(column(c.key, c.type) for c in DETAILS if c.key not in ("event_seq", "next_attempt_at")),
    )
)


async def claim_postgresql(
    conn: AsyncConnection,
    held: Counter[UUID],
    capacity: int,
    limit: int,
    now: datetime,
    until: datetime,
) -> list[dict[str, Any]]:
    """The claim in one statement: walk the due deliveries (locking them, skipping rows
    another relay is claiming), keep each endpoint within its room, lease them, and return
    them with their event and endpoint."""
    busy = [(endpoint, limit - n) for endpoint, n in held.items() if n > 0]
    result = await conn.execute(
        CLAIM,
        {
            "now": now,
            "until": until,
            "capacity": capacity,
            "limit": limit,
            "full": [endpoint for endpoint, room in busy if room <= 0],
            "busy": [endpoint for endpoint, room in busy if room > 0],
            "room": [room for _, room in busy if room > 0],
        },
    )
    keys = list(result.keys())
    rows = sorted(result.all(), key=itemgetter(0))  # by place: due, then feed position
    return [dict(zip(keys, row, strict=True)) for row in rows]


async def claim_portable(
    conn: AsyncConnection,
    held: Counter[UUID],
    capacity: int,
    limit: int,
    now: datetime,
    until: datetime,
) -> list[dict[str, Any]]:
    """Candidates are read without their payloads (a few more than ``capacity``, since an
    endpoint at its limit is skipped); payloads and endpoint details are read for the
    leased ones only."""
    earlier = webhook_deliveries.alias()
    blocked = exists().where(
        scoped(earlier, d.tenant_id),
        earlier.c.endpoint_id == d.endpoint_id,
        earlier.c.subject_id == d.subject_id,
        earlier.c.status == "pending",
        earlier.c.event_seq < d.event_seq,
    )
    # Ordered as the due index is (status, next_attempt_at), so the database walks it and
    # stops at the limit instead of sorting every due delivery.
    load = Counter(held)
    saturated = [endpoint for endpoint, count in load.items() if count >= limit]
    due = (
        select(d.tenant_id, d.id, d.endpoint_id)
        .where(
            d.status == "pending",
            d.next_attempt_at <= now,
            or_(d.lease_until.is_(None), d.lease_until < now),
            ~blocked,
            *([d.endpoint_id.not_in(saturated)] if saturated else []),
        )
        .order_by(d.next_attempt_at)
        .limit(capacity * 4)
    )
    chosen: list[tuple[UUID, UUID]] = []
    for tenant_id, delivery_id, endpoint_id in (await conn.execute(due)).all():
        if len(chosen) >= capacity:
            break
        if load[endpoint_id] >= limit:
            continue
        load[endpoint_id] += 1
        chosen.append((tenant_id, delivery_id))
    if not chosen:
        return []
    # A lease that another relay took meanwhile is not taken twice: only rows whose lease
    # is still free are updated, and only those come back.
    taken = await conn.execute(
        update(webhook_deliveries)
        .where(
            # With the tenant, so that the primary key (tenant_id, id) finds the rows.
            tuple_(d.tenant_id, d.id).in_(chosen),
            d.status == "pending",
            or_(d.lease_until.is_(None), d.lease_until < now),
        )
        .values(lease_until=until)
        .returning(d.tenant_id, d.id)
    )
    keys = [tuple(row) for row in taken.all()]
    if not keys:
        return []
    details = (
        select(*DETAILS)
        .join(
            webhook_endpoints, and_(scoped(webhook_endpoints, d.tenant_id), w.id == d.endpoint_id)
        )
        .join(events, and_(scoped(events, d.tenant_id), events.c.id == d.event_id))
        .where(tuple_(d.tenant_id, d.id).in_(keys))
    )
    rows = [dict(found._mapping) for found in (await conn.execute(details)).all()]
    order = {delivery_id: n for n, (_, delivery_id) in enumerate(chosen)}
    rows.sort(key=lambda row: order[row["id"]])
    return rows


async def release(conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
    """Free the leases of claimed deliveries that were not sent, so they are claimed again
    at once; a lease another relay has taken meanwhile is left alone."""
    for row in rows:
        await conn.execute(
            update(webhook_deliveries)
            .where(
                scoped(webhook_deliveries, row["tenant_id"]),
                d.id == row["id"],
                d.status == "pending",
                d.lease_until == row["lease_until"],
            )
            .values(lease_until=None)
        )
