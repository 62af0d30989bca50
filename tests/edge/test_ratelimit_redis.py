"""With ROSTER_REDIS_URL the limit holds across server processes: two real uvicorn
processes on one database and the local Redis share one budget per credential.

Marked ``slow`` (it starts processes) but part of ``make test``; it skips when Redis is not
reachable (fails under CI=true) and always stops its processes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import redis

from roster.kit.db import transaction
from roster.tenants import service as tenants
from tests.conftest import IN_CI, Env

REDIS_URL = os.environ.get("ROSTER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _servers(env: Env, count: int) -> Iterator[list[str]]:
    """``count`` uvicorn processes serving Roster on ``env``'s database, stopped on exit."""
    base_env = {
        **os.environ,
        "ROSTER_DATABASE_URL": env.settings.database_url or "",
        "ROSTER_DATA_DIR": str(env.settings.data_dir),
        "ROSTER_REDIS_URL": REDIS_URL,
        "ROSTER_RATE_LIMIT": "1000/minute",
    }
    procs: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    try:
        for _ in range(count):
            port = _free_port()
            procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "uvicorn",
                        "roster.app:create_app",
                        "--factory",
                        "--host",
                        "127.0.0.1",
                        "--port",
                        str(port),
                        "--log-level",
                        "warning",
                    ],
                    env=base_env,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.PIPE,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 30
        for url, proc in zip(urls, procs, strict=True):
            while True:
                if proc.poll() is not None:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    pytest.fail(f"server exited: {err[-2000:]}")
                try:
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    pytest.fail("server did not start within 30 s")
                time.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


async def test_limit_holds_across_two_processes(env: Env) -> None:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    tenant_id, _ = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        created = await tenants.create_api_key(
            conn, tenant_id, name="shared", scopes=["contacts:read"], rate_limit="10/hour"
        )
    headers = {"Authorization": f"Bearer {created.key}"}
    try:
        with _servers(env, 2) as (a, b):
            async with httpx.AsyncClient(headers=headers, timeout=10) as http:
                statuses = []
                remaining = []
                for i in range(16):
                    r = await http.get(f"{(a, b)[i % 2]}/v1/contacts")
                    statuses.append(r.status_code)
                    if r.status_code == 200:
                        remaining.append(r.headers["ratelimit"])
                # Each process alone would have allowed 10; together they allow 10.
                assert statuses == [200] * 10 + [429] * 6, statuses
                assert remaining[0].startswith('"default";r=9;') and remaining[-1].startswith(
                    '"default";r=0;'
                )
                r = await http.get(f"{b}/v1/contacts")
                assert r.status_code == 429 and int(r.headers["retry-after"]) > 3000
                assert r.headers["ratelimit-policy"] == '"default";q=10;w=3600'
    finally:
        for name in client.scan_iter(f"roster:rl:{created.id}:*"):
            client.delete(name)
        client.close()
