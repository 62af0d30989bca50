"""Database faults: down → 503 problem with Retry-After, quickly; after the server drops
every connection (as on a restart), the pool recovers by itself.

The shared PostgreSQL server is never stopped (others use it): a restart is simulated by
terminating this test database's backends with pg_terminate_backend.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid

import asyncpg
import pytest

from roster.kit.db import create_engine
from tests.conftest import PG_ADMIN_URL, Env, _asyncpg_dsn
from tests.helpers.apps import app_with, client_for

NOWHERE = "postgresql+asyncpg://postgres@127.0.0.1:1/roster"


async def test_database_down_is_503_with_retry_after(env: Env) -> None:
    _, key = await env.tenant()
    async with app_with(env) as app:
        working = app.state.engine
        app.state.engine = create_engine(NOWHERE)
        try:
            async with client_for(app, key) as http:
                for method, path in (
                    ("GET", "/v1/contacts"),
                    ("POST", "/v1/contacts"),
                    ("GET", "/readyz"),
                ):
                    started = time.monotonic()
                    r = await http.request(
                        method,
                        path,
                        json={"email": "x@example.com"} if method == "POST" else None,
                        headers={"Idempotency-Key": "k"} if method == "POST" else None,
                    )
                    elapsed = time.monotonic() - started
                    assert r.status_code == 503, (path, r.text)
                    assert elapsed < 5, elapsed
                    assert r.headers["content-type"] == "application/problem+json"
                    assert r.json()["code"] == "unavailable" and r.json()["status"] == 503
                    assert int(r.headers["retry-after"]) >= 1
                    assert "127.0.0.1" not in r.text and "asyncpg" not in r.text
                # Liveness does not depend on the database.
                assert (await http.get("/healthz")).status_code == 200
        finally:
            await app.state.engine.dispose()
            app.state.engine = working
        # The same app serves again once the database is back.
        async with client_for(app, key) as http:
            assert (await http.get("/v1/contacts")).status_code == 200


async def test_pool_recovers_after_backends_are_terminated(env: Env) -> None:
    if env.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server connections to lose")
    _, key = await env.tenant()
    database = env.settings.url.rsplit("/", 1)[1]
    async with env.client(key) as http:
        # Fill the pool with several live connections.
        made = await asyncio.gather(
            *(
                http.post("/v1/contacts", json={"email": f"{uuid.uuid4().hex}@ex.com"})
                for _ in range(8)
            )
        )
        assert all(r.status_code == 201 for r in made)
        # Reads by id take pooled connections without the liveness ping once their read has
        # run (kit.db.single_read): one that meets a dead connection reads again.
        by_id = [f"/v1/contacts/{r.json()['id']}" for r in made]
        assert all(r.status_code == 200 for r in [await http.get(path) for path in by_id])
        admin = await asyncpg.connect(_asyncpg_dsn(PG_ADMIN_URL))
        try:
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = $1 AND pid <> pg_backend_pid()",
                database,
            )
        finally:
            await admin.close()
        assert killed >= 1
        results = await asyncio.gather(
            *(http.get(path) for path in by_id), *(http.get("/v1/contacts") for _ in range(8))
        )
        assert [r.status_code for r in results] == [200] * 16
        r = await http.post("/v1/contacts", json={"email": f"{uuid.uuid4().hex}@ex.com"})
        assert r.status_code == 201


async def test_statement_timeout_is_503(env: Env) -> None:
    """A query past the statement timeout is cancelled by PostgreSQL and reported as 503."""
    if env.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no statement timeout")
    from sqlalchemy import text

    from roster.errors import Unavailable
    from roster.kit.db import transaction

    engine = create_engine(env.settings.url, pool_size=1, statement_timeout_ms=100)
    try:
        with pytest.raises(Unavailable):
            async with transaction(engine, write=False) as conn:
                await conn.execute(text("SELECT pg_sleep(2)"))
        async with transaction(engine, write=False) as conn:
            assert (await conn.execute(text("SELECT 1"))).scalar_one() == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/contacts/{id}/notes", 503),
        ("POST", "/v1/contacts", 503),
        # A read by id and a list page take their connection without the ping, and their
        # first read (the API key) checks it: they read again on a new connection.
        ("GET", "/v1/contacts", 200),
        ("GET", "/v1/contacts/{id}", 200),
    ],
)
async def test_connection_lost_after_its_liveness_check(
    env: Env, method: str, path: str, status: int
) -> None:
    """A connection dropped after its checkout and before the request's first statement (a
    restart in between): the request answers 503 with Retry-After, not 500, or (a read
    whose first statement is the liveness check) reads again; the next request is served
    on a new connection."""
    if env.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server connections to lose")
    from sqlalchemy import event
    from sqlalchemy.util import await_only

    _, key = await env.tenant()
    # An error the app raises after its response (ending the request's transaction) fails
    # the test too.
    async with app_with(env) as app, client_for(app, key, raise_app_exceptions=True) as http:
        made = await http.post("/v1/contacts", json={"email": f"{uuid.uuid4().hex}@ex.com"})
        assert made.status_code == 201
        path = path.format(id=made.json()["id"])
        drop = [True]

        # Registered after the liveness ping: runs once the connection passed it.
        @event.listens_for(app.state.engine.sync_engine, "checkout")
        def _restart(_dbapi: object, _record: object, proxy: object) -> None:
            if drop[0]:
                drop[0] = False
                driver = proxy.driver_connection  # type: ignore[attr-defined]
                with contextlib.suppress(Exception):
                    await_only(driver.execute("SELECT pg_terminate_backend(pg_backend_pid())"))

        body = {"email": f"{uuid.uuid4().hex}@ex.com"} if method == "POST" else None
        r = await http.request(method, path, json=body)
        assert not drop[0], "the request took no connection from the pool"
        assert r.status_code == status, r.text
        if status == 503:
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == "unavailable"
            assert int(r.headers["retry-after"]) >= 1
        again = await http.request(method, path, json=body)
        assert again.status_code == (201 if method == "POST" else 200), again.text
