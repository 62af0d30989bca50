"""API keys resolve to a tenant and scopes; every route checks them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from roster.auth import keys
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow
from roster.models import api_keys
from tests.conftest import make_contact


def assert_401(response):
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "unauthorized"
    assert response.headers["www-authenticate"].startswith("Bearer")


async def test_missing_malformed_or_unknown_credentials_are_401(env):
    async with env.client() as anonymous:
        assert_401(await anonymous.get("/v1/contacts"))
        for header in (
            "Basic dXNlcjpwYXNz",
            "Bearer",
            "Bearer rk_live_short",
            "Bearer " + keys.generate_key(),
            "rk_live_" + "a" * 32,
        ):
            assert_401(await anonymous.get("/v1/contacts", headers={"Authorization": header}))


async def test_revoked_and_expired_keys_are_401(env):
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        assert (await http.get("/v1/contacts")).status_code == 200
        async with transaction(env.app.state.engine, write=True) as conn:
            await conn.execute(
                update(api_keys)
                .where(api_keys.c.key_hash == keys.hash_key(key))
                .values(revoked_at=utcnow())
            )
        assert_401(await http.get("/v1/contacts"))
    expiring = await env.key(tenant_id, ["admin"])
    async with transaction(env.app.state.engine, write=True) as conn:
        await conn.execute(
            update(api_keys)
            .where(api_keys.c.key_hash == keys.hash_key(expiring))
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    async with env.client(expiring) as http:
        assert_401(await http.get("/v1/contacts"))


async def test_scopes_are_enforced_on_every_contact_route(env):
    tenant_id, admin_key = await env.tenant()
    read_key = await env.key(tenant_id, ["contacts:read"])
    write_key = await env.key(tenant_id, ["contacts:write"])
    async with env.client(admin_key) as admin:
        c = await make_contact(admin, phone="+14155550150", tags=["t"])
    reads = [
        ("GET", "/v1/contacts"),
        ("GET", f"/v1/contacts/{c['id']}"),
        ("GET", "/v1/contacts/lookup?phone=%2B14155550150"),
        ("GET", "/v1/tags"),
    ]
    writes = [
        ("POST", "/v1/contacts", {"email": "s@example.com"}),
        ("PATCH", f"/v1/contacts/{c['id']}", {"company": "X"}),
        ("PUT", f"/v1/contacts/{c['id']}", {"company": "Y"}),
        ("POST", "/v1/contacts/upsert", {"email": "s2@example.com"}),
        ("POST", f"/v1/contacts/{c['id']}/tags", {"tags": ["u"]}),
        ("DELETE", f"/v1/contacts/{c['id']}/tags/u", None),
        ("DELETE", f"/v1/contacts/{c['id']}", None),
        ("POST", f"/v1/contacts/{c['id']}/restore", None),
    ]
    async with env.client(read_key) as reader, env.client(write_key) as writer:
        for method, path in reads:
            assert (await reader.request(method, path)).status_code == 200, path
        for method, path, body in writes:
            denied = await reader.request(method, path, json=body)
            assert denied.status_code == 403, path
            assert denied.json()["code"] == "forbidden"
        for method, path, body in writes:
            allowed = await writer.request(method, path, json=body)
            assert allowed.status_code in (200, 201, 204), (path, allowed.text)
        # a write-only credential cannot read
        assert (await writer.get(f"/v1/contacts/{c['id']}")).status_code == 403
    async with env.client(admin_key) as admin:  # admin implies both
        assert (await admin.get(f"/v1/contacts/{c['id']}")).status_code == 200


async def test_keys_are_stored_only_as_hashes(env):
    tenant_id, key = await env.tenant()
    async with transaction(env.app.state.engine, write=False) as conn:
        rows = (
            (await conn.execute(api_keys.select().where(api_keys.c.tenant_id == tenant_id)))
            .mappings()
            .all()
        )
    assert len(rows) == 1
    assert key not in {str(v) for v in rows[0].values()}
    assert rows[0]["key_hash"] == keys.hash_key(key)
    assert rows[0]["prefix"] == key[:12]
    assert rows[0]["last_four"] == key[-4:]
