"""Static lists: CRUD, unique names, members, archived contacts, the `lists` filter field."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.conftest import make_contact
from tests.filters.test_search import ids


async def make_list(http: httpx.AsyncClient, name: str, **extra: Any) -> dict[str, Any]:
    response = await http.post("/v1/lists", json={"name": name, **extra})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def member_ids(http: httpx.AsyncClient, list_id: str) -> set[str]:
    response = await http.get(f"/v1/lists/{list_id}/members", params={"limit": 100})
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["data"]}


async def test_crud_and_unique_names(client: httpx.AsyncClient) -> None:
    made = await make_list(client, " Newsletter ", description="weekly")
    assert made["name"] == "Newsletter"
    assert made["member_count"] == 0
    got = await client.get(f"/v1/lists/{made['id']}")
    assert got.status_code == 200 and got.headers["etag"] == '"1"'
    clash = await client.post("/v1/lists", json={"name": "Newsletter"})
    assert clash.status_code == 409
    assert clash.json()["field"] == "name"
    assert clash.json()["conflicting_id"] == made["id"]
    other = await make_list(client, "Other")
    rename = await client.patch(f"/v1/lists/{other['id']}", json={"name": "Newsletter"})
    assert rename.status_code == 409 and rename.json()["field"] == "name"
    stale = await client.patch(
        f"/v1/lists/{other['id']}", json={"description": "x"}, headers={"If-Match": '"9"'}
    )
    assert stale.status_code == 412
    ok = await client.patch(
        f"/v1/lists/{other['id']}", json={"name": "Renamed"}, headers={"If-Match": '"1"'}
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.json()["name"] == "Renamed"
    assert (await client.patch(f"/v1/lists/{other['id']}", json={"name": None})).status_code == 422
    assert (await client.post("/v1/lists", json={"name": "   "})).status_code == 422
    assert (await client.post("/v1/lists", json={"name": "x", "id": "y"})).status_code == 422
    listing = (await client.get("/v1/lists", params={"limit": 1})).json()
    assert [x["name"] for x in listing["data"]] == ["Newsletter"] and listing["has_more"]
    rest = (await client.get("/v1/lists", params={"cursor": listing["next_cursor"]})).json()
    assert [x["name"] for x in rest["data"]] == ["Renamed"] and not rest["has_more"]


async def test_member_ids_that_are_not_ids_are_refused(client: httpx.AsyncClient) -> None:
    """Text that is not a UUID is a 422 naming the item, as merge's ``duplicate_ids``; an id
    that names no contact is still reported in ``not_found``."""
    roster = await make_list(client, "Strict")
    a = await make_contact(client)
    url = f"/v1/lists/{roster['id']}/members"
    refused = await client.post(url, json={"contact_ids": [a["id"], "nope"]})
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["code"] == "validation_error"
    assert [e["field"] for e in body["errors"]] == ["contact_ids[1]"]
    assert "UUID" in body["errors"][0]["message"]
    merge = await client.post(f"/v1/contacts/{a['id']}/merge", json={"duplicate_ids": ["nope"]})
    assert merge.status_code == 422
    assert [e["field"] for e in merge.json()["errors"]] == ["duplicate_ids[0]"]
    # Nothing was added for the valid id either: the whole request was refused.
    assert await member_ids(client, roster["id"]) == set()
    # Upper case and braces are still ids, and reported as given when they name nothing.
    missing = "{" + str(uuid.uuid4()).upper() + "}"
    added = await client.post(url, json={"contact_ids": [a["id"].upper(), missing]})
    assert added.status_code == 200, added.text
    assert added.json() == {"added": 1, "already_members": 0, "not_found": [missing]}


async def test_members(client: httpx.AsyncClient, env: Any) -> None:
    roster = await make_list(client, "VIPs")
    a, b, c = [await make_contact(client) for _ in range(3)]
    _, key = await env.tenant()
    async with env.client(key) as other:
        foreign = await make_contact(other)
    missing = str(uuid.uuid4())
    body = {"contact_ids": [a["id"], b["id"], a["id"], foreign["id"], missing]}
    added = await client.post(f"/v1/lists/{roster['id']}/members", json=body)
    assert added.status_code == 200, added.text
    assert added.json() == {
        "added": 2,
        "already_members": 0,
        "not_found": [foreign["id"], missing],
    }
    again = await client.post(
        f"/v1/lists/{roster['id']}/members", json={"contact_ids": [a["id"], c["id"]]}
    )
    assert again.json() == {"added": 1, "already_members": 1, "not_found": []}
    assert await member_ids(client, roster["id"]) == {a["id"], b["id"], c["id"]}
    assert (await client.get(f"/v1/lists/{roster['id']}")).json()["member_count"] == 3

    # The `lists` filter field.
    assert await ids(client, {"field": "lists", "op": "has", "value": roster["id"]}) == {
        a["id"],
        b["id"],
        c["id"],
    }
    assert a["id"] not in await ids(
        client, {"field": "lists", "op": "has_none", "value": [roster["id"]]}
    )

    # An archived contact drops out until restored.
    assert (await client.delete(f"/v1/contacts/{b['id']}")).status_code == 204
    assert await member_ids(client, roster["id"]) == {a["id"], c["id"]}
    assert (await client.get(f"/v1/lists/{roster['id']}")).json()["member_count"] == 2
    assert b["id"] not in await ids(client, {"field": "lists", "op": "has", "value": roster["id"]})
    assert (await client.post(f"/v1/contacts/{b['id']}/restore")).status_code == 200
    assert await member_ids(client, roster["id"]) == {a["id"], b["id"], c["id"]}

    # Removing: a member → 204; a non-member contact → 204; no such contact → 404.
    gone = await client.delete(f"/v1/lists/{roster['id']}/members/{a['id']}")
    assert gone.status_code == 204
    assert (await client.delete(f"/v1/lists/{roster['id']}/members/{a['id']}")).status_code == 204
    assert (
        await client.delete(f"/v1/lists/{roster['id']}/members/{foreign['id']}")
    ).status_code == 404
    assert await member_ids(client, roster["id"]) == {b["id"], c["id"]}

    # Deleting the list keeps its contacts.
    assert (await client.delete(f"/v1/lists/{roster['id']}")).status_code == 204
    assert (await client.get(f"/v1/lists/{roster['id']}")).status_code == 404
    assert (await client.get(f"/v1/contacts/{b['id']}")).status_code == 200
    assert await ids(client, {"field": "lists", "op": "has", "value": roster["id"]}) == set()


async def test_limits_and_other_tenants(client: httpx.AsyncClient, env: Any) -> None:
    roster = await make_list(client, "Big")
    too_many = {"contact_ids": [str(uuid.uuid4()) for _ in range(1001)]}
    assert (
        await client.post(f"/v1/lists/{roster['id']}/members", json=too_many)
    ).status_code == 422
    assert (
        await client.post(f"/v1/lists/{roster['id']}/members", json={"contact_ids": []})
    ).status_code == 422
    _, key = await env.tenant()
    async with env.client(key) as other:
        for method, path, body in (
            ("GET", f"/v1/lists/{roster['id']}", None),
            ("PATCH", f"/v1/lists/{roster['id']}", {"name": "x"}),
            ("DELETE", f"/v1/lists/{roster['id']}", None),
            ("GET", f"/v1/lists/{roster['id']}/members", None),
            ("POST", f"/v1/lists/{roster['id']}/members", {"contact_ids": [str(uuid.uuid4())]}),
        ):
            response = await other.request(method, path, json=body)
            assert response.status_code == 404, (method, path)
        assert (await other.get("/v1/lists")).json()["data"] == []
    tenant_id, _ = await env.tenant()
    reader = await env.key(tenant_id, ["contacts:read"])
    async with env.client(reader) as http:
        assert (await http.post("/v1/lists", json={"name": "x"})).status_code == 403
        assert (await http.get("/v1/lists")).status_code == 200


async def test_member_pages_follow_contact_sorts(client: httpx.AsyncClient) -> None:
    roster = await make_list(client, "Sorted")
    made = [await make_contact(client, name=f"M{i}") for i in range(5)]
    await client.post(
        f"/v1/lists/{roster['id']}/members", json={"contact_ids": [m["id"] for m in made]}
    )
    names: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"sort": "-name", "limit": 2, "include_total": "true"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(f"/v1/lists/{roster['id']}/members", params=params)).json()
        assert page["total"] == 5
        names += [c["name"] for c in page["data"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert names == ["M4", "M3", "M2", "M1", "M0"]
