"""`roster worker` as a real process: kill -9 mid-import and resume; memory on a big file.

The job is queued and claimed in one transaction by a worker id that does not exist (so the
test app's embedded SQLite worker, whose stale limit is a minute, never takes it); the
subprocess, started with a 1-second stale limit, then takes it over as it would after a
crash.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func

from roster.auth.principal import Principal
from roster.contacts.repository import ContactRepository
from roster.imports import service
from roster.imports.upload import copy_local
from roster.kit.db import transaction
from roster.worker import queue
from tests.conftest import Env

pytestmark = pytest.mark.slow
ROSTER = str(Path(sys.executable).with_name("roster"))


async def _parked_import(env: Env, path: Path, fields: dict[str, str]) -> tuple[Any, Any]:
    tenant_id, _ = await env.tenant()
    principal = Principal(tenant_id, frozenset(), tenant_id)
    upload = copy_local(path, env.settings.imports_dir, fields)
    async with transaction(env.app.state.engine, write=True) as conn:
        job = await service.start(conn, principal, upload, default_region="US")
        claimed = await queue.claim(conn, "parked", stale_after=3600, max_attempts=5)
        while claimed is not None and claimed["id"] != job["id"]:
            await queue.finish(conn, claimed, "parked", "failed", error="test")
            claimed = await queue.claim(conn, "parked", stale_after=3600, max_attempts=5)
    return tenant_id, job["id"]


def _worker(env: Env, **extra: str) -> subprocess.Popen[bytes]:
    environ = {
        **os.environ,
        "ROSTER_DATABASE_URL": env.settings.url,
        "ROSTER_DATA_DIR": str(env.settings.data_dir),
        "ROSTER_JOB_STALE_SECONDS": "1",
        "ROSTER_JOB_HEARTBEAT_SECONDS": "0.3",
        "ROSTER_WORKER_POLL_SECONDS": "0.2",
        **extra,
    }
    return subprocess.Popen(
        [ROSTER, "worker"], env=environ, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


async def _job(env: Env, tenant_id: Any, job_id: Any) -> dict[str, Any]:
    async with transaction(env.app.state.engine, write=False) as conn:
        row = await queue.JobRepository(conn, tenant_id).get(job_id)
    assert row is not None
    return row


async def _until(
    env: Env, tenant_id: Any, job_id: Any, proc: subprocess.Popen[bytes], done: Any
) -> dict[str, Any]:
    # Gives up after a minute without progress, however long a loaded machine takes in all.
    waited, progress = 0, None
    while waited < 1200:
        row = await _job(env, tenant_id, job_id)
        if done(row):
            return row
        if proc.poll() is not None:
            stderr = proc.stderr.read().decode() if proc.stderr else ""
            raise AssertionError(f"worker exited: {stderr[-2000:]}")
        if (row["status"], row["processed"]) != progress:
            waited, progress = 0, (row["status"], row["processed"])
        await asyncio.sleep(0.05)
        waited += 1
    raise AssertionError(f"no progress for a minute: {row}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def test_kill_9_mid_import_loses_and_doubles_nothing(env: Env, tmp_path: Path) -> None:
    rows = 20_000
    path = tmp_path / "people.csv"
    with path.open("w") as f:
        f.write("email,first_name\n")
        for i in range(rows):
            f.write(f"p{i}@example.com,P{i}\n")
    tenant_id, job_id = await _parked_import(env, path, {"match_on": "email"})
    first = _worker(env, ROSTER_IMPORT_CHUNK_ROWS="500")
    try:
        seen = await _until(env, tenant_id, job_id, first, lambda r: r["processed"] >= 3_000)
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        _stop(first)
    killed_at = (await _job(env, tenant_id, job_id))["processed"]
    assert seen["processed"] <= killed_at < rows, "the worker finished before the kill"
    second = _worker(env, ROSTER_IMPORT_CHUNK_ROWS="500")
    try:
        final = await _until(
            env, tenant_id, job_id, second, lambda r: r["status"] in queue.FINISHED
        )
    finally:
        _stop(second)
    assert final["status"] == "completed", final
    assert (final["processed"], final["created"], final["updated"], final["failed"]) == (
        rows,
        rows,
        0,
        0,
    )
    assert final["attempts"] == 3  # parked here, killed, resumed
    async with transaction(env.app.state.engine, write=False) as conn:
        repo = ContactRepository(conn, tenant_id)
        count = (await conn.execute(repo.select(func.count()))).scalar_one()
        distinct = (
            await conn.execute(repo.select(func.count(func.distinct(repo.table.c.email_key))))
        ).scalar_one()
    assert count == distinct == rows


async def test_worker_memory_stays_bounded_on_a_large_file(env: Env, tmp_path: Path) -> None:
    path = tmp_path / "wide.csv"
    wide = "n" * 100_000
    count = 3_000  # ~300 MB
    with path.open("w") as f:
        f.write("email,notes\n")
        for i in range(count):
            f.write(f"w{i}-{uuid.uuid4().hex[:6]}@example.com,{wide}\n")
    assert path.stat().st_size > 280 * 1024 * 1024
    tenant_id, job_id = await _parked_import(env, path, {"mapping": '{"email": "email"}'})
    path.unlink()  # the upload keeps its own copy, which the worker deletes when done
    proc = _worker(env)
    try:
        final = await _until(env, tenant_id, job_id, proc, lambda r: r["status"] in queue.FINISHED)
        status = await asyncio.to_thread(Path(f"/proc/{proc.pid}/status").read_text)
    finally:
        _stop(proc)
    assert (final["status"], final["created"]) == ("completed", count), final
    peak_kib = int(
        next(line for line in status.splitlines() if line.startswith("VmHWM")).split()[1]
    )
    assert peak_kib < 300 * 1024, f"worker peak RSS {peak_kib // 1024} MiB"
