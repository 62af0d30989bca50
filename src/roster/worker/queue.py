"""The jobs table as a queue: enqueue, claim, heartbeat, checkpoint, finish, cancel.

A worker serves every tenant. A claim first reads, without locks, which tenants have a job
to claim, then claims one tenant's oldest job with that tenant's id in the statement, so
every locking statement stays on one tenant's rows (one shard on Citus). On PostgreSQL
concurrent claimers skip each other's rows (``FOR UPDATE SKIP LOCKED``); on SQLite the
claim runs in a ``BEGIN IMMEDIATE`` transaction, which already admits one writer at a time.
A worker takes tenants in turns (``Turns``): one tenant's many jobs do not hold back
another's.

Fencing: every write a worker makes for a job (checkpoint, finish) is conditioned on
``locked_by`` still being that worker, so a worker that lost its claim (its heartbeat went
stale and another worker took the job over) cannot commit another chunk.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.errors import NotFound
from roster.events.outbox import emit
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow
from roster.models import jobs
from roster.worker import repository
from roster.worker.repository import JobRepository

__all__ = [
    "COUNTS",
    "FINISHED",
    "JobRepository",
    "LostClaim",
    "Turns",
    "cancel",
    "checkpoint",
    "claim",
    "counts",
    "enqueue",
    "finish",
    "give_back",
    "heartbeat",
    "unattended",
]

Row = dict[str, Any]
j = jobs.c
FINISHED = ("completed", "failed", "cancelled")
COUNTS = ("processed", "created", "updated", "skipped", "failed")


# Job kinds whose end is an event, and the statuses that have one (``import.completed``,
# ``import.failed``); a cancelled job has none.
_FINISH_EVENTS = {"import": ("completed", "failed")}


async def _emit_finished(conn: AsyncConnection, job: Row) -> None:
    """The job's end as an event, in the transaction that marks it finished. Counts and the
    error only: no file name, no row content."""
    kind, status = job["kind"], job["status"]
    if status not in _FINISH_EVENTS.get(kind, ()):
        return
    data = {kind: {"id": str(job["id"]), "status": status, **counts(job), "error": job["error"]}}
    await emit(conn, job["tenant_id"], f"{kind}.{status}", data)


class LostClaim(Exception):
    """Another worker owns the job now (this one's heartbeat went stale); stop at once."""


class Turns:
    """The tenants a worker has served, least recently first: a tenant with many queued
    jobs takes turns with the others instead of going first until its jobs run out."""

    def __init__(self) -> None:
        self._last: dict[UUID, int] = {}
        self._clock = 0

    def order(self, tenants: list[UUID]) -> list[UUID]:
        """``tenants`` (oldest waiting job first), those served least recently first."""
        return sorted(tenants, key=lambda tenant: self._last.get(tenant, -1))

    def served(self, tenant: UUID) -> None:
        if len(self._last) >= _TURNS_KEPT:
            self._last.clear()
        self._clock += 1
        self._last[tenant] = self._clock


# Tenants a claim considers at most, and how many a worker remembers serving.
_CANDIDATES = 32
_TURNS_KEPT = 10_000


def _of(conn: AsyncConnection, job: Row) -> JobRepository:
    """The repository of the job's own tenant."""
    return JobRepository(conn, job["tenant_id"])


async def enqueue(
    conn: AsyncConnection,
    tenant_id: UUID,
    kind: str,
    params: dict[str, Any],
    *,
    total: int | None = None,
) -> Row:
    row: Row = {
        "id": uuid7(),
        "kind": kind,
        "status": "queued",
        "params": params,
        "checkpoint": None,
        "total": total,
        **dict.fromkeys(COUNTS, 0),
        "error": None,
        "attempts": 0,
        "cancel_requested": False,
        "heartbeat_at": None,
        "locked_by": None,
        "created_at": utcnow(),
        "started_at": None,
        "finished_at": None,
    }
    await JobRepository(conn, tenant_id).insert(row)
    return {**row, "tenant_id": tenant_id}


async def claim(
    conn: AsyncConnection,
    worker_id: str,
    *,
    stale_after: float,
    max_attempts: int,
    turns: Turns | None = None,
) -> Row | None:
    """Take a queued job, or a running one whose worker stopped heartbeating: the oldest
    of the tenant whose turn it is (``turns``; without, the tenant whose job waited
    longest).

    Call inside a write transaction. A stale job that has used up its attempts is marked
    failed instead of being run again.
    """
    now = utcnow()
    stale = now - timedelta(seconds=stale_after)
    tenants = await repository.claimable_tenants(conn, stale, _CANDIDATES)
    for tenant in turns.order(tenants) if turns is not None else tenants:
        job = await JobRepository(conn, tenant).claimable(stale)
        if job is not None:
            break
    else:
        return None
    if turns is not None:
        turns.served(job["tenant_id"])
    if job["attempts"] >= max_attempts:
        gave_up = {
            "status": "failed",
            "error": f"gave up after {job['attempts']} attempts (the worker kept stopping)",
            "finished_at": now,
            "locked_by": None,
        }
        await _of(conn, job).set(job["id"], gave_up)
        await _emit_finished(conn, {**job, **gave_up})
        return None
    values = {
        "status": "running",
        "locked_by": worker_id,
        "heartbeat_at": now,
        "attempts": job["attempts"] + 1,
        "started_at": job["started_at"] or now,
    }
    await _of(conn, job).set(job["id"], values)
    return {**job, **values}


async def heartbeat(conn: AsyncConnection, job: Row, worker_id: str) -> Row:
    """Renew the claim; returns ``cancel_requested`` and the status. Raises LostClaim."""
    row = await _of(conn, job).set_if_held(
        job["id"], worker_id, {"heartbeat_at": utcnow()}, j.cancel_requested
    )
    if row is None:
        raise LostClaim
    return {"cancel_requested": bool(row["cancel_requested"])}


async def checkpoint(
    conn: AsyncConnection,
    job: Row,
    worker_id: str,
    *,
    position: dict[str, Any],
    add: dict[str, int],
    total: int | None = None,
) -> bool:
    """Record progress in the caller's transaction (the one holding the chunk's writes).

    Adds ``add`` to the counts. Returns whether a cancel was requested. Raises LostClaim
    when this worker no longer owns the job, so the caller's transaction rolls back.
    """
    values: dict[str, Any] = {name: j[name] + add.get(name, 0) for name in COUNTS}
    values.update(checkpoint=position, heartbeat_at=utcnow())
    if total is not None:
        values["total"] = total
    row = await _of(conn, job).set_if_held(job["id"], worker_id, values, j.cancel_requested)
    if row is None:
        raise LostClaim
    return bool(row["cancel_requested"])


async def finish(
    conn: AsyncConnection,
    job: Row,
    worker_id: str,
    status: str,
    *,
    error: str | None = None,
    total: int | None = None,
) -> None:
    values: dict[str, Any] = {
        "status": status,
        "error": error,
        "finished_at": utcnow(),
        "locked_by": None,
    }
    if total is not None:
        values["total"] = total
    row = await _of(conn, job).set_if_held(job["id"], worker_id, values, *jobs.c)
    if row is None:
        raise LostClaim
    await _emit_finished(conn, row)


async def give_back(conn: AsyncConnection, job: Row, worker_id: str) -> None:
    """Hand the job back to the queue (shutdown, outage), its attempt not counted; it
    resumes from its checkpoint. Nothing happens when another worker holds it now."""
    await _of(conn, job).give_back(job["id"], worker_id)


async def cancel(conn: AsyncConnection, tenant_id: UUID, job_id: UUID, kind: str | None) -> Row:
    """Cancel a queued job at once; ask a running one to stop after its current chunk
    (what it has committed stays). A finished job is returned unchanged."""
    repo = JobRepository(conn, tenant_id)
    job = await repo.locked(job_id, kind=kind)
    if job is None:
        raise NotFound("no such job")
    if job["status"] == "queued":
        values: dict[str, Any] = {"status": "cancelled", "finished_at": utcnow()}
    elif job["status"] == "running":
        values = {"cancel_requested": True}
    else:
        return job
    await repo.set(job_id, values)
    return {**job, **values}


def counts(job: dict[str, Any]) -> dict[str, Any]:
    """A job's progress counts as the API shows them."""
    return {
        "total_rows": job["total"],
        "processed_rows": job["processed"],
        "created": job["created"],
        "updated": job["updated"],
        "skipped": job["skipped"],
        "failed": job["failed"],
    }


async def unattended(conn: AsyncConnection, waited: float) -> tuple[int, float] | None:
    """Jobs left waiting with nobody working: when the oldest queued job has waited more
    than ``waited`` seconds and no job is running (or heartbeating), the number queued and
    the oldest one's age in seconds; else None. A live worker claims within seconds, so
    this means no worker is running (all tenants; maintenance, not a request)."""
    now = utcnow()
    oldest = await repository.oldest_queued(conn)
    if oldest is None or oldest > now - timedelta(seconds=waited):
        return None
    if await repository.any_alive(conn, now - timedelta(seconds=waited)):
        return None
    return await repository.queued_count(conn), (now - oldest).total_seconds()
