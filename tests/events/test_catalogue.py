"""Every event type of the catalogue: the change over HTTP, then the event in the feed.

A change that fails emits nothing; events about a contact go when it is erased.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx

from roster.events.catalogue import CATALOGUE
from roster.kit.db import transaction
from roster.webhooks.schemas import EVENT_TYPES
from roster.worker import queue
from roster.worker.runner import Worker
from tests.conftest import Env, make_contact
from tests.helpers.jobs import import_csv


async def of_type(http: httpx.AsyncClient, type_: str) -> list[dict[str, Any]]:
    r = await http.get("/v1/events", params={"type": type_, "limit": 100})
    assert r.status_code == 200, r.text
    data: list[dict[str, Any]] = r.json()["data"]
    return data


async def all_events(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    return await of_type(http, "*")


async def count_all(env: Env, http: httpx.AsyncClient) -> int:
    """How many events the tenant has (a rolled-back change leaves none behind)."""
    return len(await all_events(http))


async def test_consent_changed_one_event_per_channel(client: httpx.AsyncClient) -> None:
    c = await make_contact(client)
    r = await client.put(
        f"/v1/contacts/{c['id']}/preferences",
        json={
            "preferences": {"sms": "opted_out", "email": "opted_in", "voice": "unknown"},
            "source": "keyword:STOP",
            "note": "said so on the phone to Jo",
        },
    )
    assert r.status_code == 200, r.text
    history = (await client.get(f"/v1/contacts/{c['id']}/consent")).json()["data"]
    actor = history[0]["actor"]
    assert actor is not None
    got = await of_type(client, "contact.consent_changed")
    assert sorted((e["data"]["channel"], e["data"]["to"]) for e in got) == [
        ("email", "opted_in"),
        ("sms", "opted_out"),
    ]
    sms = next(e["data"] for e in got if e["data"]["channel"] == "sms")
    assert sms == {
        "contact": {"id": c["id"]},
        "channel": "sms",
        "from": "unknown",
        "to": "opted_out",
        "source": "keyword:STOP",
        "actor": actor,
        "reason": None,
    }
    assert all("note" not in e["data"] for e in got)  # the free-text note stays in Roster
    # A suppression is a change of the "suppression" channel, with its reason.
    r = await client.put(
        f"/v1/contacts/{c['id']}/preferences",
        json={"suppressed": True, "suppressed_reason": "bounced", "source": "esp:bounce"},
    )
    assert r.status_code == 200, r.text
    got = await of_type(client, "contact.consent_changed")
    assert got[-1]["data"]["channel"] == "suppression"
    assert (got[-1]["data"]["from"], got[-1]["data"]["to"]) == ("not_suppressed", "suppressed")
    assert got[-1]["data"]["reason"] == "bounced"
    # Consent given through a contact write emits too, after the contact's own event.
    d = await make_contact(client, preferences={"whatsapp": "opted_in"})
    about_d = [e for e in await all_events(client) if e["data"]["contact"]["id"] == d["id"]]
    assert [e["type"] for e in about_d] == ["contact.created", "contact.consent_changed"]
    assert about_d[1]["data"]["source"] == "contact.create"
    await client.patch(f"/v1/contacts/{d['id']}", json={"preferences": {"whatsapp": "opted_out"}})
    about_d = [e for e in await all_events(client) if e["data"]["contact"]["id"] == d["id"]]
    assert [e["type"] for e in about_d][2:] == ["contact.updated", "contact.consent_changed"]


async def test_consent_change_that_fails_emits_nothing(env: Env, client: httpx.AsyncClient) -> None:
    c = await make_contact(client)
    before = await count_all(env, client)
    stale = await client.put(
        f"/v1/contacts/{c['id']}/preferences",
        json={"preferences": {"sms": "opted_out"}, "source": "x"},
        headers={"If-Match": '"99"'},
    )
    assert stale.status_code == 412
    taken = await make_contact(client, phone="+14155550777")
    clash = await client.patch(
        f"/v1/contacts/{c['id']}",
        json={"phone": taken["phone"], "preferences": {"sms": "opted_out"}},
    )
    assert clash.status_code == 409
    assert await count_all(env, client) == before + 1  # taken's contact.created only
    unchanged = await client.put(
        f"/v1/contacts/{c['id']}/preferences",
        json={"preferences": {"sms": "unknown"}, "source": "x"},
    )
    assert unchanged.status_code == 200  # no change, no event
    assert await count_all(env, client) == before + 1


async def test_note_added_names_the_note_not_its_body(env: Env, client: httpx.AsyncClient) -> None:
    c = await make_contact(client)
    r = await client.post(
        f"/v1/contacts/{c['id']}/notes", json={"body": "Prefers calls after 6", "author": "Sam"}
    )
    assert r.status_code == 201, r.text
    note = r.json()
    [event] = await of_type(client, "contact.note_added")
    assert event["data"] == {
        "contact": {"id": c["id"]},
        "note": {"id": note["id"], "created_at": note["created_at"]},
    }
    before = await count_all(env, client)
    empty = await client.post(f"/v1/contacts/{c['id']}/notes", json={"body": "   "})
    assert empty.status_code == 422
    missing = await client.post(f"/v1/contacts/{uuid.uuid4()}/notes", json={"body": "x"})
    assert missing.status_code == 404
    assert await count_all(env, client) == before


async def test_communication_added_once_per_stored_activity(
    env: Env, client: httpx.AsyncClient
) -> None:
    a = await make_contact(client, phone="+14155550601")
    b = await make_contact(client, email="comm-b@example.com")
    body = {
        "type": "message.sent",
        "channel": "sms",
        "summary": "Your code is 1234",
        "data": {"text": "secret"},
        "external_id": "msg_1",
    }
    first = await client.post(f"/v1/contacts/{a['id']}/activities", json=body)
    assert first.status_code == 201, first.text
    again = await client.post(f"/v1/contacts/{a['id']}/activities", json=body)
    assert again.status_code == 200  # de-duplicated: no second event
    [event] = await of_type(client, "contact.communication_added")
    assert event["data"] == {
        "contact": {"id": a["id"]},
        "activity": {
            "id": first.json()["id"],
            "type": "message.sent",
            "channel": "sms",
            "occurred_at": first.json()["occurred_at"],
            "external_id": "msg_1",
        },
    }
    before = await count_all(env, client)
    clash = await client.post(f"/v1/contacts/{b['id']}/activities", json=body)
    assert clash.status_code == 409  # external_id of another contact's activity
    assert await count_all(env, client) == before
    batch = await client.post(
        "/v1/activities/batch",
        json={
            "activities": [
                {"type": "message.received", "phone": "+14155550601", "external_id": "msg_2"},
                {"type": "message.sent", "contact_id": a["id"], "external_id": "msg_1"},
                {"type": "call.completed", "email": "comm-b@example.com"},
                {"type": "message.sent", "email": "nobody@example.com"},
                {"type": "not a type", "contact_id": a["id"]},
            ]
        },
    )
    assert batch.status_code == 200, batch.text
    result = batch.json()
    assert (result["created"], result["duplicates"], result["failed"]) == (2, 1, 2)
    got = await of_type(client, "contact.communication_added")
    assert [e["data"]["activity"]["type"] for e in got[1:]] == [
        "message.received",
        "call.completed",
    ]
    assert [e["data"]["contact"]["id"] for e in got[1:]] == [a["id"], b["id"]]
    created_ids = [r["id"] for r in result["results"] if r["status"] == "created"]
    assert [e["data"]["activity"]["id"] for e in got[1:]] == created_ids


async def test_merged_names_survivor_and_duplicates(env: Env, client: httpx.AsyncClient) -> None:
    s = await make_contact(client, email="survivor@example.com")
    d1 = await make_contact(client, phone="+14155550611")
    d2 = await make_contact(client, phone="+14155550612", preferences={"sms": "opted_out"})
    before = await count_all(env, client)
    dry = await client.post(
        f"/v1/contacts/{s['id']}/merge", json={"duplicate_ids": [d1["id"]], "dry_run": True}
    )
    assert dry.status_code == 200
    missing = await client.post(
        f"/v1/contacts/{s['id']}/merge", json={"duplicate_ids": [d1["id"], str(uuid.uuid4())]}
    )
    assert missing.status_code == 404
    assert await count_all(env, client) == before
    r = await client.post(
        f"/v1/contacts/{s['id']}/merge", json={"duplicate_ids": [d1["id"], d2["id"]]}
    )
    assert r.status_code == 200, r.text
    [event] = await of_type(client, "contact.merged")
    assert event["data"] == {"contact": {"id": s["id"]}, "duplicate_ids": [d1["id"], d2["id"]]}
    # The survivor's write is an update, and the consent it took over is a consent change.
    about_s = [e for e in await all_events(client) if e["data"]["contact"]["id"] == s["id"]]
    types = [e["type"] for e in about_s]
    assert types[-3:] == ["contact.updated", "contact.consent_changed", "contact.merged"]
    assert about_s[-2]["data"]["source"] == "contact.merge"


async def test_list_member_added_and_removed(env: Env, client: httpx.AsyncClient) -> None:
    made = [await make_contact(client) for _ in range(3)]
    ids = [c["id"] for c in made]
    lst = (await client.post("/v1/lists", json={"name": "VIP"})).json()
    r = await client.post(f"/v1/lists/{lst['id']}/members", json={"contact_ids": ids[:2]})
    assert r.json()["added"] == 2
    r = await client.post(
        f"/v1/lists/{lst['id']}/members", json={"contact_ids": [*ids, str(uuid.uuid4())]}
    )
    assert (r.json()["added"], r.json()["already_members"]) == (1, 2)
    added = await of_type(client, "list.member_added")
    assert sorted(e["data"]["contact"]["id"] for e in added) == sorted(ids)
    assert all(e["data"]["list"] == {"id": lst["id"]} for e in added)
    before = await count_all(env, client)
    missing = await client.post(f"/v1/lists/{uuid.uuid4()}/members", json={"contact_ids": ids})
    assert missing.status_code == 404
    outsider = await make_contact(client)
    not_member = await client.delete(f"/v1/lists/{lst['id']}/members/{outsider['id']}")
    assert not_member.status_code == 204
    assert await count_all(env, client) == before + 1  # outsider's contact.created only
    assert (await client.delete(f"/v1/lists/{lst['id']}/members/{ids[0]}")).status_code == 204
    removed = await of_type(client, "list.member_removed")
    assert [e["data"] for e in removed] == [{"list": {"id": lst["id"]}, "contact": {"id": ids[0]}}]
    # Deleting the list takes every remaining member out of it.
    assert (await client.delete(f"/v1/lists/{lst['id']}")).status_code == 204
    removed = await of_type(client, "list.member_removed")
    assert sorted(e["data"]["contact"]["id"] for e in removed[1:]) == sorted(ids[1:])
    assert len(await of_type(client, "list.*")) == 6


async def test_import_completed(env: Env, client: httpx.AsyncClient) -> None:
    job = await import_csv(env, client, "email\na@example.com\nb@example.com\nnot-an-email\n")
    assert job["status"] == "completed"
    [event] = await of_type(client, "import.completed")
    assert event["data"] == {
        "import": {
            "id": job["id"],
            "status": "completed",
            "total_rows": 3,
            "processed_rows": 3,
            "created": 2,
            "updated": 0,
            "skipped": 0,
            "failed": 1,
            "error": None,
        }
    }
    assert await of_type(client, "import.failed") == []


async def _claimed_import(env: Env, tenant_id: uuid.UUID, params: dict[str, Any]) -> Any:
    """An import job claimed by this test in the transaction that queues it, so that no
    other worker runs it."""
    async with transaction(env.app.state.engine, write=True) as conn:
        job = await queue.enqueue(conn, tenant_id, "import", params, total=5)
        claimed = await queue.claim(conn, "events-test", stale_after=60, max_attempts=2)
        while claimed is not None and claimed["id"] != job["id"]:  # anything queued earlier
            await queue.finish(conn, claimed, "events-test", "completed")
            claimed = await queue.claim(conn, "events-test", stale_after=60, max_attempts=2)
    assert claimed is not None
    return claimed


async def test_import_failed(env: Env) -> None:
    tenant_id, key = await env.tenant()
    params = {
        "path": f"/nonexistent/{uuid.uuid4().hex}.csv",
        "header": ["email"],
        "columns": [[0, "email"]],
        "data_offset": 6,
        "tags_separator": ",",
        "match_on": None,
        "region": "US",
    }
    claimed = await _claimed_import(env, tenant_id, params)
    await Worker(env.app.state.engine, env.settings, "events-test").run_job(claimed)
    # A job whose worker keeps dying fails too, in the claim that gives up on it.
    stuck = await _claimed_import(env, tenant_id, params)
    for _ in range(20):  # older stale jobs of other tests come first
        async with transaction(env.app.state.engine, write=True) as conn:
            await queue.claim(conn, "events-test-2", stale_after=-1, max_attempts=1)
            row = await queue.JobRepository(conn, tenant_id).get(stuck["id"])
        if row is not None and row["status"] == "failed":
            break
    async with env.client(key) as http:
        failed = await of_type(http, "import.failed")
        assert await of_type(http, "import.completed") == []
    assert [e["data"]["import"]["id"] for e in failed] == [str(claimed["id"]), str(stuck["id"])]
    first = failed[0]["data"]["import"]
    assert first["status"] == "failed"
    assert first["error"] == "the uploaded file is no longer on the server"
    assert "attempts" in failed[1]["data"]["import"]["error"]


async def test_erasure_forgets_every_event_about_the_contact(client: httpx.AsyncClient) -> None:
    c = await make_contact(client, phone="+14155550621", first_name="Erin")
    dup = await make_contact(client, email="erin.dup@example.com")
    other = await make_contact(client)
    lst = (await client.post("/v1/lists", json={"name": "Erase me"})).json()
    await client.post(
        f"/v1/lists/{lst['id']}/members", json={"contact_ids": [c["id"], other["id"]]}
    )
    await client.put(
        f"/v1/contacts/{c['id']}/preferences",
        json={"preferences": {"sms": "opted_out"}, "source": "keyword:STOP"},
    )
    await client.post(f"/v1/contacts/{c['id']}/notes", json={"body": "Erin's note"})
    await client.post(f"/v1/contacts/{c['id']}/activities", json={"type": "message.sent"})
    await client.post(f"/v1/contacts/{c['id']}/merge", json={"duplicate_ids": [dup["id"]]})
    gone = (await client.post("/v1/lists", json={"name": "Left"})).json()
    await client.post(f"/v1/lists/{gone['id']}/members", json={"contact_ids": [c["id"]]})
    await client.delete(f"/v1/lists/{gone['id']}/members/{c['id']}")
    about_c = {e["type"] for e in await all_events(client) if c["id"] in str(e["data"])}
    assert {
        "contact.consent_changed",
        "contact.note_added",
        "contact.communication_added",
        "contact.merged",
        "list.member_added",
        "list.member_removed",
    } <= about_c
    r = await client.delete(f"/v1/contacts/{c['id']}", params={"erase": "true"})
    assert r.status_code == 204, r.text
    left = await all_events(client)
    about_c = [e for e in left if c["id"] in str(e["data"]) or dup["id"] in str(e["data"])]
    assert {e["type"] for e in about_c} == {"contact.erased"}
    assert "Erin" not in str(left) and "erin.dup" not in str(left)
    assert "4155550621" not in str(left)
    # Events about other contacts stay.
    assert any(
        e["type"] == "list.member_added" and e["data"]["contact"]["id"] == other["id"] for e in left
    )
    # The erased contact left its lists (as its tags), so deleting a list later brings no
    # event about it back; and it cannot join one again.
    again = await client.post(f"/v1/lists/{lst['id']}/members", json={"contact_ids": [c["id"]]})
    assert again.json()["not_found"] == [c["id"]]
    assert (await client.delete(f"/v1/lists/{lst['id']}")).status_code == 204
    removed = await of_type(client, "list.member_removed")
    assert [e["data"]["contact"]["id"] for e in removed] == [other["id"]]
    left = await all_events(client)
    assert [e["type"] for e in left if c["id"] in str(e["data"])] == ["contact.erased"]


async def test_the_catalogue_is_documented_everywhere(client: httpx.AsyncClient) -> None:
    """The OpenAPI description of the feed, the webhook event types and the user docs name
    the same event types."""
    documented = Path(__file__).parents[2].joinpath("docs", "webhooks.md").read_text()
    for name in (*CATALOGUE, *EVENT_TYPES):
        assert f"| `{name}` |" in documented, name
    assert set(CATALOGUE) == set(EVENT_TYPES)
    spec = (await client.get("/openapi.json")).json()
    description = spec["paths"]["/v1/events"]["get"]["description"]
    assert all(f"`{name}`" in description for name in CATALOGUE)
