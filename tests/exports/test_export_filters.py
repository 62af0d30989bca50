"""Exports and bulk actions take the listing's filters, lists and segments, on both engines."""

from __future__ import annotations

import csv
import io
import json
import uuid
from typing import Any

import httpx

from tests.conftest import Env, make_contact
from tests.helpers.jobs import all_contacts, wait_job


async def _export(http: httpx.AsyncClient, **params: Any) -> list[str]:
    """The ids an export gives, the same in NDJSON and in CSV (on PostgreSQL one COPY with
    the filter written into it)."""
    response = await http.get("/v1/contacts/export", params={"format": "ndjson", **params})
    assert response.status_code == 200, response.text
    ids = sorted(json.loads(line)["id"] for line in response.text.splitlines())
    as_csv = await http.get("/v1/contacts/export", params={"format": "csv", **params})
    assert as_csv.status_code == 200, as_csv.text
    assert sorted(r["id"] for r in csv.DictReader(io.StringIO(as_csv.text))) == ids, params
    return ids


async def _listed(http: httpx.AsyncClient, **params: Any) -> list[str]:
    response = await http.get("/v1/contacts", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return sorted(c["id"] for c in response.json()["data"])


async def _segment(http: httpx.AsyncClient, name: str, expr: dict[str, Any]) -> str:
    made = await http.post("/v1/segments", json={"name": name, "filter": expr})
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def test_get_export_takes_every_list_filter(client: httpx.AsyncClient) -> None:
    ada = await make_contact(
        client,
        phone="+14155550188",
        name="Ada Lovelace",
        email="ada@example.com",
        tags=["vip", "math"],
        source="crm",
        custom_fields={"tier": "gold", "score": 7},
        preferences={"sms": "opted_out"},
        country="GB",
    )
    bob = await make_contact(
        client, name="Bob Babbage", tags=["vip"], suppressed=True, suppressed_reason="bounced"
    )
    await make_contact(client, name="Cy", tags=["other"], custom_fields={"tier": "silver"})
    made = await client.post("/v1/lists", json={"name": "L"})
    list_id = made.json()["id"]
    await client.post(f"/v1/lists/{list_id}/members", json={"contact_ids": [bob["id"]]})
    segment_id = await _segment(client, "S", {"field": "tags", "op": "has", "value": "math"})
    cases: list[dict[str, Any]] = [
        {"q": "lovel"},
        {"q": "555-0188"},
        {"tag": ["vip", "math"]},
        {"any_tag": ["math", "other"]},
        {"source": "crm"},
        {"suppressed": "true"},
        {"opted_out": "sms"},
        {"country": "gb"},
        {"custom_fields.tier": "gold"},
        {"custom_fields.score": "7"},
        {"created_after": "2000-01-01T00:00:00Z", "tag": "vip"},
        {"updated_after": "2999-01-01T00:00:00Z"},
        {"list_id": list_id},
        {"segment_id": segment_id},
        {"segment_id": segment_id, "list_id": list_id},
    ]
    for params in cases:
        assert await _export(client, **params) == await _listed(client, **params), params
    assert await _export(client, q="lovel") == [ada["id"]]
    assert await _export(client, list_id=list_id) == [bob["id"]]
    assert await _export(client, segment_id=segment_id) == [ada["id"]]
    csv_body = await client.get("/v1/contacts/export", params={"list_id": list_id})
    assert csv_body.status_code == 200 and len(csv_body.text.splitlines()) == 2


async def test_get_export_refusals(env: Env, client: httpx.AsyncClient) -> None:
    for params, field in (
        ({"tags": "vip"}, "tags"),
        ({"limit": "5"}, "limit"),
        ({"cursor": "x"}, "cursor"),
        ({"suppressed": "maybe"}, "suppressed"),
        ({"list_id": "nope"}, "list_id"),
    ):
        response = await client.get("/v1/contacts/export", params=params)
        assert response.status_code == 400, params
        assert response.json()["errors"][0]["field"] == field, response.json()
    for params in ({"list_id": str(uuid.uuid4())}, {"segment_id": str(uuid.uuid4())}):
        assert (await client.get("/v1/contacts/export", params=params)).status_code == 404
    segment_id = await _segment(client, "Mine", {"field": "status", "op": "exists"})
    _, key = await env.tenant()
    async with env.client(key) as other:
        response = await other.get("/v1/contacts/export", params={"segment_id": segment_id})
        assert response.status_code == 404
        response = await other.post("/v1/contacts/export", json={"segment_id": segment_id})
        assert response.status_code == 404


async def test_post_export_with_a_segment(client: httpx.AsyncClient) -> None:
    lead = await make_contact(client, tags=["vip"], status="lead")
    customer = await make_contact(client, tags=["vip"], status="customer")
    await make_contact(client, tags=["other"], status="lead")
    segment_id = await _segment(client, "VIP", {"field": "tags", "op": "has", "value": "vip"})
    by_segment = await client.post(
        "/v1/contacts/export", json={"format": "ndjson", "segment_id": segment_id}
    )
    assert sorted(json.loads(x)["id"] for x in by_segment.text.splitlines()) == sorted(
        [lead["id"], customer["id"]]
    )
    both = await client.post(
        "/v1/contacts/export",
        json={
            "format": "ndjson",
            "segment_id": segment_id,
            "filter": {"field": "status", "op": "eq", "value": "lead"},
        },
    )
    assert [json.loads(x)["id"] for x in both.text.splitlines()] == [lead["id"]]
    await client.delete(f"/v1/contacts/{lead['id']}")
    again = await client.post(
        "/v1/contacts/export", json={"format": "ndjson", "segment_id": segment_id}
    )
    assert [json.loads(x)["id"] for x in again.text.splitlines()] == [customer["id"]]
    missing = await client.post("/v1/contacts/export", json={"segment_id": str(uuid.uuid4())})
    assert missing.status_code == 404


async def test_bulk_action_by_segment(env: Env, client: httpx.AsyncClient) -> None:
    vips = [await make_contact(client, tags=["vip"], status="lead") for _ in range(2)]
    other = await make_contact(client, tags=["other"], status="lead")
    segment_id = await _segment(client, "VIP", {"field": "tags", "op": "has", "value": "vip"})
    response = await client.post(
        "/v1/contacts/bulk-actions",
        json={"segment_id": segment_id, "action": "add_tags", "params": {"tags": ["gold"]}},
    )
    assert response.status_code == 202, response.text
    assert response.json()["total"] == 2
    done = await wait_job(env, client, f"/v1/jobs/{response.json()['id']}")
    assert (done["status"], done["updated"]) == ("completed", 2)
    people = {p["id"]: p for p in await all_contacts(client)}
    assert all(people[v["id"]]["tags"] == ["gold", "vip"] for v in vips)
    assert people[other["id"]]["tags"] == ["other"]
    response = await client.post(
        "/v1/contacts/bulk-actions",
        json={
            "segment_id": segment_id,
            "filter": {"field": "status", "op": "eq", "value": "lead"},
            "action": "set_fields",
            "params": {"status": "customer"},
        },
    )
    assert response.status_code == 202 and response.json()["total"] == 2
    await wait_job(env, client, f"/v1/jobs/{response.json()['id']}")
    people = {p["id"]: p for p in await all_contacts(client)}
    assert [people[v["id"]]["status"] for v in vips] == ["customer", "customer"]
    assert people[other["id"]]["status"] == "lead"
    missing = await client.post(
        "/v1/contacts/bulk-actions", json={"segment_id": str(uuid.uuid4()), "action": "archive"}
    )
    assert missing.status_code == 404
    _, key = await env.tenant()
    async with env.client(key) as stranger:
        foreign = await stranger.post(
            "/v1/contacts/bulk-actions", json={"segment_id": segment_id, "action": "archive"}
        )
        assert foreign.status_code == 404


async def test_bulk_add_to_and_remove_from_list(env: Env, client: httpx.AsyncClient) -> None:
    vips = [await make_contact(client, tags=["vip"]) for _ in range(3)]
    other = await make_contact(client, tags=["other"])
    gone = await make_contact(client, tags=["vip"])
    await client.delete(f"/v1/contacts/{gone['id']}")
    made = await client.post("/v1/lists", json={"name": "Bulk"})
    list_id = made.json()["id"]
    await client.post(f"/v1/lists/{list_id}/members", json={"contact_ids": [vips[0]["id"]]})
    vip = {"field": "tags", "op": "has", "value": "vip"}
    response = await client.post(
        "/v1/contacts/bulk-actions",
        json={"filter": vip, "action": "add_to_list", "params": {"list_id": list_id}},
    )
    assert response.status_code == 202, response.text
    done = await wait_job(env, client, f"/v1/jobs/{response.json()['id']}")
    assert (done["status"], done["processed"], done["updated"]) == ("completed", 3, 2)
    members = await client.get(f"/v1/lists/{list_id}/members", params={"limit": 100})
    assert sorted(c["id"] for c in members.json()["data"]) == sorted(v["id"] for v in vips)
    by_list = await _export(client, list_id=list_id)
    assert by_list == sorted(v["id"] for v in vips)
    in_list = {"field": "lists", "op": "has", "value": list_id}
    response = await client.post(
        "/v1/contacts/bulk-actions",
        json={
            "filter": in_list,
            "action": "remove_from_list",
            "params": {"list_id": list_id},
        },
    )
    assert response.status_code == 202, response.text
    done = await wait_job(env, client, f"/v1/jobs/{response.json()['id']}")
    assert (done["status"], done["updated"]) == ("completed", 3)
    assert (await client.get(f"/v1/lists/{list_id}")).json()["member_count"] == 0
    for kind, expected in (("list.member_added", vips[1:]), ("list.member_removed", vips)):
        feed = await client.get("/v1/events", params={"type": kind, "limit": 100})
        changed = [e["data"]["contact"]["id"] for e in feed.json()["data"]]
        if kind == "list.member_added":  # the direct add of vips[0] came first
            changed = changed[1:]
        assert sorted(changed) == sorted(v["id"] for v in expected), kind
    assert other["id"] not in by_list
    missing = await client.post(
        "/v1/contacts/bulk-actions",
        json={"filter": vip, "action": "add_to_list", "params": {"list_id": str(uuid.uuid4())}},
    )
    assert missing.status_code == 404
    _, key = await env.tenant()
    async with env.client(key) as stranger:
        foreign = await stranger.post(
            "/v1/contacts/bulk-actions",
            json={"filter": vip, "action": "add_to_list", "params": {"list_id": list_id}},
        )
        assert foreign.status_code == 404
