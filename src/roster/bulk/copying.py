"""Writing a chunk's rows: updates and deletes as executemany, inserts as multi-row INSERTs,
or on PostgreSQL from COPY_MIN_ROWS rows as COPYs that run while Python renders."""

from __future__ import annotations

import asyncio
import operator
from typing import Any
from uuid import UUID

import asyncpg  # type: ignore[import-untyped]
import orjson
from sqlalchemy import JSON, Table

from roster.bulk.deciding import Chunk, Row
from roster.bulk.rendering import Cause, Writes, render_about, rows_of
from roster.bulk.repository import BulkRepository
from roster.events.outbox import announce, emit_many
from roster.fielddefs.registry_repository import note_keys
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow
from roster.models import activities, consent_events, contact_tags, contacts, events


async def _send_contacts(repo: BulkRepository, writes: Writes, copies: Copies) -> None:
    """The contacts' updates and tag removals, then their inserts (a COPY that runs on)."""
    await note_keys(repo.conn, repo.tenant_id, writes.inserts + writes.updates)
    await repo.update_versions(writes.updates)
    await repo.remove_tags(writes.tags_removed)
    await copies.send(contacts, writes.inserts)


async def _send_rest(repo: BulkRepository, writes: Writes, copies: Copies) -> None:
    """The rows that refer to the contacts: tags, consent history, timeline, events."""
    await copies.send(contact_tags, writes.tags_added)
    await copies.send(consent_events, writes.consent)
    await copies.send(activities, writes.timeline)
    outbox = writes.outbox
    if len(outbox) < COPY_MIN_ROWS or repo.conn.dialect.name != "postgresql":
        await copies.done()
        await emit_many(repo.conn, repo.tenant_id, outbox)
    else:
        now = utcnow()
        rows = [
            {"id": uuid7(), "type": t, "subject_id": s, "data": d, "created_at": now}
            for t, d, s in outbox
        ]
        await copies.send(events, rows)
        await copies.done()
        await announce(repo.conn)


async def store(repo: BulkRepository, chunk: Chunk, cause: Cause) -> Writes:
    """Write the chunk's new and changed contacts with everything a single write does in
    its transaction (see ``contacts.service``): the consent guard, the opt-outs remembered
    from erased contacts, consent history, timeline rows, tag rows and outbox events.

    The contacts' COPY is sent before their timeline rows and events are rendered, and
    each COPY's records are built while the one before runs, so that PostgreSQL writes
    while Python renders (the inserts still run one after the other, in the same order:
    contacts first, then the rows that refer to them). Returns what it wrote."""
    writes = await rows_of(repo, chunk)
    await send(repo, writes, cause)
    return writes


async def send(repo: BulkRepository, writes: Writes, cause: Cause | None = None) -> None:
    """Write a chunk's rows. With ``cause``, its timeline rows and events are rendered
    here while the contacts' COPY runs; without, they were rendered beforehand
    (``write(..., ahead=True)``)."""
    copies = Copies(repo)
    try:
        await _send_contacts(repo, writes, copies)
        if cause is not None:
            await render_about(writes, cause)
        await _send_rest(repo, writes, copies)
    finally:
        await copies.drain()


# From this many rows, PostgreSQL inserts go through COPY: no statement to plan, no
# per-parameter binding, several times faster than a multi-row INSERT.
COPY_MIN_ROWS = 100


# A unique index or a deadlock. Citus reports a COPY's error from a worker without its
# SQLSTATE (as an internal error, XX000): taken for a clash too. A chunk that keeps failing
# ends written item by item with INSERTs, which report any other error with its own.
_CLASHES = (
    asyncpg.UniqueViolationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.InternalServerError,
)


class CopyFailed(Exception):
    """A COPY hit a unique index or a deadlock (handled like an IntegrityError)."""


class Copies:
    """The chunk's inserts, one after the other on its connection. On PostgreSQL a large
    one is a COPY that runs on while the caller goes on (``send`` returns once it is
    under way); the next ``send`` or ``done`` waits for it and raises what it raised."""

    def __init__(self, repo: BulkRepository):
        self.repo = repo
        self.running: asyncio.Future[Any] | None = None

    async def send(self, table: Table, rows: list[Row]) -> None:
        repo = self.repo
        if len(rows) < COPY_MIN_ROWS or repo.conn.dialect.name != "postgresql":
            await self.done()
            await repo.insert(rows, table=table)
            return
        # Built while the previous COPY runs.
        records, columns = _records(table, rows, repo.tenant_id)
        await self.done()
        self.running = await repo.start_copy(table, records, columns)

    async def done(self) -> None:
        running, self.running = self.running, None
        if running is None:
            return
        try:
            await running
        except _CLASHES as exc:
            raise CopyFailed(str(exc)) from exc

    async def drain(self) -> None:
        """After a failure elsewhere: the connection is free again before it is rolled
        back (what the COPY raises then no longer matters)."""
        running, self.running = self.running, None
        if running is not None:
            await asyncio.gather(running, return_exceptions=True)


def _records(
    table: Table, rows: list[Row], tenant: UUID
) -> tuple[list[tuple[Any, ...]], list[str]]:
    names = list(rows[0])
    columns = ["tenant_id", *names]
    # Every row of one call has the same keys in the same order (built by one expression).
    get = operator.itemgetter(*names)
    as_json = [i for i, name in enumerate(names) if isinstance(table.c[name].type, JSON)]
    records: list[tuple[Any, ...]]
    if len(names) == 1:
        records = [(tenant, get(row)) for row in rows]
    elif as_json:
        dumps = orjson.dumps
        records = []
        for row in rows:
            values = list(get(row))
            for i in as_json:
                values[i] = dumps(values[i]).decode()
            records.append((tenant, *values))
    else:
        records = [(tenant, *get(row)) for row in rows]
    return records, columns
