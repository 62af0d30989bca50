"""Registering, listing, changing and deleting webhook endpoints, and the SSRF guard."""

from __future__ import annotations

import pytest


async def test_create_shows_secret_once(client, private_ok, receiver):
    r = await client.post(
        "/v1/webhooks",
        json={"url": receiver.url(), "events": ["contact.*"], "description": "crm sync"},
    )
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook["secret"].startswith("whsec_")
    assert r.headers["location"] == f"/v1/webhooks/{hook['id']}"
    got = (await client.get(f"/v1/webhooks/{hook['id']}")).json()
    assert "secret" not in got
    assert got["events"] == ["contact.*"]
    assert got["enabled"] is True
    listed = (await client.get("/v1/webhooks")).json()["data"]
    assert [h["id"] for h in listed] == [hook["id"]]
    assert all("secret" not in h for h in listed)
    patched = await client.patch(
        f"/v1/webhooks/{hook['id']}", json={"events": ["*"], "enabled": False}
    )
    assert patched.json()["events"] == ["*"]
    assert patched.json()["enabled"] is False
    assert (await client.delete(f"/v1/webhooks/{hook['id']}")).status_code == 204
    assert (await client.get(f"/v1/webhooks/{hook['id']}")).status_code == 404


@pytest.mark.parametrize("events", [["contact.nope"], ["*.*"], [""], ["contacts.*"]])
async def test_unknown_event_types_are_refused(client, private_ok, receiver, events):
    r = await client.post("/v1/webhooks", json={"url": receiver.url(), "events": events})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "events[0]"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://10.1.2.3/x",
        "http://192.168.0.10/x",
        "http://172.16.5.5/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[fd00:ec2::254]/x",
        "http://0.0.0.0/x",
        "ftp://example.com/x",
        "http://user:pw@example.com/x",
        "not a url",
    ],
)
async def test_internal_targets_are_refused_at_registration(client, url):
    r = await client.post("/v1/webhooks", json={"url": url, "events": ["*"]})
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == "url"
    assert (await client.get("/v1/webhooks")).json()["data"] == []


async def test_webhooks_need_admin_and_are_per_tenant(env, client, private_ok, receiver):
    hook = (await client.post("/v1/webhooks", json={"url": receiver.url(), "events": ["*"]})).json()
    tenant_id, _ = await env.tenant()
    writer = await env.key(tenant_id, ["contacts:read", "contacts:write"])
    async with env.client(writer) as http:
        assert (await http.get("/v1/webhooks")).status_code == 403
    _, other = await env.tenant()
    async with env.client(other) as http:
        for method, path in (
            ("GET", ""),
            ("PATCH", ""),
            ("DELETE", ""),
            ("POST", "/rotate-secret"),
            ("POST", "/test"),
            ("GET", "/deliveries"),
        ):
            body = {"enabled": False} if method == "PATCH" else None
            r = await http.request(method, f"/v1/webhooks/{hook['id']}{path}", json=body)
            assert r.status_code == 404, (method, path)
    assert (await client.get(f"/v1/webhooks/{hook['id']}")).json()["enabled"] is True
