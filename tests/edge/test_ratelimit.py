"""Rate limits per credential (in-process counters): headers on every authenticated
response, 429 problem + Retry-After past the limit, per-key override, per-credential."""

from __future__ import annotations

import re

from tests.conftest import Env
from tests.edge.conftest import app_with, client_for

_POLICY = re.compile(r'^"default";q=(\d+);w=(\d+)$')
_STATE = re.compile(r'^"default";r=(\d+);t=(\d+)$')


async def test_headers_and_429(env: Env) -> None:
    async with app_with(env, rate_limit="5/minute") as app:
        tenant_id, key = await env.tenant()
        other = await env.key(tenant_id, ["contacts:read"])
        async with client_for(app, key) as http:
            remaining = []
            for _ in range(5):
                r = await http.get("/v1/contacts")
                assert r.status_code == 200
                assert _POLICY.match(r.headers["ratelimit-policy"]).groups() == ("5", "60")  # type: ignore[union-attr]
                r_left, t = _STATE.match(r.headers["ratelimit"]).groups()  # type: ignore[union-attr]
                assert 0 < int(t) <= 60
                remaining.append(int(r_left))
            assert remaining == [4, 3, 2, 1, 0]
            r = await http.get("/v1/contacts")
            assert r.status_code == 429
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json()["code"] == "rate_limited" and r.json()["status"] == 429
            assert 1 <= int(r.headers["retry-after"]) <= 60
            assert _STATE.match(r.headers["ratelimit"]).group(1) == "0"  # type: ignore[union-attr]
            # Errors after authentication count and carry the headers too.
            r = await http.get("/v1/contacts/00000000-0000-0000-0000-000000000000")
            assert r.status_code == 429
        # Another credential of the same tenant has its own budget.
        async with client_for(app, other) as http:
            r = await http.get("/v1/contacts")
            assert r.status_code == 200 and "ratelimit" in r.headers
        # Unauthenticated responses carry no per-credential headers.
        async with client_for(app) as anon:
            r = await anon.get("/healthz")
            assert "ratelimit" not in r.headers
            assert (await anon.get("/v1/contacts")).status_code == 401


async def test_per_key_override(env: Env) -> None:
    async with app_with(env, rate_limit="1000/minute") as app:
        _, admin_key = await env.tenant()
        async with client_for(app, admin_key) as admin:
            made = await admin.post(
                "/v1/api-keys",
                json={"name": "slow", "scopes": ["contacts:read"], "rate_limit": "2/hour"},
            )
            assert made.status_code == 201
            assert made.headers["ratelimit-policy"] == '"default";q=1000;w=60'
        async with client_for(app, made.json()["key"]) as slow:
            assert [(await slow.get("/v1/contacts")).status_code for _ in range(3)] == [
                200,
                200,
                429,
            ]
            r = await slow.get("/v1/contacts")
            assert r.headers["ratelimit-policy"] == '"default";q=2;w=3600'
            assert 3500 < int(r.headers["retry-after"]) <= 3600


async def test_default_limit_headers(client) -> None:  # type: ignore[no-untyped-def]
    r = await client.get("/v1/contacts")
    assert r.headers["ratelimit-policy"] == '"default";q=600;w=60'
    assert _STATE.match(r.headers["ratelimit"]).group(1) == "599"  # type: ignore[union-attr]


async def test_redis_unreachable_falls_back_to_process_counters(env: Env) -> None:
    async with app_with(env, rate_limit="2/minute", redis_url="redis://127.0.0.1:1/0") as app:
        _, key = await env.tenant()
        async with client_for(app, key) as http:
            statuses = [(await http.get("/v1/contacts")).status_code for _ in range(3)]
            assert statuses == [200, 200, 429]
