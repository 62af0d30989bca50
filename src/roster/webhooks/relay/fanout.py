"""The fan-out: as the sequencer gives events their feed position, each enabled endpoint
that subscribes to an event's type gets a delivery of it, in the sequencer's transaction.

Events know nothing of webhooks: ``install`` registers ``fan_out`` with the sequencer
(``roster.events.outbox.on_sequenced``) in every process that sequences events.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.events.outbox import Sequenced, on_sequenced
from roster.webhooks.relay.repository.fanout import FanoutRepository, New


def matches(patterns: list[str], type_: str) -> bool:
    """``*`` matches every type, ``contact.*`` every type under ``contact.``."""
    for pattern in patterns:
        if pattern == "*" or pattern == type_:
            return True
        if pattern.endswith(".*") and type_.startswith(pattern[:-1]):
            return True
    return False


async def fan_out(
    conn: AsyncConnection, tenant_id: UUID, sequenced: list[Sequenced], now: datetime
) -> None:
    """Create the deliveries of one tenant's newly sequenced events, due at ``now``."""
    repo = FanoutRepository(conn, tenant_id)
    endpoints = await repo.subscribers()
    if not endpoints:
        return
    # Which endpoints take which event: decided once per event type, not per event.
    takers: dict[str, list[UUID]] = {}
    new: list[New] = []
    for event in sequenced:
        found = takers.get(event.type)
        if found is None:
            found = [id_ for id_, patterns in endpoints if matches(patterns, event.type)]
            takers[event.type] = found
        new += [(endpoint, event.id, event.seq, event.subject_id) for endpoint in found]
    await repo.add(new, now)


def install() -> None:
    """Create deliveries as events are sequenced, in this process (once, however often it
    is called)."""
    on_sequenced(fan_out)
