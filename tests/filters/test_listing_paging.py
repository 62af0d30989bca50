"""Sorts, keyset cursors, offset/page and include_total of GET /v1/contacts."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import make_contact

SORTS = ["created_at", "-created_at", "updated_at", "-updated_at", "name", "-name"]
NAMES = ["bob", "Alice", "carol", "alice", "Dave", None, "bob", "Émile", "eve"]


async def walk(client, params, limit=2) -> list[dict]:
    """Every row of the listing, fetched page by page through next_cursor."""
    rows: list[dict] = []
    cursor = None
    for _ in range(100):
        query = {**params, "limit": limit}
        if cursor:
            query["cursor"] = cursor
        body = (await client.get("/v1/contacts", params=query)).json()
        rows.extend(body["data"])
        assert body["has_more"] == (body["next_cursor"] is not None)
        if not body["has_more"]:
            return rows
        cursor = body["next_cursor"]
    raise AssertionError("paging did not end")


async def seed(client) -> list[dict]:
    made = []
    for i, name in enumerate(NAMES):
        fields = {"name": name} if name else {"external_id": f"x{i}"}
        made.append(await make_contact(client, **fields))
    # Touch a few so updated_at order differs from created_at order.
    for contact in (made[0], made[4]):
        r = await client.patch(f"/v1/contacts/{contact['id']}", json={"company": "Touched"})
        made[made.index(contact)] = r.json()
    return made


def expected(made: list[dict], sort: str) -> list[str]:
    field = sort.lstrip("-")
    if field == "name":

        def key(c):
            return ((c["name"] or "").lower(), c["id"])
    else:

        def key(c):
            return (c[field], c["id"])

    return [c["id"] for c in sorted(made, key=key, reverse=sort.startswith("-"))]


@pytest.mark.parametrize("sort", SORTS)
async def test_every_sort_pages_in_order_with_ties_by_id(client, sort):
    made = await seed(client)
    want = expected(made, sort)
    assert [r["id"] for r in await walk(client, {"sort": sort})] == want
    assert [r["id"] for r in await walk(client, {"sort": sort}, limit=100)] == want


async def test_name_sort_is_case_insensitive(client):
    for name in ("bob", "Alice", "alice", "Carl"):
        await make_contact(client, name=name)
    rows = await walk(client, {"sort": "name"}, limit=100)
    assert [r["name"].lower() for r in rows] == ["alice", "alice", "bob", "carl"]


async def test_offset_and_page_match_the_cursor_walk(client):
    made = await seed(client)
    want = expected(made, "-created_at")
    r = await client.get("/v1/contacts", params={"limit": 3, "page": 2})
    assert [row["id"] for row in r.json()["data"]] == want[3:6]
    r = await client.get("/v1/contacts", params={"limit": 3, "offset": 7})
    assert [row["id"] for row in r.json()["data"]] == want[7:]
    assert r.json()["has_more"] is False
    r = await client.get("/v1/contacts", params={"limit": 3, "offset": 1, "page": 1})
    assert r.status_code == 400


async def test_include_total_counts_the_filter(client):
    await seed(client)
    await make_contact(client, tags=["x"])
    body = (await client.get("/v1/contacts", params={"limit": 1, "include_total": "true"})).json()
    assert body["total"] == len(NAMES) + 1
    assert len(body["data"]) == 1
    body = (await client.get("/v1/contacts", params={"tag": "x", "include_total": "1"})).json()
    assert body["total"] == 1
    assert "total" not in (await client.get("/v1/contacts")).json()


@pytest.mark.parametrize("limit", ["0", "101", "-1", "abc"])
async def test_limit_outside_range_is_400(client, limit):
    response = await client.get("/v1/contacts", params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_request"


async def test_garbage_and_tampered_cursors_are_400(client):
    await seed(client)
    body = (await client.get("/v1/contacts", params={"limit": 2})).json()
    token = body["next_cursor"]
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    raw[-3] ^= 1
    tampered = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    for bad in ("garbage", "", "!!!", tampered, token[:-2]):
        response = await client.get("/v1/contacts", params={"cursor": bad})
        assert response.status_code == 400, bad
        assert response.json()["code"] == "invalid_request"


async def test_cursor_is_bound_to_sort_and_filter(client):
    await seed(client)
    token = (await client.get("/v1/contacts", params={"limit": 2})).json()["next_cursor"]
    ok = await client.get("/v1/contacts", params={"cursor": token, "limit": 5})
    assert ok.status_code == 200  # limit may change between pages
    for params in ({"sort": "name"}, {"q": "bob"}, {"include_deleted": "true"}, {"tag": "x"}):
        response = await client.get("/v1/contacts", params={"cursor": token, **params})
        assert response.status_code == 400, params


async def test_cursor_of_another_tenant_reads_nothing_foreign(env, client):
    await seed(client)
    token = (await client.get("/v1/contacts", params={"limit": 2})).json()["next_cursor"]
    _, key = await env.tenant()
    async with env.client(key) as other:
        response = await other.get("/v1/contacts", params={"cursor": token})
        assert response.status_code == 200
        assert response.json()["data"] == []


@pytest.mark.parametrize("sort", SORTS)
async def test_rows_written_while_paging_are_never_returned_twice(client, sort):
    made = await seed(client)
    seen: list[str] = []
    body = (await client.get("/v1/contacts", params={"sort": sort, "limit": 3})).json()
    seen += [r["id"] for r in body["data"]]
    turns = 0
    while body["has_more"]:
        turns += 1
        assert turns < 20, "paging did not end"
        # Between pages: insert rows that sort everywhere (for the first few turns, so that
        # an ascending walk can end), and move rows already returned.
        if turns <= 3:
            for name in ("Aaron", "mid", "Zed"):
                await make_contact(client, name=name)
        for contact_id in seen[-2:]:
            await client.patch(f"/v1/contacts/{contact_id}", json={"name": f"zz{contact_id}"})
            await client.patch(f"/v1/contacts/{contact_id}", json={"name": f"aa{contact_id}"})
        body = (
            await client.get(
                "/v1/contacts", params={"sort": sort, "limit": 3, "cursor": body["next_cursor"]}
            )
        ).json()
        seen += [r["id"] for r in body["data"]]
    assert len(seen) == len(set(seen))
    # Rows nobody touched while paging are all returned, once.
    assert {c["id"] for c in made} <= set(seen)


async def test_archived_rows_stay_hidden_across_pages(client):
    made = await seed(client)
    await client.delete(f"/v1/contacts/{made[3]['id']}")
    rows = await walk(client, {"sort": "name"})
    assert made[3]["id"] not in [r["id"] for r in rows]
    rows = await walk(client, {"sort": "name", "include_deleted": "true"})
    assert made[3]["id"] in [r["id"] for r in rows]


@pytest.mark.parametrize("tags", [["pg"], ["pg", "other"]])
async def test_a_tag_pages_in_creation_order_while_rows_are_added(client, tags):
    # Tags alone in creation order are read from the tag's rows in that order (on
    # PostgreSQL: roster.filters.repository.plans, "tags alone"): every page must follow
    # on from the last, archived contacts left out, and contacts added while paging never
    # returned twice.
    tagged = []
    for i in range(7):
        await make_contact(client, external_id=f"plain{i}")
        tagged.append(await make_contact(client, external_id=f"t{i}", tags=[*tags, f"n{i}"]))
    if len(tags) > 1:  # the other tag is the narrower one: it drives the walk
        await make_contact(client, external_id="pg-only", tags=["pg"])
        await make_contact(client, external_id="pg-only-2", tags=["pg"])
    gone = tagged.pop(3)
    assert (await client.delete(f"/v1/contacts/{gone['id']}")).status_code == 204
    params = {"tag": tags, "sort": "-created_at", "limit": 2}
    first = (await client.get("/v1/contacts", params=params)).json()
    seen = [row["id"] for row in first["data"]]
    await make_contact(client, external_id="late", tags=tags)  # newer than every page
    cursor = first["next_cursor"]
    while cursor:
        body = (await client.get("/v1/contacts", params={**params, "cursor": cursor})).json()
        seen += [row["id"] for row in body["data"]]
        cursor = body["next_cursor"]
    assert seen == [c["id"] for c in reversed(tagged)]
    ascending = [row["id"] for row in await walk(client, {"tag": tags, "sort": "created_at"})]
    assert ascending[:-1] == [c["id"] for c in tagged]  # then the one added meanwhile
    assert len(ascending) == len(tagged) + 1
