"""Every query of the outbox: writing events, giving them their feed position, forgetting
them.

A tenant's events are written, read for numbering, numbered and forgotten through
``OutboxRepository``. Two reads look across tenants, without locks, by design: which
tenants have events waiting for their feed position (``pending_tenants``), and which have
events old enough to forget (``sweep_tenants``); the work then runs one tenant at a time.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Integer,
    Text,
    bindparam,
    column,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.repository import TenantRepository, scoped
from roster.models import events, webhook_deliveries

e = events.c
d = webhook_deliveries.c
_INSERT = insert(events)
# The channel an idle relay LISTENs on, and the advisory lock it holds while idle (see
# ``roster.webhooks.relay.listener``).
WAKE_CHANNEL = "roster_events"
RELAY_IDLE_LOCK = 727_1009
# PostgreSQL: notify only when an idle relay holds its lock (this transaction cannot take it
# shared); the shared lock, held to commit, makes a relay that is arming wait for the commit.
# No table: on Citus it runs on the coordinator, where the relays listen.
_WAKE = text(
    f"SELECT pg_notify('{WAKE_CHANNEL}', '') "
    f"WHERE NOT pg_try_advisory_xact_lock_shared({RELAY_IDLE_LOCK})"
)


def _sql(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


_PENDING_COLUMNS = (
    column("tenant_id", e.tenant_id.type),
    column("id", e.id.type),
    column("type", e.type.type),
    column("subject_id", e.subject_id.type),
    column("top", BigInteger),
)
# PostgreSQL: the tenant's sequencer lock, its oldest pending events and its last position
# in one round trip.
_PENDING_PG = (
    text(_sql("pending_of_tenant.sql"))
    .bindparams(
        bindparam("k", type_=Text),
        bindparam("limit", type_=Integer),
        bindparam("tenant", type_=e.tenant_id.type),
    )
    .columns(*_PENDING_COLUMNS)
)
_UUIDS = ARRAY(e.id.type)
_NUMBER_PG = text(_sql("number.sql")).bindparams(
    bindparam("owner", type_=e.tenant_id.type),
    bindparam("numbered", type_=_UUIDS),
    bindparam("positions", type_=ARRAY(BigInteger)),
)
# Elsewhere: one statement for the tenant's batch (executemany).
_NUMBER = (
    update(events)
    .where(scoped(events, bindparam("owner")), e.id == bindparam("event"))
    .values(seq=bindparam("position"))
)


async def pending_tenants(conn: AsyncConnection, limit: int) -> list[tuple[UUID, int]]:
    """The tenants of the oldest ``limit`` events without a feed position, the one with the
    oldest event first, each with how many of those events are its own."""
    oldest = (
        select(e.tenant_id, e.created_at)
        .where(e.seq.is_(None))
        .order_by(e.created_at, e.id)
        .limit(limit)
        .subquery()
    )
    query = (
        select(oldest.c.tenant_id, func.count())
        .group_by(oldest.c.tenant_id)
        .order_by(func.min(oldest.c.created_at))
    )
    return [(tenant, int(n)) for tenant, n in (await conn.execute(query)).all()]


async def sweep_tenants(conn: AsyncConnection, cutoff: datetime) -> list[UUID]:
    """The tenants with events or finished deliveries created before ``cutoff``."""
    old_events = select(e.tenant_id).where(e.created_at < cutoff).distinct()
    old_deliveries = (
        select(d.tenant_id).where(d.status != "pending", d.created_at < cutoff).distinct()
    )
    found = set((await conn.execute(old_events)).scalars())
    found.update((await conn.execute(old_deliveries)).scalars())
    return sorted(found)


async def wake_relays(conn: AsyncConnection) -> None:
    """PostgreSQL: wake an idle relay of another process when this transaction commits."""
    await conn.execute(_WAKE)


class OutboxRepository(TenantRepository):
    table = events

    async def add(self, rows: list[dict[str, Any]]) -> None:
        """Insert events (one multi-row insert for several)."""
        if len(rows) == 1:
            await self.conn.execute(_INSERT, {**rows[0], "tenant_id": self.tenant_id})
        elif rows:
            await self.conn.execute(_INSERT, [{**r, "tenant_id": self.tenant_id} for r in rows])

    async def pending(self, limit: int) -> list[Any]:
        """The tenant's oldest committed events without a feed position, in order, each with
        ``tenant_id``, ``id``, ``type``, ``subject_id`` and, on PostgreSQL, the tenant's
        last position ``top``. Empty on PostgreSQL when another sequencer holds the tenant's
        lock (its work then covers these events); SQLite's write transaction already
        excludes every other sequencer."""
        if self.conn.dialect.name == "postgresql":
            params = {"k": f"roster.sequencer:{self.tenant_id}", "limit": limit}
            result = await self.conn.execute(_PENDING_PG, {**params, "tenant": self.tenant_id})
            return list(result.all())
        query = (
            self.select(e.tenant_id, e.id, e.type, e.subject_id)
            .where(e.seq.is_(None))
            .order_by(e.created_at, e.id)
            .limit(limit)
        )
        return list((await self.conn.execute(query)).all())

    async def sweep(self, cutoff: datetime) -> int:
        """Delete the tenant's deliveries finished before ``cutoff``, then its sequenced
        events created before it that no pending delivery still needs; how many events
        went."""
        await self.conn.execute(
            self.delete(webhook_deliveries).where(d.status != "pending", d.created_at < cutoff)
        )
        needed = (
            select(d.id)
            .where(
                scoped(webhook_deliveries, e.tenant_id),
                d.event_id == e.id,
                d.status == "pending",
            )
            .exists()
        )
        result = await self.conn.execute(
            self.delete().where(e.created_at < cutoff, e.seq.is_not(None), ~needed)
        )
        return int(result.rowcount or 0)

    async def top(self) -> int:
        """The tenant's last feed position (0 before any)."""
        value = (await self.conn.execute(self.select(func.max(e.seq)))).scalar()
        return int(value or 0)

    async def number(self, ids: list[UUID], positions: list[int]) -> None:
        """Give the events ``ids`` their feed ``positions``, in one statement."""
        if self.conn.dialect.name == "postgresql":
            params = {"owner": self.tenant_id, "numbered": ids, "positions": positions}
            await self.conn.execute(_NUMBER_PG, params)
            return
        await self.conn.execute(
            _NUMBER,
            [
                {"owner": self.tenant_id, "event": event_id, "position": position}
                for event_id, position in zip(ids, positions, strict=True)
            ],
        )

    async def forget_subject(self, subject_id: UUID) -> None:
        """Delete every event about the subject, and its deliveries, pending or not."""
        await self.conn.execute(self.delete(webhook_deliveries).where(d.subject_id == subject_id))
        await self.conn.execute(self.delete().where(e.subject_id == subject_id))
