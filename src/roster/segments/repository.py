"""Every query on segments, each starting from the tenant-scoped base."""

from __future__ import annotations

from uuid import UUID

from roster.kit.repository import NamedRepository
from roster.models import segments


class SegmentRepository(NamedRepository):
    table = segments

    async def remove(self, segment_id: UUID) -> None:
        await self.conn.execute(self.delete().where(segments.c.id == segment_id))
