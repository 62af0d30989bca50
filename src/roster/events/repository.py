"""Tenant-scoped reads of the event log."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, or_

from roster.kit.repository import TenantRepository
from roster.models import events

e = events.c


class EventRepository(TenantRepository):
    table = events

    async def seq_of(self, event_id: UUID) -> int | None:
        query = self.select(e.seq).where(e.id == event_id)
        value = (await self.conn.execute(query)).scalar_one_or_none()
        return int(value) if value is not None else None

    async def get(self, event_id: UUID) -> dict[str, Any] | None:
        row = (await self.conn.execute(self.select().where(e.id == event_id))).first()
        return dict(row._mapping) if row else None

    async def after(self, seq: int, types: list[str], limit: int) -> list[dict[str, Any]]:
        query = self.select().where(e.seq > seq, *_of_types(types))
        rows = await self.conn.execute(query.order_by(e.seq).limit(limit))
        return [dict(r._mapping) for r in rows]

    async def before(self, seq: int | None, types: list[str], limit: int) -> list[dict[str, Any]]:
        """Newest first: the sequenced events before position ``seq`` (all when None)."""
        query = self.select().where(
            e.seq.is_not(None) if seq is None else e.seq < seq, *_of_types(types)
        )
        rows = await self.conn.execute(query.order_by(e.seq.desc()).limit(limit))
        return [dict(r._mapping) for r in rows]


def _of_types(types: list[str]) -> list[ColumnElement[bool]]:
    """The condition that an event is of one of ``types`` (exact, or ``family.*``); none
    when ``types`` is empty."""
    if not types:
        return []
    return [
        or_(
            *(
                e.type.like(t[:-1].replace("%", "").replace("_", r"\_") + "%", escape="\\")
                if t.endswith(".*")
                else e.type == t
                for t in types
            )
        )
    ]
