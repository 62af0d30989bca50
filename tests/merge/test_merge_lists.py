"""Merging moves list memberships to the survivor, on both engines."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import make_contact


async def _list(http: httpx.AsyncClient, name: str, ids: list[str]) -> str:
    made = await http.post("/v1/lists", json={"name": name})
    assert made.status_code == 201, made.text
    list_id: str = made.json()["id"]
    if ids:
        added = await http.post(f"/v1/lists/{list_id}/members", json={"contact_ids": ids})
        assert added.status_code == 200, added.text
    return list_id


async def _members(http: httpx.AsyncClient, list_id: str) -> list[str]:
    response = await http.get(f"/v1/lists/{list_id}/members", params={"limit": 100})
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["data"]]


async def _merge(http: httpx.AsyncClient, sid: str, dups: list[str], **extra: Any) -> Any:
    response = await http.post(f"/v1/contacts/{sid}/merge", json={"duplicate_ids": dups, **extra})
    assert response.status_code == 200, response.text
    return response.json()


async def test_memberships_move_to_the_survivor(client: httpx.AsyncClient) -> None:
    survivor = await make_contact(client, email="s@example.com")
    first = await make_contact(client, email="d1@example.com")
    second = await make_contact(client, email="d2@example.com")
    bystander = await make_contact(client, email="b@example.com")
    sid, d1, d2 = survivor["id"], first["id"], second["id"]
    shared = await _list(client, "Shared", [sid, d1, d2])  # survivor already in
    dup_only = await _list(client, "Dups", [d1, d2])  # both duplicates, not the survivor
    one = await _list(client, "One", [d2, bystander["id"]])
    untouched = await _list(client, "Untouched", [bystander["id"]])

    preview = await _merge(client, sid, [d1, d2], dry_run=True)
    assert preview["merge"]["list_memberships_moved"] == 2
    assert sorted(preview["merge"]["list_ids"]) == sorted([dup_only, one])
    # The dry run changed nothing.
    assert sorted(await _members(client, dup_only)) == sorted([d1, d2])
    assert sid not in await _members(client, one)

    done = await _merge(client, sid, [d1, d2])
    assert done["merge"]["list_memberships_moved"] == 2
    assert await _members(client, shared) == [sid]
    assert await _members(client, dup_only) == [sid]
    assert sorted(await _members(client, one)) == sorted([sid, bystander["id"]])
    assert await _members(client, untouched) == [bystander["id"]]
    counts = {
        lid: (await client.get(f"/v1/lists/{lid}")).json()["member_count"]
        for lid in (shared, dup_only, one)
    }
    assert counts == {shared: 1, dup_only: 1, one: 2}
    # No membership rows are left on the archived duplicates, and none is doubled.
    for lid in (shared, dup_only, one):
        archived = await client.get(
            "/v1/contacts", params={"list_id": lid, "include_deleted": "true", "limit": 100}
        )
        ids = [c["id"] for c in archived.json()["data"]]
        assert d1 not in ids and d2 not in ids and ids.count(sid) == 1
    # The `lists` filter and list_id listing see the survivor.
    found = await client.post(
        "/v1/contacts/search",
        json={"filter": {"field": "lists", "op": "has_all", "value": [shared, dup_only, one]}},
    )
    assert [c["id"] for c in found.json()["data"]] == [sid]
    # Each membership that changed has its event: the survivor joined two lists, and the
    # duplicates' five memberships went.
    added = await _memberships(client, "list.member_added")
    removed = await _memberships(client, "list.member_removed")
    assert {(lid, sid) for lid in (dup_only, one)} <= added
    assert {(shared, d1), (shared, d2), (dup_only, d1), (dup_only, d2), (one, d2)} == removed


async def _memberships(http: httpx.AsyncClient, kind: str) -> set[tuple[str, str]]:
    feed = await http.get("/v1/events", params={"type": kind, "limit": 100})
    assert feed.status_code == 200, feed.text
    return {(e["data"]["list"]["id"], e["data"]["contact"]["id"]) for e in feed.json()["data"]}


async def test_merge_without_memberships_and_refused_merges(client: httpx.AsyncClient) -> None:
    survivor = await make_contact(client)
    dup = await make_contact(client)
    listed = await _list(client, "L", [dup["id"]])
    # A refused merge (the survivor is its own duplicate) moves nothing.
    refused = await client.post(
        f"/v1/contacts/{survivor['id']}/merge", json={"duplicate_ids": [survivor["id"]]}
    )
    assert refused.status_code == 422
    assert await _members(client, listed) == [dup["id"]]
    plain = await make_contact(client)
    result = await _merge(client, plain["id"], [survivor["id"]])
    assert result["merge"] == {"list_memberships_moved": 0, "list_ids": []}
