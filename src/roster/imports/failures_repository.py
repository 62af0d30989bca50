"""The query behind an import's error file: its failed rows, a batch at a time."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from roster.kit.repository import TenantRepository
from roster.models import import_errors


class FailureRepository(TenantRepository):
    table = import_errors

    async def after(self, job_id: UUID, after: tuple[int, int], limit: int) -> list[Any]:
        """The job's failed cells in (row, position) order, after ``after``."""
        e = self.table.c
        query = (
            self.select(e.row, e.position, e.column, e.error, e.cells)
            .where(e.job_id == job_id)
            .where((e.row > after[0]) | ((e.row == after[0]) & (e.position > after[1])))
            .order_by(e.row, e.position)
            .limit(limit)
        )
        return list((await self.conn.execute(query)).all())
