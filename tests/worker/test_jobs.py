"""The job queue: claims, stale takeover, fencing of a worker that lost its claim."""

from __future__ import annotations

import uuid

import pytest

from roster.kit.db import transaction
from roster.worker import queue
from roster.worker.runner import Worker
from tests.conftest import Env


async def test_stale_job_is_taken_over_and_old_worker_is_fenced(env: Env) -> None:
    tenant_id, _ = await env.tenant()
    engine = env.app.state.engine
    kind = f"test-{uuid.uuid4().hex[:6]}"  # no handler: only this test's claims touch it
    async with transaction(engine, write=True) as conn:
        job = await queue.enqueue(conn, tenant_id, kind, {})
        first = await queue.claim(conn, "w1", stale_after=60, max_attempts=5)
        while first is not None and first["id"] != job["id"]:  # anything queued earlier
            await queue.finish(conn, first, "w1", "completed")
            first = await queue.claim(conn, "w1", stale_after=60, max_attempts=5)
    assert first is not None and first["attempts"] == 1
    async with transaction(engine, write=True) as conn:
        # Fresh heartbeat: nobody else may take it.
        assert await queue.claim(conn, "w2", stale_after=60, max_attempts=5) is None
        # Stale (stale_after=-1): w2 takes it over.
        second = await queue.claim(conn, "w2", stale_after=-1, max_attempts=5)
    assert second is not None and second["id"] == job["id"] and second["attempts"] == 2
    with pytest.raises(queue.LostClaim):
        async with transaction(engine, write=True) as conn:
            await queue.checkpoint(conn, first, "w1", position={"x": 1}, add={"processed": 5})
    async with transaction(engine, write=True) as conn:
        await queue.checkpoint(conn, second, "w2", position={"x": 2}, add={"processed": 7})
        await queue.finish(conn, second, "w2", "completed")
        row = await queue.JobRepository(conn, tenant_id).get(job["id"])
    assert row is not None
    assert (row["status"], row["processed"], row["checkpoint"]) == ("completed", 7, {"x": 2})


async def test_job_that_keeps_dying_is_failed(env: Env) -> None:
    tenant_id, _ = await env.tenant()
    engine = env.app.state.engine
    kind = f"test-{uuid.uuid4().hex[:6]}"
    async with transaction(engine, write=True) as conn:
        # Queued and claimed in one transaction, so the embedded worker never sees it queued.
        job = await queue.enqueue(conn, tenant_id, kind, {})
        claimed = await queue.claim(conn, "w0", stale_after=60, max_attempts=2)
        while claimed is not None and claimed["id"] != job["id"]:
            await queue.finish(conn, claimed, "w0", "completed")
            claimed = await queue.claim(conn, "w0", stale_after=60, max_attempts=2)
    assert claimed is not None
    for attempt in (1, 2):
        async with transaction(engine, write=True) as conn:
            claimed = await queue.claim(conn, f"w{attempt}", stale_after=-1, max_attempts=2)
        if attempt == 1:
            assert claimed is not None and claimed["id"] == job["id"]
        else:
            assert claimed is None
    async with transaction(engine, write=True) as conn:
        row = await queue.JobRepository(conn, tenant_id).get(job["id"])
    assert row is not None and row["status"] == "failed" and "attempts" in row["error"]


async def test_cancel_queued_job_and_unknown_job(env: Env) -> None:
    tenant_id, key = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        job = await queue.enqueue(conn, tenant_id, f"test-{uuid.uuid4().hex[:6]}", {})
        cancelled = await queue.cancel(conn, tenant_id, job["id"], None)
    assert cancelled["status"] == "cancelled" and cancelled["finished_at"] is not None
    async with env.client(key) as http:
        body = (await http.get(f"/v1/jobs/{job['id']}")).json()
        assert body["status"] == "cancelled"
        assert (await http.get(f"/v1/jobs/{uuid.uuid4()}")).status_code == 404
        assert (await http.get("/v1/jobs/not-an-id")).status_code == 404


async def test_one_tenants_many_jobs_take_turns_with_anothers(env: Env) -> None:
    """A tenant with a backlog of jobs does not hold back another tenant's job: a worker
    takes tenants in turns, so the later tenant's job runs after at most one of the
    backlog's (jobs of other tests' tenants may come between)."""
    flood, _ = await env.tenant()
    other, key = await env.tenant()
    engine = env.app.state.engine
    kind = f"test-{uuid.uuid4().hex[:6]}"  # no handler: each run fails at once
    async with transaction(engine, write=True) as conn:
        backlog = [await queue.enqueue(conn, flood, kind, {}) for _ in range(4)]
    async with transaction(engine, write=True) as conn:
        late = await queue.enqueue(conn, other, kind, {})
    worker = Worker(engine, env.settings)
    async with env.client(key) as http:
        for _ in range(50):
            assert await worker.run_once()
            if (await http.get(f"/v1/jobs/{late['id']}")).json()["status"] == "failed":
                break
    async with transaction(engine, write=False) as conn:
        repo = queue.JobRepository(conn, flood)
        statuses = [(await repo.get(job["id"]) or {})["status"] for job in backlog]
    assert statuses.count("failed") <= 1, statuses
