"""Jobs that wait with no worker alive are reported by /readyz and in the server's log,
when `roster serve` is told that dedicated workers run the jobs (ROSTER_EMBEDDED_WORKER
false) and none does."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import update

from roster.kit.db import transaction
from roster.kit.timeutil import utcnow
from roster.models import jobs
from tests.conftest import Env
from tests.helpers.apps import app_with, client_for

CSV = {"file": ("people.csv", "phone,name\n+14155550142,Waiting\n", "text/csv")}


async def _age(env: Env, job_id: str, hours: int) -> None:
    async with transaction(env.app.state.engine, write=True) as conn:
        await conn.execute(
            update(jobs)
            .where(jobs.c.id == uuid.UUID(job_id))
            .values(created_at=utcnow() - timedelta(hours=hours))
        )


async def test_readyz_warns_when_jobs_wait_for_no_worker(env: Env) -> None:
    _, key = await env.tenant()
    # Older jobs of other tests share this database: an hour's threshold leaves them out.
    stale = 3600
    async with (
        app_with(env, embedded_worker=False, job_stale_seconds=stale) as app,
        client_for(app, key) as http,
    ):
        made = await http.post("/v1/imports", files=CSV)
        assert made.status_code == 202
        ready = (await http.get("/readyz")).json()
        assert ready == {"status": "ready"}, ready
        await _age(env, made.json()["id"], hours=2)
        ready = await http.get("/readyz")
    assert ready.status_code == 200
    (warning,) = ready.json()["warnings"]
    assert "no job worker is alive" in warning and "roster worker" in warning


async def test_the_server_logs_jobs_that_wait_for_no_worker(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    _, key = await env.tenant()
    caplog.set_level(logging.WARNING, logger="roster")
    async with app_with(env, embedded_worker=False, job_stale_seconds=0.2) as app:
        async with client_for(app, key) as http:
            assert (await http.post("/v1/imports", files=CSV)).status_code == 202
        for _ in range(100):
            if any("no job worker is alive" in r.getMessage() for r in caplog.records):
                break
            await asyncio.sleep(0.1)
    messages = [r.getMessage() for r in caplog.records if "no job worker" in r.getMessage()]
    assert messages, "the server never said that jobs wait for no worker"
    # One line, not a traceback.
    assert all(r.exc_info is None for r in caplog.records if "no job worker" in r.getMessage())
