"""Rate limits per credential (in-process counters): headers on every authenticated
response, 429 problem + Retry-After past the limit, per-key override, per-credential."""

from __future__ import annotations

import re

from tests.conftest import Env
from tests.helpers.apps import app_with, client_for

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


_FAIL_POLICY = re.compile(r'^"auth-failures";q=(\d+);w=(\d+)$')
_FAIL_STATE = re.compile(r'^"auth-failures";r=(\d+);t=(\d+)$')
_BAD_KEY = "rk_live_" + "x" * 32


def _left(response) -> int:  # type: ignore[no-untyped-def]
    return int(_FAIL_STATE.match(response.headers["ratelimit"]).group(1))  # type: ignore[union-attr]


async def test_failed_authentications_are_limited_per_address(env: Env) -> None:
    async with app_with(env, auth_failure_limit="4/minute", metrics_token="s3cret") as app:
        _, key = await env.tenant()
        contact = "/v1/contacts/00000000-0000-0000-0000-000000000000"
        async with client_for(app, _BAD_KEY, address="198.51.100.7") as guesser:
            # Every kind of failure counts, once per request, and says so on the 401.
            first = await guesser.get("/v1/contacts")
            assert first.status_code == 401 and first.json()["code"] == "unauthorized"
            assert _FAIL_POLICY.match(first.headers["ratelimit-policy"]).groups() == ("4", "60")  # type: ignore[union-attr]
            assert _left(first) == 3 and first.headers["www-authenticate"]
            # The hottest read is served without the router: counted the same way.
            second = await guesser.get(contact)
            # A write with an Idempotency-Key checks the credential before the route does.
            third = await guesser.post(
                "/v1/contacts", json={"email": "a@example.com"}, headers={"Idempotency-Key": "k1"}
            )
            fourth = await guesser.get("/metrics", headers={"Authorization": "Bearer wrong"})
            assert [r.status_code for r in (second, third, fourth)] == [401, 401, 401]
            assert [_left(r) for r in (second, third, fourth)] == [2, 1, 0]
            # Past the limit: 429 for every failure, however it fails.
            for request in (
                guesser.get("/v1/contacts"),
                guesser.get(contact),
                guesser.get("/v1/contacts", headers={"Authorization": "Basic eDp5"}),
                guesser.get("/v1/contacts", headers={"Authorization": "Bearer a.b.c"}),
            ):
                r = await request
                assert r.status_code == 429, r.text
                assert r.headers["content-type"] == "application/problem+json"
                assert r.json()["code"] == "rate_limited"
                assert "failed authentications" in r.json()["detail"]
                assert 1 <= int(r.headers["retry-after"]) <= 60
                assert _FAIL_POLICY.match(r.headers["ratelimit-policy"])
                assert _left(r) == 0
        # A valid credential from the same address is served, on its own budget.
        async with client_for(app, key, address="198.51.100.7") as owner:
            for path in ("/v1/contacts", contact):
                r = await owner.get(path)
                assert r.status_code in (200, 404), r.text
                assert r.headers["ratelimit-policy"].startswith('"default";')
            ok = await owner.post("/v1/contacts", json={"email": "owner@example.com"})
            assert ok.status_code == 201, ok.text
        # Another address has a budget of its own.
        async with client_for(app, _BAD_KEY, address="203.0.113.9") as other:
            r = await other.get("/v1/contacts")
            assert r.status_code == 401 and _left(r) == 3
        # IPv6 clients are counted by their /64: one host usually holds the whole prefix.
        left = {}
        for host in ("2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:3::1"):
            async with client_for(app, _BAD_KEY, address=host) as v6:
                r = await v6.get("/v1/contacts")
                assert r.status_code == 401
                left[host] = _left(r)
        assert left == {"2001:db8:1:2::1": 3, "2001:db8:1:2::ffff": 2, "2001:db8:1:3::1": 3}


async def test_failed_authentication_limit_is_a_setting(env: Env) -> None:
    async with app_with(env) as app, client_for(app, address="192.0.2.1") as anon:
        r = await anon.get("/v1/contacts")
        assert r.status_code == 401
        assert r.headers["ratelimit-policy"] == '"auth-failures";q=30;w=60'
    try:
        async with app_with(env, auth_failure_limit="lots"):
            raise AssertionError("a malformed limit must stop the start")
    except ValueError as exc:
        assert "auth_failure_limit" in str(exc)
