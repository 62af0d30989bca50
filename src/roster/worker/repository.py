"""Every query on the jobs table.

A job's own reads and writes go through ``JobRepository`` with the job's tenant, the claim
too. Two reads look across tenants, without locking anything, by design: the tenants that
have a job to claim (a worker serves every tenant), and the check for jobs left unattended
(maintenance, not a request).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.repository import TenantRepository
from roster.models import jobs

Row = dict[str, Any]
j = jobs.c


class JobRepository(TenantRepository):
    table = jobs

    async def get(self, job_id: UUID, *, kind: str | None = None) -> Row | None:
        query = self.select().where(j.id == job_id)
        if kind is not None:
            query = query.where(j.kind == kind)
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def locked(self, job_id: UUID, *, kind: str | None = None) -> Row | None:
        """``get``, locking the row on PostgreSQL until the transaction ends."""
        query = self.select().where(j.id == job_id)
        if kind is not None:
            query = query.where(j.kind == kind)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def claimable(self, stale: datetime) -> Row | None:
        """The tenant's oldest job that is queued, or running with a heartbeat older than
        ``stale``; locked on PostgreSQL, skipping jobs another worker is claiming."""
        query = self.select().where(_claimable(stale)).order_by(j.created_at).limit(1)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        found = (await self.conn.execute(query)).first()
        return dict(found._mapping) if found else None

    async def status(self, job_id: UUID) -> str | None:
        query = self.select(j.status).where(j.id == job_id)
        value: str | None = (await self.conn.execute(query)).scalar_one_or_none()
        return value

    async def page(self, kind: str, before: tuple[Any, UUID] | None, limit: int) -> list[Row]:
        """Newest first."""
        query = self.select().where(j.kind == kind)
        if before is not None:
            query = query.where(
                or_(j.created_at < before[0], and_(j.created_at == before[0], j.id < before[1]))
            )
        query = query.order_by(j.created_at.desc(), j.id.desc()).limit(limit)
        return [dict(r._mapping) for r in await self.conn.execute(query)]

    async def set(self, job_id: UUID, values: Row) -> None:
        await self.conn.execute(self.update().where(j.id == job_id).values(**values))

    async def set_if_held(
        self, job_id: UUID, worker_id: str, values: Row, *returning: Any
    ) -> Row | None:
        """Write ``values`` to the job only while ``worker_id`` holds it running (the fence
        of every write a worker makes for its job); the ``returning`` columns of the row
        written, or None when the worker no longer holds it."""
        query = (
            self.update()
            .where(j.id == job_id, j.locked_by == worker_id, j.status == "running")
            .values(**values)
            .returning(*returning)
        )
        row = (await self.conn.execute(query)).first()
        return dict(row._mapping) if row else None

    async def give_back(self, job_id: UUID, worker_id: str) -> None:
        """Queue the job again, its attempt not counted, if ``worker_id`` still holds it."""
        await self.conn.execute(
            self.update()
            .where(j.id == job_id, j.locked_by == worker_id)
            .values(status="queued", locked_by=None, heartbeat_at=None, attempts=j.attempts - 1)
        )


def _claimable(stale: datetime) -> Any:
    """Queued, or running with a heartbeat older than ``stale``."""
    return or_(j.status == "queued", and_(j.status == "running", j.heartbeat_at < stale))


async def claimable_tenants(conn: AsyncConnection, stale: datetime, limit: int) -> list[UUID]:
    """Up to ``limit`` tenants with a job to claim (see ``JobRepository.claimable``), the
    one whose job has waited longest first. Locks nothing: each tenant's claim does."""
    query = (
        select(j.tenant_id)
        .where(_claimable(stale))
        .group_by(j.tenant_id)
        .order_by(func.min(j.created_at))
        .limit(limit)
    )
    return list((await conn.execute(query)).scalars())


async def oldest_queued(conn: AsyncConnection) -> datetime | None:
    """When the oldest queued job (of any tenant) was created."""
    query = select(j.created_at).where(j.status == "queued").order_by(j.created_at).limit(1)
    value: datetime | None = (await conn.execute(query)).scalar_one_or_none()
    return value


async def any_alive(conn: AsyncConnection, since: datetime) -> bool:
    """Whether a job (of any tenant) is running with a heartbeat at ``since`` or later."""
    query = select(j.id).where(j.status == "running", j.heartbeat_at >= since).limit(1)
    return (await conn.execute(query)).first() is not None


async def queued_count(conn: AsyncConnection) -> int:
    query = select(func.count()).select_from(jobs).where(j.status == "queued")
    return int((await conn.execute(query)).scalar_one())
