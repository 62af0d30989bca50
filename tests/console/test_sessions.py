"""Console sign-in, the session cookie, idle expiry, revocation, sign-out and CSRF."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from roster.console.sessions import COOKIE
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow
from roster.models import api_keys, console_sessions
from tests.conftest import Env
from tests.console.helpers import browser, post_form, sign_in, signed_in, token_of
from tests.helpers.apps import app_with


async def _sessions(env: Env, tenant_id) -> list[dict]:
    async with transaction(env.app.state.engine, write=False) as conn:
        rows = await conn.execute(
            select(console_sessions).where(console_sessions.c.tenant_id == tenant_id)
        )
        return [dict(r._mapping) for r in rows]


async def _age_sessions(env: Env, tenant_id, seconds: int) -> None:
    """Make the tenant's sessions look unused for ``seconds`` (the clock is the database's
    row: nothing waits)."""
    async with transaction(env.app.state.engine, write=True) as conn:
        await conn.execute(
            update(console_sessions)
            .where(console_sessions.c.tenant_id == tenant_id)
            .values(last_seen_at=utcnow() - timedelta(seconds=seconds))
        )


async def test_sign_in_sets_a_strict_http_only_cookie_holding_no_key(env: Env):
    tenant_id, key = await env.tenant()
    async with browser(env.app) as http:
        response = await sign_in(http, key)
        assert response.status_code == 303
        assert response.headers["location"] == "/console/contacts"
        cookie = next(
            v
            for k, v in response.headers.multi_items()
            if k == "set-cookie" and v.startswith(COOKIE + "=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "samesite=strict" in cookie.lower()
        assert "Secure" not in cookie  # plain HTTP here
        assert key not in cookie
        value = http.cookies.get(COOKIE)
        assert value and value.startswith(tenant_id.hex + ".")
        rows = await _sessions(env, tenant_id)
        assert len(rows) == 1
        # Only a hash of the secret is stored, and never the key.
        secret = value.split(".", 1)[1]
        assert secret not in str(rows[0]) and key not in str(rows[0])
        assert set(rows[0]["scopes"]) >= {"admin", "contacts:read", "contacts:write"}
        page = await http.get("/console/contacts")
        assert page.status_code == 200
        assert "<title>Contacts · Roster console</title>" in page.text


async def test_the_cookie_is_secure_over_https(env: Env):
    _, key = await env.tenant()
    async with browser(env.app, base_url="https://roster.test") as http:
        response = await sign_in(http, key)
        cookie = response.headers["set-cookie"]
        assert "Secure" in cookie


async def test_a_wrong_key_shows_the_form_again_with_an_error(env: Env):
    async with browser(env.app) as http:
        response = await sign_in(http, "rk_live_" + "x" * 40)
        assert response.status_code == 401
        assert "That key or token is not valid." in response.text
        assert COOKIE not in http.cookies


async def test_sign_in_without_the_forms_token_is_refused(env: Env):
    _, key = await env.tenant()
    async with browser(env.app) as http:
        response = await http.post("/console/sign-in", data={"credential": key})
        assert response.status_code == 403
        assert "text/html" in response.headers["content-type"]
        assert COOKIE not in http.cookies


async def test_pages_without_a_session_send_to_sign_in(env: Env):
    async with browser(env.app) as http:
        response = await http.get("/console/contacts?q=ann")
        assert response.status_code == 303
        assert (
            response.headers["location"] == "/console/sign-in?next=%2Fconsole%2Fcontacts%3Fq%3Dann"
        )
        # An htmx request is told where to go instead of being redirected in place.
        response = await http.get("/console/contacts", headers={"HX-Request": "true"})
        assert response.status_code == 401
        assert response.headers["hx-redirect"].startswith("/console/sign-in")
        # A form posted without a session is a 401 page.
        response = await http.post("/console/contacts/new", data={"first_name": "A"})
        assert response.status_code == 401
        assert "Please sign in" in response.text


async def test_sign_in_returns_to_the_page_asked_for_and_only_the_console(env: Env):
    _, key = await env.tenant()
    async with browser(env.app) as http:
        form = await http.get("/console/sign-in?next=/console/contacts/new")
        response = await http.post(
            "/console/sign-in",
            data={
                "credential": key,
                "csrf_token": token_of(form.text),
                "next": "/console/contacts/new",
            },
        )
        assert response.headers["location"] == "/console/contacts/new"
    async with browser(env.app) as http:
        form = await http.get("/console/sign-in")
        response = await http.post(
            "/console/sign-in",
            data={"credential": key, "csrf_token": token_of(form.text), "next": "//evil.test/"},
        )
        assert response.headers["location"] == "/console/contacts"


async def test_an_idle_session_expires(env: Env):
    tenant_id, key = await env.tenant()
    async with signed_in(env, key) as http:
        assert (await http.get("/console/contacts")).status_code == 200
        await _age_sessions(env, tenant_id, 12 * 3600 + 1)
        response = await http.get("/console/contacts")
        assert response.status_code == 303
        assert response.headers["location"].endswith("&expired=1")
        assert await _sessions(env, tenant_id) == []
        page = await http.get(response.headers["location"])
        assert "Your session ended" in page.text


async def test_the_idle_limit_is_the_setting(env: Env):
    tenant_id, key = await env.tenant()
    async with (
        app_with(env, console_session_idle=3600) as short,
        signed_in(env, key, short) as http,
    ):
        await _age_sessions(env, tenant_id, 1800)
        assert (await http.get("/console/contacts")).status_code == 200
        # Use moves the idle clock: the session was just seen again.
        rows = await _sessions(env, tenant_id)
        assert utcnow() - rows[0]["last_seen_at"] < timedelta(seconds=60)
        await _age_sessions(env, tenant_id, 2 * 3600)
        assert (await http.get("/console/contacts")).status_code == 303


async def test_two_hours_idle_is_fine_by_default(env: Env):
    tenant_id, key = await env.tenant()
    async with signed_in(env, key) as http:
        await _age_sessions(env, tenant_id, 2 * 3600)
        assert (await http.get("/console/contacts")).status_code == 200


async def test_revoking_the_key_ends_its_sessions(env: Env):
    tenant_id, key = await env.tenant()
    async with signed_in(env, key) as http:
        async with transaction(env.app.state.engine, write=True) as conn:
            await conn.execute(
                update(api_keys)
                .where(api_keys.c.tenant_id == tenant_id)
                .values(revoked_at=utcnow())
            )
        assert (await http.get("/console/contacts")).status_code == 303


async def test_sign_out_ends_the_session(env: Env):
    tenant_id, key = await env.tenant()
    async with signed_in(env, key) as http:
        response = await post_form(http, "/console/contacts", "/console/sign-out", {})
        assert response.status_code == 303
        assert response.headers["location"] == "/console/sign-in"
        assert await _sessions(env, tenant_id) == []
        assert COOKIE not in http.cookies
        assert (await http.get("/console/contacts")).status_code == 303


async def test_forms_without_the_sessions_csrf_token_are_refused(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        page = await http.get("/console/contacts/new")
        token = token_of(page.text)
        missing = await http.post(
            "/console/contacts/new", data={"first_name": "Ann", "email": "ann@example.com"}
        )
        wrong = await http.post(
            "/console/contacts/new",
            data={"first_name": "Ann", "email": "ann@example.com", "csrf_token": "x" + token},
        )
        header_wrong = await http.post(
            "/console/contacts/new",
            data={"first_name": "Ann", "email": "ann@example.com"},
            headers={"X-CSRF-Token": "no"},
        )
        for response in (missing, wrong, header_wrong):
            assert response.status_code == 403
            assert "security token" in response.text
        listing = await http.get("/console/contacts")
        assert "Ann" not in listing.text
        # The same token as a header (what htmx sends) is accepted.
        ok = await http.post(
            "/console/contacts/new",
            data={"first_name": "Ann", "email": "ann@example.com"},
            headers={"X-CSRF-Token": token},
        )
        assert ok.status_code == 303


async def test_another_sessions_token_is_refused(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as first, signed_in(env, key) as second:
        other = token_of((await second.get("/console/contacts/new")).text)
        response = await first.post(
            "/console/contacts/new",
            data={"first_name": "Ann", "email": "ann@example.com", "csrf_token": other},
        )
        assert response.status_code == 403


async def test_a_page_read_within_a_minute_writes_nothing(env: Env):
    tenant_id, key = await env.tenant()
    async with signed_in(env, key) as http:
        before = (await _sessions(env, tenant_id))[0]["last_seen_at"]
        assert (await http.get("/console/contacts")).status_code == 200
        assert (await _sessions(env, tenant_id))[0]["last_seen_at"] == before


async def test_console_pages_count_against_the_keys_rate_limit(env: Env):
    _, admin = await env.tenant()
    async with env.client(admin) as api:
        body = {"name": "slow", "scopes": ["contacts:read"], "rate_limit": "4/minute"}
        made = await api.post("/v1/api-keys", json=body)
        assert made.status_code == 201, made.text
    key = made.json()["key"]
    async with signed_in(env, key) as http:
        statuses = [(await http.get("/console/contacts")).status_code for _ in range(6)]
        refused = await http.get("/console/contacts")
    assert statuses[0] == 200 and 429 in statuses
    assert refused.status_code == 429 and "text/html" in refused.headers["content-type"]
    assert int(refused.headers["retry-after"]) >= 1
    async with env.client(key) as api:
        assert (await api.get("/v1/contacts")).status_code == 429
