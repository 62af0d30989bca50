"""``GET /v1/jobs/{id}``: any job's status and counts (imports, bulk actions)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response

from roster.auth.deps import ContactsRead
from roster.errors import NotFound
from roster.kit.jsonutil import JSONBody
from roster.kit.timeutil import rfc3339
from roster.kit.web import problems, uow
from roster.worker.queue import JobRepository

router = APIRouter(prefix="/v1", tags=["jobs"])


def render(job: dict[str, Any]) -> dict[str, Any]:
    params = job["params"]
    return {
        "id": str(job["id"]),
        "kind": job["kind"],
        "status": job["status"],
        "action": params.get("action"),
        "total": job["total"],
        "processed": job["processed"],
        "created": job["created"],
        "updated": job["updated"],
        "skipped": job["skipped"],
        "failed": job["failed"],
        "error": job["error"],
        "attempts": job["attempts"],
        "created_at": rfc3339(job["created_at"]),
        "started_at": rfc3339(job["started_at"]),
        "finished_at": rfc3339(job["finished_at"]),
    }


@router.get("/jobs/{job_id}", responses=problems(404), summary="A background job's progress")
async def get_job(request: Request, principal: ContactsRead, job_id: UUID) -> Response:
    async with uow(request, write=False) as conn:
        job = await JobRepository(conn, principal.tenant_id).get(job_id)
    if job is None:
        raise NotFound("no such job")
    return JSONBody(render(job))
