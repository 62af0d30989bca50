"""`list_id` and `segment_id` on GET /v1/contacts, on both engines."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import Env, make_contact


async def _list_with(http: httpx.AsyncClient, name: str, ids: list[str]) -> str:
    made = await http.post("/v1/lists", json={"name": name})
    assert made.status_code == 201, made.text
    list_id: str = made.json()["id"]
    added = await http.post(f"/v1/lists/{list_id}/members", json={"contact_ids": ids})
    assert added.status_code == 200, added.text
    return list_id


async def _segment(http: httpx.AsyncClient, name: str, expr: dict[str, Any]) -> str:
    made = await http.post("/v1/segments", json={"name": name, "filter": expr})
    assert made.status_code == 201, made.text
    segment_id: str = made.json()["id"]
    return segment_id


async def _all_ids(http: httpx.AsyncClient, **params: Any) -> list[str]:
    """Every page, one contact per page, checking the keyset cursor as it goes."""
    found: list[str] = []
    query: dict[str, Any] = {**params, "limit": 1}
    while True:
        response = await http.get("/v1/contacts", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        found += [c["id"] for c in body["data"]]
        if not body["has_more"]:
            return found
        query = {**params, "limit": 1, "cursor": body["next_cursor"]}


async def test_list_id_pages_members_only(client: httpx.AsyncClient) -> None:
    a, b, c, d = [await make_contact(client, status="lead") for _ in range(4)]
    list_id = await _list_with(client, "Newsletter", [a["id"], b["id"], c["id"]])
    assert await _all_ids(client, list_id=list_id) == [c["id"], b["id"], a["id"]]
    assert await _all_ids(client, list_id=list_id, sort="created_at") == [
        a["id"],
        b["id"],
        c["id"],
    ]
    total = await client.get("/v1/contacts", params={"list_id": list_id, "include_total": "true"})
    assert total.json()["total"] == 3
    # Combined with the other filters (AND).
    await client.patch(f"/v1/contacts/{b['id']}", json={"status": "customer"})
    assert await _all_ids(client, list_id=list_id, status="lead") == [c["id"], a["id"]]
    # Archived members stay out unless include_deleted.
    assert (await client.delete(f"/v1/contacts/{a['id']}")).status_code == 204
    assert await _all_ids(client, list_id=list_id) == [c["id"], b["id"]]
    assert await _all_ids(client, list_id=list_id, include_deleted="true") == [
        c["id"],
        b["id"],
        a["id"],
    ]
    assert d["id"] not in await _all_ids(client, list_id=list_id, include_deleted="true")


async def test_segment_id_is_the_segment_filter_now(client: httpx.AsyncClient) -> None:
    vip = await make_contact(client, tags=["vip"], name="Vee")
    await make_contact(client, tags=["other"])
    segment_id = await _segment(client, "VIPs", {"field": "tags", "op": "has", "value": "vip"})
    assert await _all_ids(client, segment_id=segment_id) == [vip["id"]]
    later = await make_contact(client, tags=["vip"], name="Ann")
    assert await _all_ids(client, segment_id=segment_id, sort="name") == [later["id"], vip["id"]]
    counted = await client.get(
        "/v1/contacts", params={"segment_id": segment_id, "include_total": "true", "q": "ann"}
    )
    assert counted.json()["total"] == 1 and counted.json()["data"][0]["id"] == later["id"]
    list_id = await _list_with(client, "Some", [vip["id"]])
    assert await _all_ids(client, segment_id=segment_id, list_id=list_id) == [vip["id"]]
    await client.delete(f"/v1/contacts/{vip['id']}")
    assert await _all_ids(client, segment_id=segment_id) == [later["id"]]
    assert set(await _all_ids(client, segment_id=segment_id, include_deleted="true")) == {
        vip["id"],
        later["id"],
    }


async def test_cursor_is_bound_to_the_list(client: httpx.AsyncClient) -> None:
    people = [await make_contact(client) for _ in range(3)]
    first = await _list_with(client, "One", [p["id"] for p in people])
    second = await _list_with(client, "Two", [p["id"] for p in people])
    page = (await client.get("/v1/contacts", params={"list_id": first, "limit": 1})).json()
    replay = await client.get(
        "/v1/contacts", params={"list_id": second, "limit": 1, "cursor": page["next_cursor"]}
    )
    assert replay.status_code == 400


async def test_unknown_or_foreign_ids_are_404(env: Env, client: httpx.AsyncClient) -> None:
    mine = await make_contact(client)
    list_id = await _list_with(client, "Mine", [mine["id"]])
    segment_id = await _segment(client, "Mine", {"field": "status", "op": "exists"})
    for params in ({"list_id": str(uuid.uuid4())}, {"segment_id": str(uuid.uuid4())}):
        response = await client.get("/v1/contacts", params=params)
        assert response.status_code == 404, response.text
    for params in ({"list_id": "nope"}, {"segment_id": "nope"}):
        response = await client.get("/v1/contacts", params=params)
        assert response.status_code == 400
        assert response.json()["errors"][0]["field"] == next(iter(params))
    _, key = await env.tenant()
    async with env.client(key) as other:
        await make_contact(other)
        for params in ({"list_id": list_id}, {"segment_id": segment_id}):
            response = await other.get("/v1/contacts", params=params)
            assert response.status_code == 404, response.text
