"""The rows of an import that failed, as CSV: the HTTP endpoint and ``roster import``
(which writes them beside the imported file) render them here."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine

from roster.imports.failures_repository import FailureRepository
from roster.kit.db import transaction

BATCH = 1000


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
