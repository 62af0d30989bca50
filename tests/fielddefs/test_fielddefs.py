"""Custom field definitions: CRUD (admin), typed validation on contact writes, and 409
with a count when existing values would break a changed definition."""

from __future__ import annotations

import pytest

from tests.conftest import make_contact


async def test_definition_crud(client):
    created = await client.post(
        "/v1/fields",
        json={"key": "plan", "label": "Plan", "type": "enum", "options": ["free", "pro"]},
    )
    assert created.status_code == 201, created.text
    assert created.headers["location"] == "/v1/fields/plan"
    assert created.json()["options"] == ["free", "pro"]
    assert (await client.get("/v1/fields/plan")).json()["type"] == "enum"
    listed = (await client.get("/v1/fields")).json()["data"]
    assert [f["key"] for f in listed] == ["plan"]
    patched = await client.patch(
        "/v1/fields/plan", json={"label": "Plan name", "options": ["free", "pro", "team"]}
    )
    assert patched.json()["label"] == "Plan name"
    assert patched.json()["options"] == ["free", "pro", "team"]
    again = await client.post("/v1/fields", json={"key": "plan", "label": "x", "type": "text"})
    assert again.status_code == 409
    assert (await client.delete("/v1/fields/plan")).status_code == 204
    assert (await client.get("/v1/fields/plan")).status_code == 404
    assert (await client.delete("/v1/fields/plan")).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"key": "x", "label": "X", "type": "money"},
        {"key": "-x", "label": "X", "type": "text"},
        {"key": "x", "label": "", "type": "text"},
        {"key": "x", "label": "X", "type": "enum"},
        {"key": "x", "label": "X", "type": "enum", "options": []},
        {"key": "x", "label": "X", "type": "text", "options": ["a"]},
        {"key": "x", "label": "X", "type": "text", "extra": 1},
    ],
)
async def test_definition_validation(client, body):
    assert (await client.post("/v1/fields", json=body)).status_code == 422


async def test_definitions_need_admin(env):
    tenant_id, _ = await env.tenant()
    key = await env.key(tenant_id, ["contacts:read", "contacts:write"])
    async with env.client(key) as http:
        assert (await http.get("/v1/fields")).status_code == 403
        body = {"key": "x", "label": "X", "type": "text"}
        assert (await http.post("/v1/fields", json=body)).status_code == 403


async def test_definitions_are_per_tenant(env, client):
    await client.post("/v1/fields", json={"key": "score", "label": "S", "type": "number"})
    _, key = await env.tenant()
    async with env.client(key) as other:
        assert (await other.get("/v1/fields/score")).status_code == 404
        free = await other.post(
            "/v1/contacts", json={"email": "a@b.co", "custom_fields": {"score": "hi"}}
        )
        assert free.status_code == 201


async def test_typed_validation_on_contact_writes(client):
    for key, kind in (
        ("score", "number"),
        ("vip", "boolean"),
        ("born", "date"),
        ("seen", "datetime"),
        ("site", "url"),
        ("work_email", "email"),
        ("mobile", "phone"),
    ):
        response = await client.post("/v1/fields", json={"key": key, "label": key, "type": kind})
        assert response.status_code == 201
    await client.post(
        "/v1/fields", json={"key": "tier", "label": "T", "type": "enum", "options": ["a", "b"]}
    )
    good = await make_contact(
        client,
        custom_fields={
            "score": 4.5,
            "vip": True,
            "born": "1990-02-03",
            "seen": "2026-11-22T08:00:00Z",
            "site": "https://example.com",
            "work_email": "Jo@Example.COM",
            "mobile": "(415) 555-0191",
            "tier": "a",
            "free_form": {"anything": [1, 2]},
        },
    )
    assert good["custom_fields"]["mobile"] == "+14155550191"
    assert good["custom_fields"]["work_email"] == "Jo@example.com"
    bad = await client.patch(
        f"/v1/contacts/{good['id']}",
        json={
            "custom_fields": {
                "score": "4",
                "vip": "yes",
                "born": "03/02/1990",
                "seen": "2026-11-22",
                "site": "not a url",
                "work_email": "nope",
                "mobile": "12",
                "tier": "c",
            }
        },
    )
    assert bad.status_code == 422
    fields = {e["field"] for e in bad.json()["errors"]}
    assert fields == {
        f"custom_fields.{k}"
        for k in ("score", "vip", "born", "seen", "site", "work_email", "mobile", "tier")
    }
    # nothing was written; null still removes a key
    assert (await client.get(f"/v1/contacts/{good['id']}")).json() == good
    cleared = await client.patch(
        f"/v1/contacts/{good['id']}", json={"custom_fields": {"tier": None}}
    )
    assert "tier" not in cleared.json()["custom_fields"]
    upsert = await client.post(
        "/v1/contacts/upsert", json={"email": "u@example.com", "custom_fields": {"score": "x"}}
    )
    assert upsert.status_code == 422


async def test_changes_that_existing_values_break_are_refused_with_a_count(client):
    for tier in ("a", "a", "b", "c"):
        await make_contact(client, custom_fields={"tier": tier, "n": tier})
    archived = await make_contact(client, custom_fields={"tier": "d"})
    await client.delete(f"/v1/contacts/{archived['id']}")
    # defining a type that live values do not have
    clash = await client.post("/v1/fields", json={"key": "n", "label": "N", "type": "number"})
    assert clash.status_code == 409
    assert clash.json()["violations"] == 4
    assert clash.json()["field"] == "custom_fields.n"
    assert (await client.get("/v1/fields/n")).status_code == 404
    # an enum that leaves out live values; archived contacts do not count
    clash = await client.post(
        "/v1/fields", json={"key": "tier", "label": "T", "type": "enum", "options": ["a", "b"]}
    )
    assert clash.status_code == 409
    assert clash.json()["violations"] == 1
    ok = await client.post(
        "/v1/fields", json={"key": "tier", "label": "T", "type": "enum", "options": ["a", "b", "c"]}
    )
    assert ok.status_code == 201
    narrowed = await client.patch("/v1/fields/tier", json={"options": ["b", "c"]})
    assert narrowed.status_code == 409
    assert narrowed.json()["violations"] == 2
    assert "2" in narrowed.json()["detail"]
    assert (await client.get("/v1/fields/tier")).json()["options"] == ["a", "b", "c"]
