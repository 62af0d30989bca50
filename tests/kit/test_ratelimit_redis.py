"""With ROSTER_REDIS_URL the limit holds across server processes: two real uvicorn
processes on one database and the local Redis share one budget per credential.

Marked ``slow`` (it starts processes) but part of ``make test``; it skips when Redis is not
reachable (fails under CI=true) and always stops its processes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import sys
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

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


@asynccontextmanager
async def _servers(env: Env, count: int, **extra: str) -> AsyncIterator[list[str]]:
    """``count`` uvicorn processes serving Roster on ``env``'s database, stopped on exit
    (``extra``: more environment variables). Waits without blocking the event loop the
    session's app runs on: on SQLite a transaction of that app left open while the loop
    is blocked would keep the servers from starting."""
    base_env = {
        **os.environ,
        "ROSTER_DATABASE_URL": env.settings.database_url or "",
        "ROSTER_DATA_DIR": str(env.settings.data_dir),
        "ROSTER_REDIS_URL": REDIS_URL,
        "ROSTER_RATE_LIMIT": "1000/minute",
        **extra,
    }
    procs: list[asyncio.subprocess.Process] = []
    urls: list[str] = []
    try:
        for _ in range(count):
            port = _free_port()
            procs.append(
                await asyncio.create_subprocess_exec(
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
                    env=base_env,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.PIPE,
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + 120
        async with httpx.AsyncClient(timeout=1) as http:
            for url, proc in zip(urls, procs, strict=True):
                while True:
                    if proc.returncode is not None:
                        err = await proc.stderr.read() if proc.stderr else b""
                        pytest.fail(f"server exited: {err.decode()[-2000:]}")
                    try:
                        if (await http.get(f"{url}/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    if time.monotonic() > deadline:
                        pytest.fail("server did not start within 120 s")
                    await asyncio.sleep(0.1)
        yield urls
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.terminate()
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()
                await proc.wait()


def _redis() -> redis.Redis:
    """A client of the test Redis (skips, or fails under CI=true, when it is unreachable)."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        if IN_CI:
            pytest.fail(f"Redis is required under CI=true: {exc}")
        pytest.skip(f"Redis not reachable: {exc}")
    return client


async def test_limit_holds_across_two_processes(env: Env) -> None:
    client = _redis()
    tenant_id, _ = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        created = await tenants.create_api_key(
            conn, tenant_id, name="shared", scopes=["contacts:read"], rate_limit="10/hour"
        )
    headers = {"Authorization": f"Bearer {created.key}"}
    try:
        async with (
            _servers(env, 2) as (a, b),
            httpx.AsyncClient(headers=headers, timeout=10) as http,
        ):
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


async def test_failed_authentications_counted_across_two_processes(env: Env) -> None:
    client = _redis()
    # Uvicorn takes the client's address from X-Forwarded-For when the peer is a trusted
    # proxy (FORWARDED_ALLOW_IPS, here the test itself on 127.0.0.1): one address of this
    # run's own, so no other run's counter is shared.
    run = uuid.uuid4().int
    guesser = str(ipaddress.IPv4Address((198 << 24 | 18 << 16) + run % 65536))
    other = str(ipaddress.IPv4Address((198 << 24 | 19 << 16) + run % 65536))
    bad = {"Authorization": "Bearer rk_live_" + "x" * 32}
    try:
        async with (
            _servers(
                env, 2, ROSTER_AUTH_FAILURE_LIMIT="4/minute", FORWARDED_ALLOW_IPS="127.0.0.1"
            ) as (a, b),
            httpx.AsyncClient(timeout=10) as http,
        ):
            statuses = []
            for i in range(6):
                r = await http.get(
                    f"{(a, b)[i % 2]}/v1/contacts",
                    headers={**bad, "X-Forwarded-For": guesser},
                )
                statuses.append(r.status_code)
            # Each process alone would have allowed 4 failures; together they allow 4.
            assert statuses == [401] * 4 + [429] * 2, statuses
            assert r.headers["ratelimit-policy"] == '"auth-failures";q=4;w=60'
            assert 1 <= int(r.headers["retry-after"]) <= 60
            elsewhere = await http.get(
                f"{a}/v1/contacts", headers={**bad, "X-Forwarded-For": other}
            )
            assert elsewhere.status_code == 401
            assert elsewhere.headers["ratelimit"].startswith('"auth-failures";r=3;')
    finally:
        for address in (guesser, other):
            for name in client.scan_iter(f"roster:rl:auth-failures:{address}:*"):
                client.delete(name)
        client.close()
