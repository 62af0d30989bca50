"""The outbox and the change feed: every change is one event, in the change's transaction."""

from __future__ import annotations

from datetime import timedelta
from uuid import UUID

from sqlalchemy import func, select, update

from roster.events.outbox import sweep
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow
from roster.models import events
from tests.conftest import make_contact


async def feed(http, **params):
    r = await http.get("/v1/events", params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def test_each_change_is_one_event_in_order(client):
    c = await make_contact(client, phone="+14155550201", first_name="Ev")
    await client.patch(
        f"/v1/contacts/{c['id']}",
        json={"company": "Acme", "tags": ["x"], "preferences": {"sms": "opted_in"}},
    )
    await client.patch(f"/v1/contacts/{c['id']}", json={"company": "Acme"})  # no change
    await client.delete(f"/v1/contacts/{c['id']}")
    await client.post(f"/v1/contacts/{c['id']}/restore")
    page = await feed(client)
    assert [e["type"] for e in page["data"]] == [
        "contact.created",
        "contact.updated",
        "contact.consent_changed",  # the consent change has an event of its own
        "contact.deleted",
        "contact.restored",
    ]
    assert all(e["id"].startswith("evt_") for e in page["data"])
    created, updated = page["data"][0], page["data"][1]
    assert created["data"]["contact"]["phone"] == "+14155550201"
    assert sorted(updated["data"]["changed_fields"]) == ["company", "preferences.sms", "tags"]
    assert updated["data"]["contact"]["version"] == 2
    assert page["has_more"] is False
    assert page["next_cursor"] == page["data"][-1]["id"]
    # polling with the cursor returns only what is new
    assert (await feed(client, after=page["next_cursor"]))["data"] == []
    await client.post(f"/v1/contacts/{c['id']}/tags", json={"tags": ["y"]})
    newer = await feed(client, after=page["next_cursor"])
    assert [e["type"] for e in newer["data"]] == ["contact.updated"]
    assert newer["data"][0]["data"]["changed_fields"] == ["tags"]


async def test_feed_pages_and_filters_by_type(client):
    made = [await make_contact(client) for _ in range(5)]
    await client.delete(f"/v1/contacts/{made[0]['id']}")
    first = await feed(client, limit=2)
    assert first["has_more"] is True
    second = await feed(client, limit=2, after=first["next_cursor"])
    third = await feed(client, limit=2, after=second["next_cursor"])
    ids = [e["id"] for p in (first, second, third) for e in p["data"]]
    assert len(ids) == len(set(ids)) == 6
    assert third["has_more"] is False
    deleted = await feed(client, type="contact.deleted")
    assert [e["type"] for e in deleted["data"]] == ["contact.deleted"]
    everything = await feed(client, type="contact.*")
    assert len(everything["data"]) == 6
    assert (await client.get("/v1/events", params={"after": "evt_nope"})).status_code == 400
    assert (await client.get("/v1/events", params={"type": "DROP TABLE"})).status_code == 400


async def test_a_rolled_back_change_emits_nothing(env, client):
    a = await make_contact(client, phone="+14155550202")
    async with transaction(env.app.state.engine, write=False) as conn:
        before = (await conn.execute(select(func.count()).select_from(events))).scalar()
    conflict = await client.post("/v1/contacts", json={"phone": "+14155550202"})
    assert conflict.status_code == 409
    invalid = await client.patch(f"/v1/contacts/{a['id']}", json={"email": "nope"})
    assert invalid.status_code == 422
    async with transaction(env.app.state.engine, write=False) as conn:
        after = (await conn.execute(select(func.count()).select_from(events))).scalar()
    assert after == before


async def test_feeds_are_per_tenant(env, client):
    await make_contact(client)
    _, other_key = await env.tenant()
    async with env.client(other_key) as other:
        assert (await feed(other))["data"] == []
        mine = (await feed(client))["data"][0]["id"]
        assert (await other.get("/v1/events", params={"after": mine})).status_code == 400


async def test_retention_sweep_forgets_old_events_only(env, client):
    old = await make_contact(client)
    await client.get("/v1/events")  # sequences it
    async with transaction(env.app.state.engine, write=True) as conn:
        await conn.execute(
            update(events)
            .where(events.c.subject_id == UUID(old["id"]))
            .values(created_at=utcnow() - timedelta(days=31))
        )
    new = await make_contact(client)
    async with transaction(env.app.state.engine, write=True) as conn:
        assert await sweep(conn, 30) == 1
    left = [e["data"]["contact"]["id"] for e in (await client.get("/v1/events")).json()["data"]]
    assert left == [new["id"]]


async def test_erasure_leaves_only_an_erased_event(client):
    c = await make_contact(client, phone="+14155550299", first_name="Forget")
    await client.patch(f"/v1/contacts/{c['id']}", json={"company": "Me"})
    assert (
        await client.delete(f"/v1/contacts/{c['id']}", params={"erase": "true"})
    ).status_code == 204
    page = (await client.get("/v1/events")).json()["data"]
    assert [e["type"] for e in page] == ["contact.erased"]
    assert page[0]["data"] == {"contact": {"id": c["id"]}}
