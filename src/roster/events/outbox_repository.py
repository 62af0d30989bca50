"""Every query of the outbox: writing events, giving them their feed position, forgetting
them.

A tenant's events are written, numbered and forgotten through ``OutboxRepository``. The
sequencer's read of pending events (``pending``) and the retention sweep (``sweep``) look
across tenants, by design: one sequencer numbers every tenant's events, then works one
tenant at a time.
"""

from __future__ import annotations

from datetime import datetime
from importlib import resources
from typing import Any
from uuid import UUID

from sqlalchemy import (
    BigInteger,
    Integer,
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

from roster.kit.repository import TenantRepository, scoped
from roster.models import events, webhook_deliveries

e = events.c
d = webhook_deliveries.c
_SEQUENCER_LOCK = 727_1008
_INSERT = insert(events)


def _sql(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


_PENDING_COLUMNS = (
    column("tenant_id", e.tenant_id.type),
    column("id", e.id.type),
    column("type", e.type.type),
    column("subject_id", e.subject_id.type),
    column("top", BigInteger),
)
_LOCK_AND_LIMIT = (bindparam("k", type_=BigInteger), bindparam("limit", type_=Integer))
# PostgreSQL: the lock, the oldest pending events and their tenants' last positions in one
# round trip, for every tenant (the relay) or for one (the feed).
_PENDING_PG = text(_sql("pending.sql")).bindparams(*_LOCK_AND_LIMIT).columns(*_PENDING_COLUMNS)
_PENDING_PG_TENANT = (
    text(_sql("pending_of_tenant.sql"))
    .bindparams(*_LOCK_AND_LIMIT, bindparam("tenant", type_=e.tenant_id.type))
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


async def pending(conn: AsyncConnection, tenant_id: UUID | None, limit: int) -> list[Any]:
    """The oldest committed events without a feed position (of one tenant, or of all), in
    order, each with ``tenant_id``, ``id``, ``type``, ``subject_id`` and, on PostgreSQL, its
    tenant's last position ``top``. Empty on PostgreSQL when another sequencer holds the
    lock (its work then covers these events); SQLite's write transaction already excludes
    every other sequencer."""
    if conn.dialect.name == "postgresql":
        query = _PENDING_PG_TENANT if tenant_id is not None else _PENDING_PG
        params = {"k": _SEQUENCER_LOCK, "limit": limit, "tenant": tenant_id}
        return list((await conn.execute(query, params)).all())
    unsequenced = select(e.tenant_id, e.id, e.type, e.subject_id).where(e.seq.is_(None))
    if tenant_id is not None:
        unsequenced = unsequenced.where(scoped(events, tenant_id))
    return list((await conn.execute(unsequenced.order_by(e.created_at, e.id).limit(limit))).all())


async def sweep(conn: AsyncConnection, cutoff: datetime) -> int:
    """Delete the deliveries finished before ``cutoff``, then the sequenced events created
    before it that no pending delivery still needs; how many events went."""
    await conn.execute(
        delete(webhook_deliveries).where(d.status != "pending", d.created_at < cutoff)
    )
    needed = (
        select(d.id)
        .where(scoped(webhook_deliveries, e.tenant_id), d.event_id == e.id, d.status == "pending")
        .exists()
    )
    result = await conn.execute(
        delete(events).where(e.created_at < cutoff, e.seq.is_not(None), ~needed)
    )
    return int(result.rowcount or 0)


class OutboxRepository(TenantRepository):
    table = events

    async def add(self, rows: list[dict[str, Any]]) -> None:
        """Insert events (one multi-row insert for several)."""
        if len(rows) == 1:
            await self.conn.execute(_INSERT, {**rows[0], "tenant_id": self.tenant_id})
        elif rows:
            await self.conn.execute(_INSERT, [{**r, "tenant_id": self.tenant_id} for r in rows])

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
