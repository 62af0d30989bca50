"""Tenant-scoped queries on webhook endpoints and their deliveries."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import tuple_

from roster.kit.repository import TenantRepository
from roster.models import webhook_deliveries, webhook_endpoints

w = webhook_endpoints.c
d = webhook_deliveries.c


class WebhookRepository(TenantRepository):
    table = webhook_endpoints

    async def get(self, endpoint_id: UUID) -> dict[str, Any] | None:
        row = (await self.conn.execute(self.select().where(w.id == endpoint_id))).first()
        return dict(row._mapping) if row else None

    async def page(self, after: UUID | None, limit: int) -> list[dict[str, Any]]:
        query = self.select().order_by(w.id).limit(limit)
        if after is not None:
            query = query.where(w.id > after)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def set(self, endpoint_id: UUID, **values: Any) -> None:
        await self.conn.execute(self.update().where(w.id == endpoint_id).values(**values))

    async def remove(self, endpoint_id: UUID) -> bool:
        result = await self.conn.execute(self.delete().where(w.id == endpoint_id))
        return bool(result.rowcount)

    async def delivery(self, endpoint_id: UUID, delivery_id: UUID) -> dict[str, Any] | None:
        query = self.select(table=webhook_deliveries).where(
            d.endpoint_id == endpoint_id, d.id == delivery_id
        )
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def deliveries(
        self, endpoint_id: UUID, after: list[Any] | None, limit: int
    ) -> list[dict[str, Any]]:
        """Newest first."""
        query = self.select(table=webhook_deliveries).where(d.endpoint_id == endpoint_id)
        if after is not None:
            query = query.where(tuple_(d.event_seq, d.id) < tuple_(*after))
        query = query.order_by(d.event_seq.desc(), d.id.desc()).limit(limit)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def set_delivery(self, delivery_id: UUID, **values: Any) -> None:
        await self.conn.execute(
            self.update(webhook_deliveries).where(d.id == delivery_id).values(**values)
        )
