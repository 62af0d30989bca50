"""The rows of an import that failed, as CSV: the HTTP endpoint and ``roster import``
(which writes them beside the imported file) render them here."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from roster.kit.db import transaction
from roster.kit.repository import TenantRepository
from roster.models import import_errors

BATCH = 1000


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


def csv_line(cells: list[Any]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerow(cells)
    return out.getvalue().encode()


async def csv_lines(
    engine: AsyncEngine, tenant_id: UUID, job: dict[str, Any]
) -> AsyncIterator[bytes]:
    """The header (row, column, error, then the file's own columns), then one line per
    failure, read a batch per short transaction."""
    yield csv_line(["row", "column", "error", *job["params"]["header"]])
    after = (-1, -1)
    while True:
        async with transaction(engine, write=False) as conn:
            rows = await FailureRepository(conn, tenant_id).after(job["id"], after, BATCH)
        if not rows:
            return
        out = io.StringIO()
        writer = csv.writer(out)
        for row in rows:
            writer.writerow([row.row, row.column or "", row.error, *row.cells])
        yield out.getvalue().encode()
        after = (rows[-1].row, rows[-1].position)
