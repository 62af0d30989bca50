"""/v1/api-keys: create (secret once), list, revoke (at once), scopes, expiry, last_used_at."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from roster.kit.db import transaction
from roster.models import api_keys
from tests.conftest import Env


async def test_create_list_revoke(env: Env) -> None:
    tenant_id, admin_key = await env.tenant()
    async with env.client(admin_key) as admin:
        expires = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        r = await admin.post(
            "/v1/api-keys",
            json={
                "name": "importer",
                "scopes": ["contacts:read"],
                "expires_at": expires,
                "rate_limit": "100/minute",
            },
        )
        assert r.status_code == 201, r.text
        created = r.json()
        assert created["key"].startswith("rk_live_")
        assert created["prefix"] == created["key"][:12]
        assert created["last_four"] == created["key"][-4:]
        assert created["scopes"] == ["contacts:read"]
        assert created["expires_at"] == expires
        assert created["rate_limit"] == "100/minute"
        assert created["revoked"] is False
        # The key names its tenant, so a lost tenant id can be found from any key.
        assert created["tenant_id"] == str(tenant_id)
        assert r.headers["location"] == f"/v1/api-keys/{created['id']}"

        listed = (await admin.get("/v1/api-keys")).json()
        assert listed["has_more"] is False
        ours = {k["id"]: k for k in listed["data"]}
        assert created["id"] in ours and len(ours) == 2
        row = ours[created["id"]]
        assert "key" not in row and created["key"] not in str(listed)
        assert row["last_four"] == created["key"][-4:]
        assert row["last_used_at"] is None

        async with env.client(created["key"]) as reader:
            assert (await reader.get("/v1/contacts")).status_code == 200
            assert (await reader.post("/v1/contacts", json={"name": "x"})).status_code == 403
            assert (await reader.get("/v1/api-keys")).status_code == 403
            one = (await admin.get(f"/v1/api-keys/{created['id']}")).json()
            assert one["last_used_at"] is not None

            r = await admin.delete(f"/v1/api-keys/{created['id']}")
            assert r.status_code == 204 and r.content == b""
            r = await reader.get("/v1/contacts")
            assert r.status_code == 401
            assert r.headers["content-type"] == "application/problem+json"

        one = (await admin.get(f"/v1/api-keys/{created['id']}")).json()
        assert one["revoked"] is True and one["revoked_at"] is not None
        # Revoking twice is harmless.
        assert (await admin.delete(f"/v1/api-keys/{created['id']}")).status_code == 204


async def test_validation(client) -> None:  # type: ignore[no-untyped-def]
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    for body, field in (
        ({"scopes": ["admin"]}, "name"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "x", "scopes": ["root"]}, "scopes[0]"),
        ({"name": "x", "scopes": ["admin"], "expires_at": past}, "expires_at"),
        ({"name": "x", "scopes": ["admin"], "expires_at": "2099-01-01T00:00:00"}, "expires_at"),
        ({"name": "x", "scopes": ["admin"], "rate_limit": "lots"}, "rate_limit"),
        ({"name": "x", "scopes": ["admin"], "key": "rk_live_mine"}, "key"),
    ):
        r = await client.post("/v1/api-keys", json=body)
        assert r.status_code == 422, (body, r.text)
        assert [e["field"] for e in r.json()["errors"]] == [field], r.text


async def test_expired_key_is_refused(env: Env) -> None:
    tenant_id, _ = await env.tenant()
    key = await env.key(tenant_id, ["contacts:read"])
    async with env.client(key) as http:
        assert (await http.get("/v1/contacts")).status_code == 200
        async with transaction(env.app.state.engine, write=True) as conn:
            await conn.execute(
                update(api_keys)
                .where(api_keys.c.tenant_id == tenant_id, api_keys.c.revoked_at.is_(None))
                .where(api_keys.c.name == "t")
                .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
            )
        r = await http.get("/v1/contacts")
        assert r.status_code == 401 and "expired" in r.json()["detail"]


async def test_last_used_at_written_at_most_once_a_minute(env: Env) -> None:
    tenant_id, admin_key = await env.tenant()
    async with env.client(admin_key) as admin:
        await admin.get("/v1/contacts")
        first = {
            k["name"]: k["last_used_at"] for k in (await admin.get("/v1/api-keys")).json()["data"]
        }
        for _ in range(3):
            await admin.get("/v1/contacts")
        again = {
            k["name"]: k["last_used_at"] for k in (await admin.get("/v1/api-keys")).json()["data"]
        }
        assert first["test"] is not None and again["test"] == first["test"]
        # Once the stored time is over a minute old, the next use records it again.
        old = datetime.now(UTC) - timedelta(minutes=5)
        async with transaction(env.app.state.engine, write=True) as conn:
            await conn.execute(
                update(api_keys).where(api_keys.c.tenant_id == tenant_id).values(last_used_at=old)
            )
        from roster.auth import principal

        principal._touched.clear()
        await admin.get("/v1/contacts")
        later = {
            k["name"]: k["last_used_at"] for k in (await admin.get("/v1/api-keys")).json()["data"]
        }
        assert later["test"] > first["test"]


async def test_other_tenant_keys_are_invisible(env: Env) -> None:
    _, key_a = await env.tenant()
    _, key_b = await env.tenant()
    async with env.client(key_a) as a, env.client(key_b) as b:
        created = (await a.post("/v1/api-keys", json={"name": "n", "scopes": ["admin"]})).json()
        assert (await b.get(f"/v1/api-keys/{created['id']}")).status_code == 404
        assert (await b.delete(f"/v1/api-keys/{created['id']}")).status_code == 404
        assert created["id"] not in str((await b.get("/v1/api-keys")).json())
        async with env.client(created["key"]) as new:
            assert (await new.get("/v1/contacts")).status_code == 200


async def test_pagination(client) -> None:  # type: ignore[no-untyped-def]
    for i in range(3):
        assert (
            await client.post("/v1/api-keys", json={"name": f"k{i}", "scopes": ["admin"]})
        ).status_code == 201
    first = (await client.get("/v1/api-keys", params={"limit": 2})).json()
    assert first["has_more"] is True and len(first["data"]) == 2
    second = (
        await client.get("/v1/api-keys", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert second["has_more"] is False
    names = [k["name"] for k in first["data"] + second["data"]]
    assert names == ["test", "k0", "k1", "k2"]
    assert (await client.get("/v1/api-keys", params={"limit": 0})).status_code == 400
    assert (await client.get("/v1/api-keys", params={"cursor": "junk"})).status_code == 400


async def test_revocation_is_immediate_on_another_process(env: Env) -> None:
    """Two app instances on one database stand in for two server processes."""
    from tests.helpers.apps import app_with, client_for

    _, admin_key = await env.tenant()
    async with app_with(env) as first, app_with(env) as second:
        async with client_for(first, admin_key) as admin:
            made = (
                await admin.post("/v1/api-keys", json={"name": "n", "scopes": ["admin"]})
            ).json()
        async with client_for(second, made["key"]) as other:
            assert (await other.get("/v1/contacts")).status_code == 200
            async with client_for(first, admin_key) as admin:
                assert (await admin.delete(f"/v1/api-keys/{made['id']}")).status_code == 204
            assert (await other.get("/v1/contacts")).status_code == 401
