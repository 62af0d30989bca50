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
    func,
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

# PostgreSQL: the endpoints with due deliveries (claimable.sql), then one tenant's claim in
# one statement (claim.sql says how): ``endpoints``/``takes`` the tenant's endpoints with
# how many each may take, ``capacity`` how many in all.
CLAIMABLE = (
    text(sql("claimable.sql"))
    .bindparams(bindparam("now", type_=UTCDateTime), bindparam("full", type_=UUIDS))
    .columns(
        column("tenant_id", d.tenant_id.type),
        column("endpoint_id", d.endpoint_id.type),
        column("due", UTCDateTime),
    )
)
CLAIM = (
    text(sql("claim.sql"))
    .bindparams(
        bindparam("tenant", type_=d.tenant_id.type),
        bindparam("now", type_=UTCDateTime),
        bindparam("until", type_=UTCDateTime),
        bindparam("capacity", type_=Integer),
        bindparam("endpoints", type_=UUIDS),
        bindparam("takes", type_=INTS),
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
    """Find the endpoints with due deliveries (locking nothing), then claim tenant by
    tenant, the one with the oldest due delivery first, each in one statement that walks
    its endpoints' due deliveries (locking them, skipping rows another relay is claiming),
    leases them and returns them with their event and endpoint. Each endpoint takes at
    most its room (``limit`` less what this relay holds) and its share of twice the
    capacity, and each tenant an even part of what the tenants before it left, so one
    tenant's backlog leaves room for the others'."""
    full = [endpoint for endpoint, n in held.items() if n >= limit]
    found = (await conn.execute(CLAIMABLE, {"now": now, "full": full})).all()
    if not found:
        return []
    share = (2 * capacity + len(found) - 1) // len(found)
    tenants: dict[UUID, list[tuple[UUID, int]]] = {}
    for tenant, endpoint, _ in sorted(found, key=itemgetter(2)):
        take = min(limit - held[endpoint], share, capacity)
        tenants.setdefault(tenant, []).append((endpoint, take))
    claimed: list[dict[str, Any]] = []
    for n, (tenant, endpoints) in enumerate(tenants.items()):
        # An even part of what is left for each tenant still to come: one tenant's backlog
        # does not take the whole pass.
        left = capacity - len(claimed)
        part = -(-left // (len(tenants) - n))
        if part <= 0:
            break
        params = {
            "tenant": tenant,
            "now": now,
            "until": until,
            "capacity": part,
            "endpoints": [endpoint for endpoint, _ in endpoints],
            "takes": [take for _, take in endpoints],
        }
        result = await conn.execute(CLAIM, params)
        keys = list(result.keys())
        rows = sorted(result.all(), key=itemgetter(0))  # by place: due, then feed position
        claimed += [dict(zip(keys, row, strict=True)) for row in rows]
    return claimed


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
    # Each endpoint's first due delivery, then each one's second, and so on: one endpoint's
    # backlog does not fill the walk ahead of the others' deliveries.
    load = Counter(held)
    saturated = [endpoint for endpoint, count in load.items() if count >= limit]
    rank = func.row_number().over(partition_by=d.endpoint_id, order_by=d.next_attempt_at)
    ranked = (
        select(d.tenant_id, d.id, d.endpoint_id, d.next_attempt_at, rank.label("rank"))
        .where(
            d.status == "pending",
            d.next_attempt_at <= now,
            or_(d.lease_until.is_(None), d.lease_until < now),
            ~blocked,
            *([d.endpoint_id.not_in(saturated)] if saturated else []),
        )
        .subquery()
    )
    r = ranked.c
    due = (
        select(r.tenant_id, r.id, r.endpoint_id)
        .order_by(r.rank, r.next_attempt_at)
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
