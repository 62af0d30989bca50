"""The import job: read records from the checkpoint, validate a chunk, write it, commit the
chunk's rows, its error rows and the new checkpoint in one transaction.

So a worker killed at any instant loses nothing and applies nothing twice: a chunk is
either committed with its checkpoint or not at all, and the next attempt starts at the
committed checkpoint. Validation (the costly part: phone and email parsing) of the next
chunk runs while the current one is written, in worker processes for a large file (see
``pool_size`` and ``ROSTER_IMPORT_PROCESSES``) or else in a thread, so the event loop (the
API, in the embedded server) stays responsive.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.bulk import statistics, writer
from roster.errors import RosterError
from roster.fielddefs.repository import FieldDefinitionRepository
from roster.imports import mapping
from roster.imports.reader import Source
from roster.kit.db import transaction
from roster.kit.repository import TenantRepository
from roster.kit.timeutil import utcnow
from roster.lists.repository import ListRepository
from roster.lists.service import membership_events
from roster.models import import_errors
from roster.worker import JobContext, JobFailed, register

Row = dict[str, Any]


def prepare_rows(records: list[tuple[int, list[str]]], plan: mapping.Plan) -> list[writer.Item]:
    """Cells → validated items (pure; runs in a thread or another process)."""
    items = []
    checks = mapping.checks(plan.definitions)
    with writer.gc_paused():
        for row, cells in records:
            try:
                patch = mapping.to_patch(cells, plan)
            except RosterError as exc:
                items.append(writer.Item(row, {}, error=exc.body()))
                continue
            items.append(
                writer.prepare(
                    row, patch, match_on=plan.match_on, region=plan.region, checks=checks
                )
            )
    return items


CHUNK_BYTES = 8 * 1024 * 1024


def _take(
    records: Iterator[tuple[int, list[str], int]], count: int, checkpoint: Row
) -> tuple[list[tuple[int, list[str]]], int]:
    """Up to ``count`` records and at most ~CHUNK_BYTES of file, so wide rows cannot make
    a chunk (and the worker's memory) large."""
    chunk = []
    start = offset = int(checkpoint["offset"])
    for row, cells, offset in records:
        chunk.append((row, cells))
        if len(chunk) >= count or offset - start >= CHUNK_BYTES:
            break
    return chunk, offset


# Below this many rows a job validates in a thread: starting worker processes costs more.
POOL_MIN_ROWS = 20_000


def pool_size(setting: int, total_rows: int | None) -> int:
    """Validation processes for a job: the setting when given (0: none), else (-1, auto)
    one per core when the file is large enough to repay starting them."""
    if setting >= 0:
        return setting
    if (total_rows or 0) < POOL_MIN_ROWS:
        return 0
    return max(1, min(4, os.cpu_count() or 1))


def _watch_parent(parent: int) -> None:
    """In a validation process: exit when the worker that started it is gone (a worker
    killed with SIGKILL cannot shut its pool down, and its processes would live on)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


class _Validator:
    def __init__(self, processes: int):
        self.processes = processes
        self.pool: Executor | None = None
        if processes > 0:
            # Spawned, not forked: the worker holds threads (the loop's executor, drivers).
            context = multiprocessing.get_context("spawn")
            self.pool = ProcessPoolExecutor(
                processes,
                mp_context=context,
                initializer=_watch_parent,
                initargs=(os.getpid(),),
            )

    async def run(
        self, records: list[tuple[int, list[str]]], plan: mapping.Plan
    ) -> list[writer.Item]:
        if not records:
            return []
        if self.pool is None:
            return await asyncio.to_thread(prepare_rows, records, plan)
        loop = asyncio.get_running_loop()
        size = -(-len(records) // self.processes)
        parts = [records[i : i + size] for i in range(0, len(records), size)]
        done = await asyncio.gather(
            *(loop.run_in_executor(self.pool, prepare_rows, part, plan) for part in parts)
        )
        return list(itertools.chain.from_iterable(done))

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)


@dataclass
class _Batch:
    """A chunk read from the file, its validation under way."""

    records: list[tuple[int, list[str]]]
    unreadable: list[tuple[int, str]]
    checkpoint: Row
    items: asyncio.Future[list[writer.Item]]


def _error_lines(
    item_row: int, error: Row | None, cells: list[str], columns_of: dict[str, str]
) -> list[Row]:
    """One error-file line per field problem, naming the CSV column it came from."""
    error = error or {}
    problems = error.get("errors") or [
        {"field": error.get("field"), "message": error.get("detail") or error.get("code")}
    ]
    lines = []
    for position, problem in enumerate(problems):
        field = problem.get("field") or ""
        column = columns_of.get(field) or columns_of.get(field.split(".")[0])
        message = str(problem.get("message") or "invalid")
        if column is None and field and field != "_row":
            message = f"{field}: {message}"
        lines.append(
            {
                "row": item_row,
                "position": position,
                "column": column,
                "error": message[:2000],
                "cells": cells,
            }
        )
    return lines


def _columns_of(params: Row) -> dict[str, str]:
    header = params["header"]
    found: dict[str, str] = {}
    for index, target in params["columns"]:
        found.setdefault(target, header[index])
        found.setdefault(target.split(".")[0], header[index])
    return found


async def _join_list(
    conn: AsyncConnection, tenant_id: UUID, list_id: UUID, outcomes: list[writer.Outcome]
) -> None:
    """Every contact the chunk names (created, updated or unchanged) joins the import's list,
    in the chunk's transaction, with an event per membership that is new."""
    lists = ListRepository(conn, tenant_id)
    if await lists.get(list_id, for_update=True) is None:
        raise JobFailed("the import's list was deleted")
    ids = sorted({o.id for o in outcomes if o.id is not None and o.status != "failed"})
    added = await lists.add_members(list_id, ids, utcnow())
    await membership_events(conn, tenant_id, "list.member_added", [(list_id, c) for c in added])


async def _definitions(
    ctx: JobContext, tenant_id: UUID
) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    """The tenant's custom field definitions as the import starts (or resumes)."""
    async with transaction(ctx.engine, write=False) as conn:
        rows = await FieldDefinitionRepository(conn, tenant_id).all()
    return tuple((r["key"], r["type"], tuple(r["options"] or ())) for r in rows)


async def run_import(ctx: JobContext) -> int:
    job, params = ctx.job, ctx.job["params"]
    plan = mapping.Plan(
        columns=tuple((int(i), t) for i, t in params["columns"]),
        width=len(params["header"]),
        tags_separator=params["tags_separator"],
        match_on=params["match_on"],
        region=params["region"],
        definitions=await _definitions(ctx, job["tenant_id"]),
    )
    columns_of = _columns_of(params)
    actor = params.get("actor")
    cause = writer.Cause("contact.import", UUID(actor) if actor else None)
    checkpoint = job["checkpoint"] or {"offset": params["data_offset"], "row": 1}
    try:
        file = await asyncio.to_thread(open, params["path"], "rb")
    except OSError:
        raise JobFailed("the uploaded file is no longer on the server") from None
    validator = _Validator(pool_size(ctx.settings.import_processes, job.get("total")))
    source = Source(
        file,
        params["encoding"].replace("-sig", ""),
        params["delimiter"],
        checkpoint["offset"],
        checkpoint["row"] + 1,
    )
    records = source.records()
    chunk_rows = max(1, ctx.settings.import_chunk_rows)
    processed = int(job["processed"])
    growth = statistics.Growth()

    async def read(after: Row) -> _Batch:
        # Reading runs in a thread too: the event loop never waits on the disk.
        chunk, offset = await asyncio.to_thread(_take, records, chunk_rows, after)
        unreadable, source.problems = source.problems, []
        if not chunk:
            offset = source.file.tell()
        items = asyncio.ensure_future(validator.run(chunk, plan))
        return _Batch(chunk, unreadable, {"offset": offset, "row": source.next_row - 1}, items)

    batch = await read(checkpoint)
    try:
        while batch.records or batch.unreadable:
            items = await batch.items
            # The next chunk is read and validated while this one is written.
            current, batch = batch, await read(batch.checkpoint)
            cells_of = dict(current.records)
            async with transaction(ctx.engine, write=True) as conn:
                outcomes = await writer.write(
                    conn,
                    job["tenant_id"],
                    items,
                    mode=params["mode"],
                    region=plan.region,
                    cause=cause,
                    add_tags=params["tags"],
                    checks=mapping.checks(plan.definitions),
                )
                if params.get("list_id"):
                    await _join_list(conn, job["tenant_id"], UUID(params["list_id"]), outcomes)
                counts = {"processed": len(current.records) + len(current.unreadable)}
                lines: list[Row] = []
                for outcome in outcomes:
                    # A row that changed nothing is counted as skipped: the job has no
                    # count of its own for it (docs/bulk.md).
                    status = "skipped" if outcome.status == "unchanged" else outcome.status
                    counts[status] = counts.get(status, 0) + 1
                    if outcome.status == "failed":
                        lines += _error_lines(
                            outcome.index, outcome.error, cells_of[outcome.index], columns_of
                        )
                for row, message in current.unreadable:
                    counts["failed"] = counts.get("failed", 0) + 1
                    lines.append(
                        {"row": row, "position": 0, "column": None, "error": message, "cells": []}
                    )
                repo = TenantRepository(conn, job["tenant_id"])
                await repo.insert([{**line, "job_id": job["id"]} for line in lines], import_errors)
                await ctx.checkpoint(conn, current.checkpoint, counts)
            processed += counts["processed"]
            ctx.check_cancel()
            written = counts.get("created", 0) + counts.get("updated", 0)
            if growth.due(job["tenant_id"], written):
                await statistics.refresh(ctx.engine)
    finally:
        batch.items.cancel()
        validator.close()
        file.close()
    return processed


def install() -> None:
    """The worker runs ``import`` jobs with ``run_import``."""
    register("import", run_import)
