"""Writing events, giving them their place in the feed, and forgetting old ones.

``emit`` is called by services inside the unit of work of the change it describes, so a
change that rolls back emits nothing and a committed change always has its event.

Ids are time-ordered but not commit-ordered: a transaction that began first can commit last.
A feed paged by id could then skip an event. So events get their feed position (``seq``)
only after commit, from one sequencer at a time per tenant (an advisory lock keyed by the
tenant on PostgreSQL; SQLite has one writer anyway). A sequencer finds the tenants with
events waiting without locking anything, then numbers one tenant's events at a time, with
the tenant's id in every statement (one shard on Citus). Readers page by ``seq`` and never
miss an event. Features above events take each event as it is sequenced, in the same
transaction, through a hook registered at start-up (``on_sequenced``): webhooks creates its
deliveries there.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, NamedTuple
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.events import outbox_repository
from roster.events.outbox_repository import OutboxRepository
from roster.kit.db import notify_on_commit, wakes_on_commit
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow

EVENT_PREFIX = "evt_"


def render_id(event_id: UUID) -> str:
    return EVENT_PREFIX + event_id.hex


def parse_id(text_id: str) -> UUID | None:
    if not text_id.startswith(EVENT_PREFIX):
        return None
    try:
        return UUID(hex=text_id[len(EVENT_PREFIX) :])
    except ValueError:
        return None


# The transactions that have woken the relays already (the statement runs once in each).
_announced: weakref.WeakSet[Any] = weakref.WeakSet()


async def announce(conn: AsyncConnection) -> None:
    """Call after writing events in ``conn``'s transaction: wakes a relay of this process as
    soon as they are committed, instead of at its next poll. On PostgreSQL, in a process
    without a relay of its own (``roster worker``, a server with ``embedded_relay`` off), it
    wakes an idle relay of another process instead: a ``NOTIFY`` sent at commit, once per
    transaction, only while a relay waits for one (``roster.webhooks.relay.listener``)."""
    notify_on_commit(conn)
    if conn.dialect.name != "postgresql" or wakes_on_commit(conn.engine):
        return  # SQLite: one process relays; else this process's relay is woken at commit
    transaction = conn.sync_connection.get_transaction() if conn.sync_connection else None
    if transaction is None or transaction in _announced:
        return
    _announced.add(transaction)
    await outbox_repository.wake_relays(conn)


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
    row = {
        "id": event_id,
        "type": type_,
        "subject_id": subject_id,
        "data": data,
        "created_at": utcnow(),
    }
    await OutboxRepository(conn, tenant_id).add([row])
    await announce(conn)
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
        {"id": event_id, "type": type_, "subject_id": subject_id, "data": data, "created_at": now}
        for event_id, (type_, data, subject_id) in zip(ids, items, strict=True)
    ]
    if rows:
        await OutboxRepository(conn, tenant_id).add(rows)
        await announce(conn)
    return ids


class Sequenced(NamedTuple):
    """An event that has just been given its feed position ``seq``."""

    id: UUID
    type: str
    subject_id: UUID | None
    seq: int


SequencedHook = Callable[[AsyncConnection, UUID, list[Sequenced], datetime], Awaitable[None]]
"""Takes one tenant's events as they are sequenced, in the sequencer's transaction, with
the time the sequencer read them."""

_on_sequenced: list[SequencedHook] = []


def on_sequenced(hook: SequencedHook) -> None:
    """Call ``hook`` with each tenant's events as they are sequenced (once, however often
    it is registered)."""
    if hook not in _on_sequenced:
        _on_sequenced.append(hook)


async def sequence_pending(
    conn: AsyncConnection, *, tenant_id: UUID | None = None, limit: int = 1000
) -> int:
    """Give committed, unsequenced events their feed position, for one tenant or (the
    relay) for those of the oldest ``limit`` waiting, and hand them to the ``on_sequenced``
    hooks. Returns how many were sequenced; a tenant whose lock another sequencer holds is
    left to that one, whose work covers its events."""
    if tenant_id is not None:
        owners = [(tenant_id, limit)]
    else:
        owners = await outbox_repository.pending_tenants(conn, limit)
    now = utcnow()
    postgresql = conn.dialect.name == "postgresql"
    count = 0
    for owner, most in owners:
        repo = OutboxRepository(conn, owner)
        rows = await repo.pending(most)
        if not rows:
            continue
        # PostgreSQL: the tenant's last position came with its events.
        seq = int(rows[0].top or 0) if postgresql else await repo.top()
        positions = list(range(seq + 1, seq + 1 + len(rows)))
        await repo.number([row.id for row in rows], positions)
        sequenced = [
            Sequenced(row.id, row.type, row.subject_id, position)
            for row, position in zip(rows, positions, strict=True)
        ]
        for hook in _on_sequenced:
            await hook(conn, owner, sequenced, now)
        count += len(rows)
    return count


async def sweep(conn: AsyncConnection, retention_days: int) -> int:
    """Forget events older than the retention, with their finished deliveries, one tenant
    at a time."""
    cutoff = utcnow() - timedelta(days=retention_days)
    gone = 0
    for tenant in await outbox_repository.sweep_tenants(conn, cutoff):
        gone += await OutboxRepository(conn, tenant).sweep(cutoff)
    return gone


async def forget_subject(conn: AsyncConnection, tenant_id: UUID, subject_id: UUID) -> None:
    """Erasure: drop every event about the subject, and its deliveries, pending or not.
    Events carry copies of the contact, so keeping them would keep the personal data."""
    await OutboxRepository(conn, tenant_id).forget_subject(subject_id)
