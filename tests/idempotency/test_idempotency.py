"""Idempotency-Key on POST (API.md §1): replay, mismatch, in flight, per tenant, 5xx not
stored, retention sweep, and 50 concurrent identical requests with exactly one effect."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import uuid
from datetime import timedelta
from typing import Any

import httpx
import orjson
import pytest
from fastapi import Request
from sqlalchemy import func, select, update

from roster.auth.deps import ContactsWrite
from roster.errors import Unavailable
from roster.idempotency import sweep
from roster.idempotency.repository import IdempotencyRepository
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow
from roster.models import contacts, idempotency_keys
from tests.conftest import Env
from tests.helpers.apps import app_with, client_for


def _email() -> str:
    return f"i{uuid.uuid4().hex[:12]}@example.com"


async def _count(env: Env, tenant_id: uuid.UUID, table: Any = contacts) -> int:
    async with transaction(env.app.state.engine, write=False) as conn:
        query = select(func.count()).select_from(table).where(table.c.tenant_id == tenant_id)
        return int((await conn.execute(query)).scalar_one())


async def test_replay_and_mismatch(env: Env) -> None:
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        body = {"email": _email(), "name": "Ada"}
        first = await http.post("/v1/contacts", json=body, headers={"Idempotency-Key": "k-1"})
        assert first.status_code == 201 and "idempotent-replayed" not in first.headers
        again = await http.post("/v1/contacts", json=body, headers={"Idempotency-Key": "k-1"})
        assert again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["content-type"] == "application/json"
        assert again.headers["x-request-id"] != first.headers["x-request-id"]
        assert "ratelimit" in again.headers
        assert await _count(env, tenant_id) == 1

        other = await http.post(
            "/v1/contacts", json={**body, "name": "Bob"}, headers={"Idempotency-Key": "k-1"}
        )
        assert other.status_code == 422
        assert other.headers["content-type"] == "application/problem+json"
        assert other.json()["code"] == "idempotency_key_mismatch"
        # Same key and body on another path is another request too.
        elsewhere = await http.post(
            "/v1/contacts/upsert", json=body, headers={"Idempotency-Key": "k-1"}
        )
        assert elsewhere.status_code == 422
        # Without a key, the same body is simply a second request (a conflict here).
        assert (await http.post("/v1/contacts", json=body)).status_code == 409
        assert await _count(env, tenant_id) == 1


async def test_errors_4xx_are_replayed_but_not_5xx(env: Env) -> None:
    _, key = await env.tenant()
    async with env.client(key) as http:
        bad = {"phone": "not a phone"}
        first = await http.post("/v1/contacts", json=bad, headers={"Idempotency-Key": "bad"})
        assert first.status_code == 422
        again = await http.post("/v1/contacts", json=bad, headers={"Idempotency-Key": "bad"})
        assert again.status_code == 422 and again.headers["idempotent-replayed"] == "true"
        assert again.headers["content-type"] == "application/problem+json"
        assert again.json() == first.json()


async def test_5xx_is_not_stored(env: Env) -> None:
    """A route that fails (500, or 503 from the database) leaves no stored response: the
    retry runs again. A test-only route stands in for any failing POST."""
    tenant_id, key = await env.tenant()
    calls: list[str] = []

    async with app_with(env) as app:

        async def flaky(request: Request, principal: ContactsWrite) -> dict[str, int]:
            calls.append(request.headers["idempotency-key"])
            if len(calls) == 1:
                raise RuntimeError("boom")
            if len(calls) == 2:
                raise Unavailable("database down")
            return {"calls": len(calls)}

        app.add_api_route("/v1/flaky", flaky, methods=["POST"], status_code=201)
        async with client_for(app, key, **{"Idempotency-Key": "five"}) as http:
            first = await http.post("/v1/flaky", json={})
            assert first.status_code == 500
            assert first.headers["content-type"] == "application/problem+json"
            second = await http.post("/v1/flaky", json={})
            assert second.status_code == 503 and "retry-after" in second.headers
            third = await http.post("/v1/flaky", json={})
            assert third.status_code == 201 and third.json() == {"calls": 3}
            fourth = await http.post("/v1/flaky", json={})
            assert fourth.status_code == 201 and fourth.headers["idempotent-replayed"] == "true"
            assert fourth.json() == {"calls": 3}
    assert len(calls) == 3
    assert await _count(env, tenant_id, idempotency_keys) == 1


def _row(key: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "key": key,
        "method": "POST",
        "path": "/v1/contacts",
        "body_hash": hashlib.sha256(orjson.dumps(body)).hexdigest(),
        "created_at": utcnow(),
    }


async def test_a_request_waits_for_the_holder_of_its_key(env: Env) -> None:
    """A transaction that holds the key (as a running request's does) is waited for: once
    it commits its result, the request replays it; the request never runs beside it."""
    tenant_id, key = await env.tenant()
    body = {"email": _email()}
    async with env.client(key) as http:
        async with transaction(env.app.state.engine, write=True) as conn:
            repo = IdempotencyRepository(conn, tenant_id)
            await repo.claim(_row("held", body))
            racing = asyncio.create_task(
                http.post("/v1/contacts", content=orjson.dumps(body), headers=_json_key("held"))
            )
            await asyncio.sleep(0.2)  # either way the request must end as a replay
            await repo.complete(
                "held",
                {
                    "status": 201,
                    "response_body": b'{"held": true}',
                    "response_headers": [["content-type", "application/json"]],
                    "completed_at": utcnow(),
                },
            )
        r = await racing
        assert r.status_code == 201 and r.headers["idempotent-replayed"] == "true"
        assert r.json() == {"held": True}
        assert await _count(env, tenant_id) == 0


async def test_a_holder_that_rolls_back_frees_the_key(env: Env) -> None:
    tenant_id, key = await env.tenant()
    body = {"email": _email()}
    async with env.client(key) as http:
        racing = None
        with contextlib.suppress(LookupError):
            async with transaction(env.app.state.engine, write=True) as conn:
                await IdempotencyRepository(conn, tenant_id).claim(_row("undone", body))
                racing = asyncio.create_task(
                    http.post(
                        "/v1/contacts", content=orjson.dumps(body), headers=_json_key("undone")
                    )
                )
                await asyncio.sleep(0.2)
                raise LookupError("the holder fails")
        assert racing is not None
        r = await racing
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
        assert await _count(env, tenant_id) == 1


async def test_a_row_left_in_flight_is_taken_over(env: Env) -> None:
    """Rows committed without a result (by versions that claimed keys on their own) are
    never waited for: the next request takes the key over at once."""
    tenant_id, key = await env.tenant()
    body = {"email": _email()}
    async with transaction(env.app.state.engine, write=True) as conn:
        await IdempotencyRepository(conn, tenant_id).claim(_row("busy", body))
    async with env.client(key) as http:
        r = await http.post("/v1/contacts", content=orjson.dumps(body), headers=_json_key("busy"))
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
        again = await http.post(
            "/v1/contacts", content=orjson.dumps(body), headers=_json_key("busy")
        )
        assert again.headers["idempotent-replayed"] == "true" and again.json() == r.json()
        # A different body is a mismatch, never a second run.
        other = await http.post("/v1/contacts", json={"email": _email()}, headers=_json_key("busy"))
        assert other.status_code == 422
    assert await _count(env, tenant_id) == 1


async def test_a_holder_that_outlasts_the_statement_timeout_is_409(env: Env) -> None:
    if env.name != "postgresql":
        pytest.skip("SQLite: a waiting writer waits for the lock (busy_timeout), then 503")
    tenant_id, key = await env.tenant()
    body = {"email": _email()}
    async with app_with(env, db_statement_timeout_ms=300) as app, client_for(app, key) as http:
        async with transaction(env.app.state.engine, write=True) as conn:
            await IdempotencyRepository(conn, tenant_id).claim(_row("slow", body))
            r = await http.post(
                "/v1/contacts", content=orjson.dumps(body), headers=_json_key("slow")
            )
        assert r.status_code == 409 and r.json()["code"] == "idempotency_in_progress"
        assert r.headers["retry-after"] == "1"
        # The holder rolled back nothing here but committed a row without a result:
        # the next attempt takes it over and runs once.
        r = await http.post("/v1/contacts", content=orjson.dumps(body), headers=_json_key("slow"))
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers
    assert await _count(env, tenant_id) == 1


async def test_a_retry_right_after_the_answer_replays(env: Env) -> None:
    """The result is stored before the response leaves: a client that retries as soon as
    it has its answer replays it, every time."""
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        for i in range(40):
            body = {"email": _email()}
            first = await http.post("/v1/contacts", json=body, headers={"Idempotency-Key": f"r{i}"})
            again = await http.post("/v1/contacts", json=body, headers={"Idempotency-Key": f"r{i}"})
            assert first.status_code == 201, first.text
            assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
            assert again.json() == first.json()
    assert await _count(env, tenant_id) == 40


def _json_key(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key, "Content-Type": "application/json"}


async def test_keys_are_per_tenant(env: Env) -> None:
    a_id, key_a = await env.tenant()
    b_id, key_b = await env.tenant()
    async with env.client(key_a) as a, env.client(key_b) as b:
        ra = await a.post(
            "/v1/contacts", json={"email": _email()}, headers={"Idempotency-Key": "same"}
        )
        rb = await b.post(
            "/v1/contacts", json={"email": _email()}, headers={"Idempotency-Key": "same"}
        )
        assert ra.status_code == rb.status_code == 201
        assert "idempotent-replayed" not in rb.headers
        assert ra.json()["id"] != rb.json()["id"]
    assert await _count(env, a_id) == 1 and await _count(env, b_id) == 1


async def test_key_format_and_non_post(client: httpx.AsyncClient) -> None:
    for bad in ("", "x" * 256, "tab\there", "é"):
        r = await client.post(
            "/v1/contacts",
            json={"email": _email()},
            headers={"Idempotency-Key": bad.encode("utf-8")},
        )
        assert r.status_code == 400, bad
        assert r.json()["code"] == "invalid_request"
        assert "Idempotency-Key" in r.json()["detail"]
    r = await client.post(
        "/v1/contacts", json={"email": _email()}, headers={"Idempotency-Key": "x" * 255}
    )
    assert r.status_code == 201
    # Other methods ignore the header.
    made = r.json()
    for _ in range(2):
        r = await client.patch(
            f"/v1/contacts/{made['id']}", json={"name": "n"}, headers={"Idempotency-Key": "p"}
        )
        assert r.status_code == 200 and "idempotent-replayed" not in r.headers


async def test_unauthenticated_request_is_not_claimed(env: Env) -> None:
    async with env.client("rk_live_" + "x" * 32) as http:
        r = await http.post(
            "/v1/contacts", json={"email": _email()}, headers={"Idempotency-Key": "a"}
        )
        assert r.status_code == 401


async def test_sweep_deletes_expired(env: Env) -> None:
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        for k in ("old", "new"):
            r = await http.post(
                "/v1/contacts", json={"email": _email()}, headers={"Idempotency-Key": k}
            )
            assert r.status_code == 201
        async with transaction(env.app.state.engine, write=True) as conn:
            await conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.tenant_id == tenant_id, idempotency_keys.c.key == "old")
                .values(created_at=utcnow() - timedelta(hours=25))
            )
        assert await sweep(env.app.state.engine, 24 * 3600) >= 1
        assert await _count(env, tenant_id, idempotency_keys) == 1
        # The swept key is free again: a new request runs.
        r = await http.post(
            "/v1/contacts", json={"email": _email()}, headers={"Idempotency-Key": "old"}
        )
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers


async def test_expired_key_is_reused_without_sweep(env: Env) -> None:
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        body = {"email": _email()}
        assert (
            await http.post("/v1/contacts", json=body, headers={"Idempotency-Key": "e"})
        ).status_code == 201
        async with transaction(env.app.state.engine, write=True) as conn:
            await conn.execute(
                update(idempotency_keys)
                .where(idempotency_keys.c.tenant_id == tenant_id)
                .values(created_at=utcnow() - timedelta(hours=25))
            )
        r = await http.post(
            "/v1/contacts", json={"email": _email()}, headers={"Idempotency-Key": "e"}
        )
        assert r.status_code == 201 and "idempotent-replayed" not in r.headers


async def test_fifty_concurrent_identical_posts(env: Env) -> None:
    tenant_id, key = await env.tenant()
    body = {"email": _email(), "name": "Racer"}
    async with env.client(key) as http:
        responses = await asyncio.gather(
            *(
                http.post("/v1/contacts", json=body, headers={"Idempotency-Key": "race"})
                for _ in range(50)
            )
        )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    originals = [
        r for r in responses if r.status_code == 201 and "idempotent-replayed" not in r.headers
    ]
    assert len(originals) == 1
    replays = [r for r in responses if r.headers.get("idempotent-replayed") == "true"]
    assert all(r.json() == originals[0].json() for r in replays)
    for r in responses:
        if r.status_code == 409:
            assert r.json()["code"] == "idempotency_in_progress"
    assert await _count(env, tenant_id) == 1
    assert await _count(env, tenant_id, idempotency_keys) == 1
    async with transaction(env.app.state.engine, write=False) as conn:
        row = (
            await conn.execute(
                select(idempotency_keys).where(idempotency_keys.c.tenant_id == tenant_id)
            )
        ).one()
    assert row.status == 201 and row.completed_at is not None
    # After the race, every retry is a replay.
    async with env.client(key) as http:
        r = await http.post("/v1/contacts", json=body, headers={"Idempotency-Key": "race"})
        assert r.headers["idempotent-replayed"] == "true" and r.json() == originals[0].json()


def test_cli_sweep(tmp_path: Any, monkeypatch: Any) -> None:
    from typer.testing import CliRunner

    from roster.cli import app

    monkeypatch.setenv("ROSTER_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("ROSTER_DATABASE_URL", raising=False)
    result = CliRunner().invoke(app, ["sweep"])
    assert result.exit_code == 0, result.output
    assert "deleted 0 expired idempotency keys" in result.output
