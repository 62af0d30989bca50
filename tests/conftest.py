"""Test fixtures: the real app over HTTP, on SQLite and on PostgreSQL.

Every database test runs once per engine. Each engine gets a fresh database for the session
(a temporary SQLite file; a new PostgreSQL database, dropped afterwards) migrated with the
real Alembic history. Each test is isolated in a tenant of its own: every query Roster runs
is tenant-scoped, so tests cannot see each other's data (and that scoping is itself under
test). Under CI=true a missing PostgreSQL fails the run instead of skipping.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from roster.app import create_app
from roster.config import Settings
from roster.kit.db import create_engine, transaction
from roster.migrate import upgrade
from roster.tenants import service as tenants

PG_ADMIN_URL = os.environ.get(
    "ROSTER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


async def _pg_available() -> str | None:
    try:
        conn = await asyncpg.connect(_asyncpg_dsn(PG_ADMIN_URL), timeout=5)
    except (TimeoutError, OSError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


@dataclass
class Env:
    """One engine's running app, its settings and a way to make tenants."""

    name: str
    app: FastAPI
    settings: Settings

    def client(self, key: str | None = None) -> httpx.AsyncClient:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        return httpx.AsyncClient(
            transport=transport, base_url="http://roster.test", headers=headers
        )

    async def tenant(
        self, *, scopes: list[str] | None = None, region: str | None = None
    ) -> tuple[uuid.UUID, str]:
        """A new tenant and a key for it (admin unless ``scopes`` is given)."""
        async with transaction(self.app.state.engine, write=True) as conn:
            row = await tenants.create_tenant(conn, f"t-{uuid.uuid4().hex[:8]}", region)
            created = await tenants.create_api_key(
                conn, row["id"], name="test", scopes=scopes or ["admin"]
            )
        return row["id"], created.key

    async def key(
        self, tenant_id: uuid.UUID, scopes: list[str], *, rate_limit: str | None = None
    ) -> str:
        """A new key of the tenant's, with its own rate limit when ``rate_limit`` is given."""
        async with transaction(self.app.state.engine, write=True) as conn:
            created = await tenants.create_api_key(
                conn, tenant_id, name="t", scopes=scopes, rate_limit=rate_limit
            )
        return created.key


@asynccontextmanager
async def new_database(prefix: str, data_dir: Path, engine: str) -> AsyncIterator[str]:
    """The URL of a new, empty database: a SQLite file in ``data_dir``, or a PostgreSQL
    database dropped afterwards (skipped when PostgreSQL is unreachable; under CI=true that
    fails the run instead)."""
    if engine == "sqlite":
        yield f"sqlite:///{data_dir / (prefix + '.db')}"
        return
    problem = await _pg_available()
    if problem:
        if IN_CI:
            pytest.fail(f"PostgreSQL is required under CI=true: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    db = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    await _admin(f'CREATE DATABASE "{db}"')
    try:
        yield f"{PG_ADMIN_URL.rpartition('/')[0]}/{db}"
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


async def _admin(statement: str) -> None:
    """One statement on a connection of its own to the admin database."""
    admin = await asyncpg.connect(_asyncpg_dsn(PG_ADMIN_URL))
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Env]:
    name: str = request.param
    data_dir: Path = tmp_path_factory.mktemp(f"roster-{name}")
    async with new_database("roster_test", data_dir, name) as url:
        # Tests drive their own relays (tests/webhooks) and run their own jobs
        # (tests/bulk/helpers.wait_job): the server's embedded ones stay off, so that no
        # background loop takes a job or an event while a test looks at it. Every test
        # reaches this one app from one address, so the limit of failed authentications is
        # out of the way (tests/kit/test_ratelimit.py sets a low one).
        settings = Settings(  # type: ignore[call-arg]
            database_url=url,
            data_dir=data_dir,
            embedded_relay=False,
            embedded_worker=False,
            auth_failure_limit="1000000/minute",
            _env_file=None,
        )
        engine = create_engine(settings.url)
        await upgrade(engine)
        await engine.dispose()
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            yield Env(name=name, app=app, settings=settings)


@pytest.fixture
async def client(env: Env) -> AsyncIterator[httpx.AsyncClient]:
    """An admin client in a tenant of its own."""
    _, key = await env.tenant()
    async with env.client(key) as http:
        yield http


async def make_contact(http: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    """Create a contact (a unique phone unless one is given) and return it."""
    if not any(k in fields for k in ("phone", "email", "external_id")):
        fields["email"] = f"p{uuid.uuid4().hex[:12]}@example.com"
    response = await http.post("/v1/contacts", json=fields)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body
