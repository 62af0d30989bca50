"""An import's `list_id`: every contact the file names joins the list, in the chunk's
transaction, with an event per new membership."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import Env, make_contact
from tests.helpers.jobs import import_csv, upload


async def test_import_adds_every_named_contact_to_the_list(
    env: Env, client: httpx.AsyncClient
) -> None:
    existing = await make_contact(client, phone="+14155550401", first_name="Kept")
    made = await client.post("/v1/lists", json={"name": "Imported"})
    list_id = made.json()["id"]
    csv = (
        "phone,first_name\n"
        "+14155550401,Kept\n"  # unchanged: still joins
        "+14155550402,New\n"
        "not-a-phone,Bad\n"  # fails: joins nothing
    )
    job = await import_csv(env, client, csv, list_id=list_id)
    assert (job["status"], job["created"], job["failed"]) == ("completed", 1, 1)
    members = await client.get(f"/v1/lists/{list_id}/members", params={"limit": 100})
    names = sorted(c["first_name"] for c in members.json()["data"])
    assert names == ["Kept", "New"]
    assert existing["id"] in {c["id"] for c in members.json()["data"]}
    feed = await client.get("/v1/events", params={"type": "list.member_added", "limit": 100})
    joined = [e["data"] for e in feed.json()["data"] if e["data"]["list"]["id"] == list_id]
    assert len(joined) == 2
    # Importing the same file again adds no second membership and no event.
    await import_csv(env, client, csv, list_id=list_id)
    again = await client.get(f"/v1/lists/{list_id}", params={})
    assert again.json()["member_count"] == 2
    feed = await client.get("/v1/events", params={"type": "list.member_added", "limit": 100})
    assert len([e for e in feed.json()["data"] if e["data"]["list"]["id"] == list_id]) == 2


async def test_an_unknown_or_foreign_list_is_refused_before_any_job(
    env: Env, client: httpx.AsyncClient
) -> None:
    csv = "phone\n+14155550411\n"
    missing = await upload(client, csv, list_id=str(uuid.uuid4()))
    assert missing.status_code == 404, missing.text
    malformed = await upload(client, csv, list_id="not-an-id")
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "list_id"
    _, key = await env.tenant()
    async with env.client(key) as stranger:
        theirs = (await stranger.post("/v1/lists", json={"name": "Theirs"})).json()["id"]
    foreign = await upload(client, csv, list_id=theirs)
    assert foreign.status_code == 404
    assert (await client.get("/v1/imports")).json()["data"] == []
