"""The set-based contact writer shared by ``POST /v1/contacts/batch`` and imports.

A chunk of items is decided in memory (``deciding``) against the live contacts that hold
any of the chunk's identifiers (loaded, and on PostgreSQL locked, with one query), rendered
as rows (``rendering``), then written set-based (``copying``). Field rules come from
``fields.apply`` only.
If the set-based write still hits a unique index (a concurrent writer got there between
the load and the write), the chunk is decided and written again (on PostgreSQL side by
side, then alone in the tenant's turn), and then item by item under savepoints, so one
bad item never takes the others with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from uuid import UUID

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.bulk.copying import CopyFailed, send, store
from roster.bulk.deciding import (
    Chunk,
    Item,
    Mode,
    Outcome,
    Row,
    decide,
    gc_paused,
    identifiers_of,
    prepare,
)
from roster.bulk.rendering import Cause, Writes, render_about, rows_of
from roster.bulk.repository import BulkRepository
from roster.contacts import fields
from roster.errors import Conflict, RosterError

__all__ = ["Cause", "Item", "Mode", "Outcome", "change_rows", "gc_paused", "prepare", "write"]


def _settled(outcomes: list[Outcome], writes: Writes) -> list[Outcome]:
    """The outcomes with ``unchanged`` for each update whose contact was not written after
    all: the consent guard undid all it changed (a batch or import row never relaxes an
    opt-out), or later items put the contact back as it was loaded."""
    written = {entry.id for entry, _, _ in writes.stored}
    return [
        replace(o, status="unchanged") if o.status == "updated" and o.id not in written else o
        for o in outcomes
    ]


async def _load(repo: BulkRepository, items: list[Item], *, lock: bool = True) -> list[Row]:
    """Live contacts holding any identifier of ``items``, by id; on PostgreSQL locked
    (``FOR UPDATE``) unless ``lock`` is false."""
    wanted: dict[str, set[Any]] = {}
    for item in items:
        for col, value in identifiers_of(item.candidate or {}):
            wanted.setdefault(col, set()).add(value)
    return await repo.holding(wanted, lock=lock)


async def write(
    conn: AsyncConnection,
    tenant_id: UUID,
    items: list[Item],
    *,
    mode: Mode,
    region: str,
    cause: Cause,
    add_tags: list[str] | None = None,
    checks: Mapping[str, fields.FieldCheck] | None = None,
    ahead: bool = False,
) -> list[Outcome]:
    """Write prepared items in order in the caller's transaction; one outcome per item.

    On PostgreSQL the bulk writers of a tenant write side by side, and a chunk that
    clashed with another is written again (see ``_ATTEMPTS``). ``ahead``: decide
    and render the chunk before its turn, from the contacts as they are then, and at its
    turn load them again (locked): if none of them changed (the same ids at the same
    versions) the work done ahead is written as it is, else the chunk is decided again,
    keeping what was rendered for each contact that comes out the same. So a batch's
    Python work runs while another batch of the tenant writes, and is mostly not done
    twice when the chunk is written again.
    """
    repo = BulkRepository(conn, tenant_id)
    extra = sorted(set(add_tags or []))
    postgres = conn.dialect.name == "postgresql"
    # By item index, the id each item creates a contact with, the same in every decision.
    new_ids: dict[int, UUID] = {}

    async def prepare(loaded: list[Row], before: Writes | None) -> tuple[list[Outcome], Writes]:
        """Decided on ``loaded`` and rendered; decided again (``before``: the chunk as
        decided last), at the same "now", keeping what was rendered for each contact that
        comes out the same."""
        chunk = Chunk(loaded)
        outcomes = decide(chunk, items, mode, region, extra, checks, new_ids)
        writes = await rows_of(repo, chunk, before.now if before is not None else None)
        await render_about(writes, cause, reuse=before)
        return outcomes, writes

    writes: Writes | None = None
    seen: list[Row] = []
    with gc_paused():
        if ahead and postgres and len(items) > 1:
            seen = await _load(repo, items, lock=False)
            outcomes, writes = await prepare(seen, None)
        for alone in _ATTEMPTS if postgres else (False,):
            try:
                async with conn.begin_nested():
                    if postgres:
                        await repo.take_turn(alone)  # see ``_ATTEMPTS``
                    loaded = await _load(repo, items)
                    if writes is None:
                        chunk = Chunk(loaded)
                        outcomes = decide(chunk, items, mode, region, extra, checks, new_ids)
                        return _settled(outcomes, await store(repo, chunk, cause))
                    if _versions(loaded) != _versions(seen):
                        # Decided again on the contacts as they are now, in the turn (the
                        # same ids for the same new contacts).
                        outcomes, writes = await prepare(loaded, writes)
                        seen = loaded
                    await send(repo, writes)
                    return _settled(outcomes, writes)
            except (DBAPIError, CopyFailed) as exc:
                clash = isinstance(exc, IntegrityError | CopyFailed)
                if not clash and "deadlock detected" not in str(exc):
                    raise
                # A concurrent writer took an identifier between load and write (or a
                # deadlock with one was broken): written again (see ``_ATTEMPTS``); then
                # item by item, each under its own savepoint.
    if len(items) == 1:
        return [_raced(items[0])]
    outcomes = []
    for item in items:
        outcomes += await write(
            conn,
            tenant_id,
            [item],
            mode=mode,
            region=region,
            cause=cause,
            add_tags=extra,
            checks=checks,
        )
    return outcomes


# How a chunk is written on PostgreSQL, attempt after attempt, in the tenant's bulk lock
# (``BulkRepository.take_turn``) taken shared (side by side) or exclusive (alone). A chunk
# that clashed has waited for the writer it clashed with to commit, so written again side
# by side it sees that writer's contacts and, most often, goes through. Only a chunk that
# clashed twice is written alone: an exclusive waiter holds up every chunk of the tenant
# that comes after it. Waiting alone, it lets the chunks under way finish and new ones
# wait behind it: clashing chunks do not wait on each other's uncommitted rows in chains
# that outlast the statement timeout, or redo item by item what one of them gave up.
_ATTEMPTS = (False, False, True)


def _versions(rows: list[Row]) -> list[tuple[UUID, int]]:
    return [(r["id"], r["version"]) for r in rows]


def _raced(item: Item) -> Outcome:
    error = Conflict("phone", None, "an identifier is being written concurrently; retry")
    return Outcome(item.index, "failed", error=error.body())


async def change_rows(
    conn: AsyncConnection,
    tenant_id: UUID,
    rows: list[Row],
    change: Any,
    *,
    region: str,
    cause: Cause,
) -> tuple[int, int]:
    """Apply ``change(row) -> patch`` to loaded live rows through ``fields.apply`` and store
    the results set-based; returns (updated, failed), where a row the change leaves as it
    was is neither. Used by bulk actions."""
    repo = BulkRepository(conn, tenant_id)
    chunk = Chunk(rows)
    failed = 0
    for entry in list(chunk.entries):
        try:
            values = fields.apply(entry.values, change(entry.values), region)
            conflict = chunk.holder(values, entry)
            if conflict:
                raise conflict
        except RosterError:
            failed += 1
            continue
        chunk.change(entry, values)
    # Only the contacts written count as updated (a tag they already had changes nothing).
    return len((await store(repo, chunk, cause)).stored), failed
