"""Subscriptions by type and pattern receive every type of the event catalogue."""

from __future__ import annotations

import httpx

from tests.conftest import Env, make_contact
from tests.helpers.jobs import import_csv


async def test_webhook_patterns_route_the_new_types(
    env: Env, client: httpx.AsyncClient, private_ok: None
) -> None:
    url = "http://127.0.0.1:9/hook"  # never delivered to within this test
    hooks = {}
    for patterns in (["list.*"], ["contact.*"], ["*"], ["import.completed"]):
        r = await client.post("/v1/webhooks", json={"url": url, "events": patterns})
        assert r.status_code == 201, r.text
        hooks[patterns[0]] = r.json()["id"]
    c = await make_contact(client)
    lst = (await client.post("/v1/lists", json={"name": "Routed"})).json()
    await client.post(f"/v1/lists/{lst['id']}/members", json={"contact_ids": [c["id"]]})
    await client.post(f"/v1/contacts/{c['id']}/notes", json={"body": "hello"})
    await import_csv(env, client, "email\nrouted@example.com\n")
    # Reading the feed sequences the events, which creates their deliveries.
    feed = (await client.get("/v1/events", params={"limit": 100})).json()["data"]
    type_of = {e["id"]: e["type"] for e in feed}

    async def routed(hook_id: str) -> set[str]:
        r = await client.get(f"/v1/webhooks/{hook_id}/deliveries", params={"limit": 100})
        assert r.status_code == 200, r.text
        return {type_of[d["event_id"]] for d in r.json()["data"]}

    assert await routed(hooks["list.*"]) == {"list.member_added"}
    assert await routed(hooks["contact.*"]) == {"contact.created", "contact.note_added"}
    assert await routed(hooks["*"]) == {
        "contact.created",
        "contact.note_added",
        "list.member_added",
        "import.completed",
    }
    assert await routed(hooks["import.completed"]) == {"import.completed"}
