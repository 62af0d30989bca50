"""PostgreSQL, CSV: the whole export as one ``COPY (SELECT … ORDER BY id) TO STDOUT``.

The COPY's output reaches the response through a queue of at most ``QUEUE_CHUNKS`` chunks:
when the client reads slowly the queue fills, the driver stops reading the socket and the
server waits, so memory stays bounded; a client that reads nothing for ``STALL_SECONDS``
ends the export. One statement reads one snapshot: the export is the contacts as they were
when it started (writes committed while it runs are not in it), and it holds one
connection until it ends.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator
from uuid import UUID

from sqlalchemy import literal
from sqlalchemy.ext.asyncio import AsyncEngine

from roster.exports.pg_sql import literal_sql, pg_select_list
from roster.exports.rendering import csv_header
from roster.exports.repository import ExportRepository
from roster.kit.db import transaction

# The COPY's chunks (each what the driver read at once, up to a few hundred KB) waiting for
# the client, at most.
QUEUE_CHUNKS = 16
# The COPY's chunks are joined into writes of this many bytes, each waiting at most
# WRITE_WAIT seconds for the database.
WRITE_BYTES = 1 << 18
WRITE_WAIT = 0.05
# A client that reads nothing for this long ends its export (which holds a connection).
STALL_SECONDS = 60.0
# The longest an export may run.
EXPORT_SECONDS = 4 * 3600
# A reader that leaves stops the COPY at its next chunk (the connection stays usable); a
# COPY that sends nothing for this long after that is cancelled (the connection is dropped).
LEAVE_SECONDS = 10.0
# PostgreSQL's parallel workers for an export's COPY (when its planner finds them worth it).
COPY_WORKERS = 2


class _ReaderLeft(Exception):
    """The export's reader is gone."""


async def _pg_copy(
    engine: AsyncEngine,
    tenant_id: UUID,
    from_clause: str,
    queue: asyncio.Queue[bytes | bytearray | BaseException | None],
    slots: asyncio.Semaphore,
    left: asyncio.Event,
) -> None:
    """The header, then the COPY's output, into ``queue`` (a slot of ``slots`` per chunk);
    ends with None, or with the exception that ended it. Once ``left`` is set, the next
    chunk raises ``_ReaderLeft`` in the driver's output callback: the driver then cancels
    the COPY on the server, and the transaction rolls back on a connection still usable."""

    async def put(chunk: bytes | bytearray) -> None:
        async with asyncio.timeout(STALL_SECONDS):
            await slots.acquire()
        if left.is_set():
            raise _ReaderLeft
        queue.put_nowait(chunk)

    try:
        async with transaction(engine, write=False) as conn:
            repo = ExportRepository(conn, tenant_id)
            # "off" when the dialect's literals double backslashes (it found
            # standard_conforming_strings off on the server).
            strings = "off" if "\\\\" in literal_sql(literal("\\"), conn.dialect) else "on"
            await repo.settle_copy(
                timeout_ms=EXPORT_SECONDS * 1000, strings=strings, workers=COPY_WORKERS
            )
            keys = await repo.custom_keys()  # in the COPY's snapshot
            await put(csv_header(keys))
            sql = f"SELECT {pg_select_list(keys, conn.dialect)} {from_clause}"
            await repo.csv_by_copy(sql, put, bound=EXPORT_SECONDS)
    except BaseException as exc:
        queue.put_nowait(exc)
        raise
    queue.put_nowait(None)


async def pg_csv(
    engine: AsyncEngine, tenant_id: UUID, from_clause: str
) -> AsyncGenerator[bytes, None]:
    """The header at once, then the COPY's chunks joined into writes of WRITE_BYTES (each
    chunk is what the driver read at once, often a few KB): fewer, larger writes cost less
    per byte in the server and in the client. A write waits at most WRITE_WAIT for more."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes | bytearray | BaseException | None] = asyncio.Queue()
    slots = asyncio.Semaphore(QUEUE_CHUNKS)
    left = asyncio.Event()
    producer = asyncio.create_task(_pg_copy(engine, tenant_id, from_clause, queue, slots, left))
    try:
        end: BaseException | None = None
        finished = False
        wait = 0.0  # the header leaves alone, at once
        while not finished:
            item = await queue.get()
            parts: list[bytes | bytearray] = []
            size = 0
            deadline = loop.time() + wait
            while True:
                if item is None or isinstance(item, BaseException):
                    end, finished = item, True
                    break
                parts.append(item)
                size += len(item)
                slots.release()
                if size >= WRITE_BYTES:
                    break
                if not queue.empty():
                    item = queue.get_nowait()
                    continue
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                try:
                    async with asyncio.timeout(remaining):
                        item = await queue.get()
                except TimeoutError:
                    break
            if parts:
                # bytes, as ASGI wants (the driver hands out bytearrays).
                yield b"".join(parts)
            wait = WRITE_WAIT
        if end is not None:
            raise end
    finally:
        if not producer.done():
            # The reader left (or failed): stop the COPY at its next chunk, or at once if it
            # is still waiting for the database after LEAVE_SECONDS.
            left.set()
            slots.release()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(producer), LEAVE_SECONDS)
            producer.cancel()
        with contextlib.suppress(BaseException):
            await producer
