"""Segments: CRUD, always-current counts and members, preview, archived contacts."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import Env, make_contact

VIP = {"field": "tags", "op": "has", "value": "vip"}


async def make_segment(http: httpx.AsyncClient, name: str, expr: Any) -> dict[str, Any]:
    response = await http.post("/v1/segments", json={"name": name, "filter": expr})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def members(http: httpx.AsyncClient, segment_id: str) -> list[str]:
    response = await http.get(f"/v1/segments/{segment_id}/contacts", params={"limit": 100})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]]


async def test_membership_is_always_current(client: httpx.AsyncClient) -> None:
    a = await make_contact(client, tags=["vip"])
    segment = await make_segment(client, "VIPs", VIP)
    assert segment["contact_count"] == 1
    assert segment["filter"] == VIP
    b = await make_contact(client, tags=["vip"])
    got = await client.get(f"/v1/segments/{segment['id']}")
    assert got.json()["contact_count"] == 2 and got.headers["etag"] == '"1"'
    assert await members(client, segment["id"]) == [b["id"], a["id"]]
    await client.patch(f"/v1/contacts/{a['id']}", json={"tags": []})
    assert await members(client, segment["id"]) == [b["id"]]
    await client.delete(f"/v1/contacts/{b['id']}")
    assert (await client.get(f"/v1/segments/{segment['id']}")).json()["contact_count"] == 0
    await client.post(f"/v1/contacts/{b['id']}/restore")
    assert await members(client, segment["id"]) == [b["id"]]
    # Deleting the segment leaves contacts alone.
    assert (await client.delete(f"/v1/segments/{segment['id']}")).status_code == 204
    assert (await client.get(f"/v1/segments/{segment['id']}")).status_code == 404
    assert (await client.get(f"/v1/contacts/{b['id']}")).status_code == 200


async def test_crud_rules(client: httpx.AsyncClient) -> None:
    segment = await make_segment(client, "One", VIP)
    clash = await client.post("/v1/segments", json={"name": "One", "filter": VIP})
    assert clash.status_code == 409 and clash.json()["field"] == "name"
    bad = await client.post(
        "/v1/segments",
        json={"name": "Bad", "filter": {"all": [{"field": "tags", "op": "gt", "value": 1}]}},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "filter.all[0].op"
    bad_phone = await client.post(
        "/v1/segments",
        json={"name": "Bad", "filter": {"field": "phone", "op": "eq", "value": "123"}},
    )
    assert bad_phone.status_code == 422
    assert bad_phone.json()["errors"][0]["field"] == "filter.value"
    assert (await client.post("/v1/segments", json={"name": "No filter"})).status_code == 422
    new_filter = {"field": "status", "op": "eq", "value": "lead"}
    stale = await client.patch(
        f"/v1/segments/{segment['id']}", json={"filter": new_filter}, headers={"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    changed = await client.patch(
        f"/v1/segments/{segment['id']}",
        json={"filter": new_filter, "description": "leads"},
        headers={"If-Match": '"1"'},
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["filter"] == new_filter and body["version"] == 2 and body["description"] == "leads"
    assert "contact_count" in body
    same = await client.patch(f"/v1/segments/{segment['id']}", json={"description": "leads"})
    assert same.json()["version"] == 2
    for bad_patch in ({"filter": None}, {"name": None}, {"filter": {"field": "x", "op": "eq"}}):
        response = await client.patch(f"/v1/segments/{segment['id']}", json=bad_patch)
        assert response.status_code == 422, bad_patch
    await make_segment(client, "Two", VIP)
    first = (await client.get("/v1/segments", params={"limit": 1})).json()
    assert [s["name"] for s in first["data"]] == ["One"] and first["has_more"]
    rest = (await client.get("/v1/segments", params={"cursor": first["next_cursor"]})).json()
    assert [s["name"] for s in rest["data"]] == ["Two"]


async def test_preview(client: httpx.AsyncClient) -> None:
    made = [await make_contact(client, tags=["vip"], status="lead") for _ in range(12)]
    await make_contact(client, tags=["other"])
    response = await client.post("/v1/segments/preview", json={"filter": VIP})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == 12
    assert [c["id"] for c in body["sample"]] == [c["id"] for c in reversed(made)][:10]
    bad = await client.post("/v1/segments/preview", json={"filter": {"field": "nope", "op": "eq"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "filter.field"


async def test_other_tenants_and_scopes(client: httpx.AsyncClient, env: Any) -> None:
    segment = await make_segment(client, "Mine", VIP)
    _, key = await env.tenant()
    async with env.client(key) as other:
        for method, path, body in (
            ("GET", f"/v1/segments/{segment['id']}", None),
            ("PATCH", f"/v1/segments/{segment['id']}", {"name": "x"}),
            ("DELETE", f"/v1/segments/{segment['id']}", None),
            ("GET", f"/v1/segments/{segment['id']}/contacts", None),
            ("GET", f"/v1/segments/{uuid.uuid4()}", None),
        ):
            assert (await other.request(method, path, json=body)).status_code == 404
        assert (await other.get("/v1/segments")).json()["data"] == []
    tenant_id, _ = await env.tenant()
    reader = await env.key(tenant_id, ["contacts:read"])
    async with env.client(reader) as http:
        assert (
            await http.post("/v1/segments", json={"name": "x", "filter": VIP})
        ).status_code == 403
        assert (await http.post("/v1/segments/preview", json={"filter": VIP})).status_code == 200


async def test_filter_statements_are_planned_for_their_values(env: Env) -> None:
    """PostgreSQL: a filter's transaction plans each statement for its own values (no
    generic plan after the fifth execution), and the setting ends with the transaction, so
    the pooled connection goes back as it was."""
    if env.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no plan cache")
    from sqlalchemy import text

    from roster.kit.db import custom_plans, transaction

    engine = env.app.state.engine
    show = text("SHOW plan_cache_mode")
    async with transaction(engine, write=False) as conn:
        assert (await conn.execute(show)).scalar_one() == "auto"
        await custom_plans(conn)
        await custom_plans(conn)  # once per transaction is enough; a second call is a no-op
        assert (await conn.execute(show)).scalar_one() == "force_custom_plan"
    for _ in range(3):  # whichever pooled connection comes next
        async with transaction(engine, write=False) as conn:
            assert (await conn.execute(show)).scalar_one() == "auto"
