"""Idempotent POSTs under faults at each point of the request, on both engines: the key
row and the effect commit together or not at all, so a retry never doubles the effect,
never meets a stuck key and never gets 409 after a 2xx.

A fault is injected through SQLAlchemy's public engine events on a second app's engine:
on PostgreSQL the chosen statement is replaced by one that terminates its own backend (the
connection really dies there); on SQLite, which has no connection to lose, the statement
fails instead. "Stopped" then keeps the database unreachable for one more attempt (the
app's engine swapped for one that cannot connect, as tests/kit/db/test_faults.py does).
"Response" loses the answer on its way back after the commit, as a dropped connection does.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event, func, select
from starlette.types import Message, Receive, Scope, Send

from roster.kit.db import create_engine, transaction
from roster.models import contacts, idempotency_keys, notes
from tests.conftest import Env
from tests.helpers.apps import app_with

NOWHERE = "postgresql+asyncpg://postgres@127.0.0.1:1/roster"

# Where the fault strikes: the claim (before the effect), the effect itself, the stored
# result (after the effect, before the commit), the commit, and the response after it.
STATEMENTS = {
    "claim": re.compile(r"^\s*INSERT INTO idempotency_keys", re.I),
    "store": re.compile(r"^\s*UPDATE idempotency_keys", re.I),
}
_CLAIMED = "test_claimed_a_key"
EFFECTS = {"contact": re.compile(r"^\s*INSERT INTO contacts\b", re.I)}
EFFECTS["note"] = re.compile(r"^\s*INSERT INTO notes\b", re.I)


class Faults:
    """Arms a fault at one point of the next ``count`` requests."""

    def __init__(self, app: FastAPI, dialect: str) -> None:
        self.app = app
        self.dialect = dialect
        self.pattern: re.Pattern[str] | None = None
        self.at_commit = False
        self.left = 0
        self.fired = 0
        engine = app.state.engine.sync_engine
        event.listen(engine, "before_cursor_execute", self._statement, retval=True)
        event.listen(engine, "commit", self._commit)
        event.listen(engine, "rollback", self._forget)

    def arm(self, point: str, effect: re.Pattern[str], count: int = 1) -> None:
        self.pattern = None if point in ("commit", "response") else STATEMENTS.get(point, effect)
        self.at_commit = point == "commit"
        self.left = count if point != "response" else 0

    def _take(self) -> bool:
        if self.left <= 0:
            return False
        self.left -= 1
        self.fired += 1
        return True

    def _statement(
        self, conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> tuple[str, Any]:
        if STATEMENTS["claim"].match(statement):
            conn.info[_CLAIMED] = True  # the commit fault strikes only a claiming transaction
        if self.pattern is not None and self.pattern.match(statement) and self._take():
            if self.dialect == "postgresql":
                return "SELECT pg_terminate_backend(pg_backend_pid())", ()
            return "SELECT roster_fault_injected()", ()
        return statement, parameters

    def _forget(self, conn: Any) -> None:
        conn.info.pop(_CLAIMED, None)

    def _commit(self, conn: Any) -> None:
        if self.at_commit and conn.info.pop(_CLAIMED, False) and self._take():
            if self.dialect == "postgresql":
                conn.exec_driver_sql("SELECT pg_terminate_backend(pg_backend_pid())")
            else:
                raise OSError("fault injected at commit")


class LoseResponses:
    """ASGI wrapper: the next ``left`` responses are lost after the app produced them."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.left = 0
        self.lost = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        dropping = scope["type"] == "http" and self.left > 0
        if dropping:
            self.left -= 1

        async def maybe_lost(message: Message) -> None:
            nonlocal dropping
            if dropping and message["type"] == "http.response.start":
                dropping = False
                self.lost += 1
                raise ConnectionResetError("the client went away")
            await send(message)

        await self.app(scope, receive, maybe_lost)


@asynccontextmanager
async def faulty(env: Env) -> AsyncIterator[tuple[FastAPI, Faults, LoseResponses]]:
    async with app_with(env) as app:
        yield app, Faults(app, env.name), LoseResponses(app)


@asynccontextmanager
async def database_down(app: FastAPI) -> AsyncIterator[None]:
    working = app.state.engine
    app.state.engine = create_engine(NOWHERE, connect_timeout=0.5, pool_timeout=0.5)
    try:
        yield
    finally:
        await app.state.engine.dispose()
        app.state.engine = working


async def _count(env: Env, table: Any, tenant_id: uuid.UUID) -> int:
    async with transaction(env.app.state.engine, write=False) as conn:
        query = select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
        return int((await conn.execute(query)).scalar_one())


def _client(wrapper: LoseResponses, key: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=wrapper, raise_app_exceptions=False)
    return httpx.AsyncClient(
        transport=transport,
        base_url="http://roster.test",
        headers={"Authorization": f"Bearer {key}"},
    )


async def _until_done(
    post: Callable[[], Any], first_status: int, history: list[int]
) -> httpx.Response:
    """Retry as a client does: a 5xx or a lost answer is retried; any other answer is
    final. A 409 after any 2xx would be a stuck key."""
    for _ in range(4):
        r: httpx.Response = await post()
        history.append(r.status_code)
        if r.status_code < 500:
            return r
    raise AssertionError(f"never completed: {history}")


POINTS = ("claim", "effect", "store", "commit", "response")


@pytest.mark.parametrize("operation", ["contact", "note"])
@pytest.mark.parametrize("point", POINTS)
@pytest.mark.parametrize("outage", ["killed", "stopped"])
async def test_a_fault_at_each_point_never_doubles_or_sticks(
    env: Env, point: str, outage: str, operation: str
) -> None:
    tenant_id, key = await env.tenant()
    async with faulty(env) as (app, faults, lose), _client(lose, key) as http:
        owner = await http.post(
            "/v1/contacts", json={"name": "Owner", "email": f"{uuid.uuid4().hex}@example.org"}
        )
        assert owner.status_code == 201
        table = contacts if operation == "contact" else notes
        before = await _count(env, table, tenant_id)
        if operation == "contact":
            path, body = "/v1/contacts", {"email": f"{uuid.uuid4().hex}@example.com"}
        else:
            path, body = f"/v1/contacts/{owner.json()['id']}/notes", {"body": "called"}
        idem = {"Idempotency-Key": f"{point}-{outage}"}

        async def post() -> httpx.Response:
            return await http.post(path, json=body, headers=idem)

        faults.arm(point, EFFECTS[operation])
        if point == "response":
            lose.left = 1
        first = await post()
        assert faults.fired + lose.lost == 1, "the fault did not strike"
        assert first.status_code >= 500, first.text
        history = [first.status_code]
        if outage == "stopped":
            async with database_down(app):
                r = await post()
                history.append(r.status_code)
                assert r.status_code == 503, r.text
        done = await _until_done(post, first.status_code, history)
        assert done.status_code == 201, (history, done.text)
        # After the outage the retry either replays the committed result or runs once.
        if point == "response":
            assert done.headers.get("idempotent-replayed") == "true", history
        else:
            assert "idempotent-replayed" not in done.headers, history
        again = await post()
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.json() == done.json()
    assert 409 not in history, history
    assert await _count(env, table, tenant_id) == before + 1


async def test_many_requests_with_their_connections_killed_after_the_effect(env: Env) -> None:
    """Sixteen concurrent idempotent notes; the first four lose their connection after the
    effect was written and before it committed, then the database is down for a round.
    Every client retries until it has a 2xx: sixteen notes, each key replays its note."""
    tenant_id, key = await env.tenant()
    async with faulty(env) as (app, faults, lose), _client(lose, key) as http:
        owner = await http.post(
            "/v1/contacts", json={"name": "Owner", "email": f"{uuid.uuid4().hex}@example.org"}
        )
        path = f"/v1/contacts/{owner.json()['id']}/notes"
        faults.arm("store", EFFECTS["note"], count=4)

        async def post(i: int) -> httpx.Response:
            return await http.post(
                path, json={"body": f"note {i}"}, headers={"Idempotency-Key": f"n{i}"}
            )

        first = await asyncio.gather(*(post(i) for i in range(16)))
        failed = [i for i, r in enumerate(first) if r.status_code >= 500]
        assert len(failed) == faults.fired == 4
        async with database_down(app):
            down = await asyncio.gather(*(post(i) for i in failed))
            assert {r.status_code for r in down} == {503}
        answers = {i: r for i, r in enumerate(first) if r.status_code == 201}
        for i in failed:
            r = await post(i)
            assert r.status_code == 201 and "idempotent-replayed" not in r.headers, r.text
            answers[i] = r
        for i in range(16):
            r = await post(i)
            assert r.status_code == 201 and r.headers["idempotent-replayed"] == "true"
            assert r.json() == answers[i].json()
    assert await _count(env, notes, tenant_id) == 16
    assert await _count(env, idempotency_keys, tenant_id) == 16
