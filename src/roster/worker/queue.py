"""The jobs table as a queue: enqueue, claim, heartbeat, checkpoint, finish, cancel.

Claiming is the one query that reads jobs across tenants (a worker serves every tenant);
once a job is claimed, all its work runs through tenant-scoped repositories with the job's
tenant_id. On PostgreSQL concurrent claimers skip each other's rows (``FOR UPDATE SKIP
LOCKED``); on SQLite the claim runs in a ``BEGIN IMMEDIATE`` transaction, which already
admits one writer at a time.

Fencing: every write a worker makes for a job (checkpoint, finish) is conditioned on
``locked_by`` still being that worker, so a worker that lost its claim (its heartbeat went
stale and another worker took the job over) cannot commit another chunk.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.errors import NotFound
from roster.events.outbox import emit
from roster.kit.ids import uuid7
from roster.kit.repository import TenantRepository
from roster.kit.timeutil import utcnow
from roster.models import jobs

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


class JobRepository(TenantRepository):
    table = jobs

    async def get(self, job_id: UUID, *, kind: str | None = None) -> Row | None:
        query = self.select().where(j.id == job_id)
        if kind is not None:
            query = query.where(j.kind == kind)
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def page(self, kind: str, before: tuple[Any, UUID] | None, limit: int) -> list[Row]:
        """Newest first."""
        query = self.select().where(j.kind == kind)
        if before is not None:
            query = query.where(
                or_(j.created_at < before[0], and_(j.created_at == before[0], j.id < before[1]))
            )
        query = query.order_by(j.created_at.desc(), j.id.desc()).limit(limit)
        return [dict(r._mapping) for r in await self.conn.execute(query)]


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
    conn: AsyncConnection, worker_id: str, *, stale_after: float, max_attempts: int
) -> Row | None:
    """Take the oldest queued job, or a running one whose worker stopped heartbeating.

    Call inside a write transaction. A stale job that has used up its attempts is marked
    failed instead of being run again.
    """
    now = utcnow()
    stale = now - timedelta(seconds=stale_after)
    candidates = (
        select(jobs)
        .where(
            or_(
                j.status == "queued",
                and_(j.status == "running", j.heartbeat_at < stale),
            )
        )
        .order_by(j.created_at)
        .limit(1)
    )
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    found = (await conn.execute(candidates)).first()
    if found is None:
        return None
    job = dict(found._mapping)
    key = and_(j.tenant_id == job["tenant_id"], j.id == job["id"])
    if job["attempts"] >= max_attempts:
        gave_up = {
            "status": "failed",
            "error": f"gave up after {job['attempts']} attempts (the worker kept stopping)",
            "finished_at": now,
            "locked_by": None,
        }
        await conn.execute(update(jobs).where(key).values(**gave_up))
        await _emit_finished(conn, {**job, **gave_up})
        return None
    values = {
        "status": "running",
        "locked_by": worker_id,
        "heartbeat_at": now,
        "attempts": job["attempts"] + 1,
        "started_at": job["started_at"] or now,
    }
    await conn.execute(update(jobs).where(key).values(**values))
    return {**job, **values}


def _owned(job: Row, worker_id: str) -> Any:
    return and_(
        j.tenant_id == job["tenant_id"],
        j.id == job["id"],
        j.locked_by == worker_id,
        j.status == "running",
    )


async def heartbeat(conn: AsyncConnection, job: Row, worker_id: str) -> Row:
    """Renew the claim; returns ``cancel_requested`` and the status. Raises LostClaim."""
    result = await conn.execute(
        update(jobs)
        .where(_owned(job, worker_id))
        .values(heartbeat_at=utcnow())
        .returning(j.cancel_requested)
    )
    row = result.first()
    if row is None:
        raise LostClaim
    return {"cancel_requested": bool(row[0])}


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
    result = await conn.execute(
        update(jobs).where(_owned(job, worker_id)).values(**values).returning(j.cancel_requested)
    )
    row = result.first()
    if row is None:
        raise LostClaim
    return bool(row[0])


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
    result = await conn.execute(
        update(jobs).where(_owned(job, worker_id)).values(**values).returning(*jobs.c)
    )
    row = result.first()
    if row is None:
        raise LostClaim
    await _emit_finished(conn, dict(row._mapping))


async def cancel(conn: AsyncConnection, tenant_id: UUID, job_id: UUID, kind: str | None) -> Row:
    """Cancel a queued job at once; ask a running one to stop after its current chunk
    (what it has committed stays). A finished job is returned unchanged."""
    repo = JobRepository(conn, tenant_id)
    query = repo.select().where(j.id == job_id)
    if kind is not None:
        query = query.where(j.kind == kind)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    found = (await conn.execute(query)).first()
    if found is None:
        raise NotFound("no such job")
    job = dict(found._mapping)
    if job["status"] == "queued":
        values: dict[str, Any] = {"status": "cancelled", "finished_at": utcnow()}
    elif job["status"] == "running":
        values = {"cancel_requested": True}
    else:
        return job
    await conn.execute(repo.update().where(j.id == job_id).values(**values))
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
    oldest = (
        await conn.execute(
            select(j.created_at).where(j.status == "queued").order_by(j.created_at).limit(1)
        )
    ).scalar_one_or_none()
    if oldest is None or oldest > now - timedelta(seconds=waited):
        return None
    alive = (
        await conn.execute(
            select(j.id)
            .where(
                j.status == "running",
                j.heartbeat_at >= now - timedelta(seconds=waited),
            )
            .limit(1)
        )
    ).first()
    if alive is not None:
        return None
    queued = (
        await conn.execute(select(func.count()).select_from(jobs).where(j.status == "queued"))
    ).scalar_one()
    return int(queued), (now - oldest).total_seconds()
