"""The queries of the fan-out: a tenant's enabled endpoints with the event types they take,
and the deliveries created for its newly sequenced events."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import BigInteger, bindparam, insert, text
from sqlalchemy.dialects.postgresql import ARRAY

from roster.kit.ids import uuid7
from roster.kit.repository import TenantRepository
from roster.kit.types import UTCDateTime
from roster.models import webhook_deliveries, webhook_endpoints
from roster.webhooks.relay.repository import sql

d = webhook_deliveries.c
w = webhook_endpoints.c
_UUIDS = ARRAY(d.id.type)
_ADD_PG = text(sql("deliveries.sql")).bindparams(
    bindparam("owner", type_=d.tenant_id.type),
    bindparam("now", type_=UTCDateTime),
    bindparam("ids", type_=_UUIDS),
    bindparam("endpoints", type_=_UUIDS),
    bindparam("events", type_=_UUIDS),
    bindparam("event_positions", type_=ARRAY(BigInteger)),
    bindparam("subjects", type_=_UUIDS),
)
_ADD = insert(webhook_deliveries)

# A delivery to create: (endpoint, event, the event's feed position, its subject).
New = tuple[UUID, UUID, int, UUID | None]


class FanoutRepository(TenantRepository):
    table = webhook_deliveries

    async def subscribers(self) -> list[tuple[UUID, list[str]]]:
        """The tenant's enabled endpoints, each with its event type patterns."""
        query = self.select(w.id, w.events, table=webhook_endpoints).where(w.enabled)
        return [(row.id, row.events) for row in (await self.conn.execute(query)).all()]

    async def add(self, new: list[New], now: datetime) -> None:
        """Create pending deliveries, due at ``now``, in one statement."""
        if not new:
            return
        if self.conn.dialect.name == "postgresql":
            params: dict[str, Any] = {
                "owner": self.tenant_id,
                "now": now,
                "ids": [uuid7() for _ in new],
                "endpoints": [endpoint for endpoint, _, _, _ in new],
                "events": [event for _, event, _, _ in new],
                "event_positions": [position for _, _, position, _ in new],
                "subjects": [subject for _, _, _, subject in new],
            }
            await self.conn.execute(_ADD_PG, params)
            return
        await self.conn.execute(
            _ADD,
            [
                {
                    "tenant_id": self.tenant_id,
                    "id": uuid7(),
                    "endpoint_id": endpoint,
                    "event_id": event,
                    "event_seq": position,
                    "subject_id": subject,
                    "status": "pending",
                    "attempts": 0,
                    "next_attempt_at": now,
                    "created_at": now,
                }
                for endpoint, event, position, subject in new
            ],
        )
