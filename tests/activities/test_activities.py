"""Activities: ingest one or a batch, external_id de-duplication, the timeline with the
contact's own events, filters and keyset pagination."""

from __future__ import annotations

from tests.conftest import make_contact


def _url(contact):
    return f"/v1/contacts/{contact['id']}/activities"


async def test_add_activity_and_read_it_back(client):
    contact = await make_contact(client)
    created = await client.post(
        _url(contact),
        json={
            "type": "message.sent",
            "channel": "sms",
            "occurred_at": "2026-11-22T08:00:00.123456+01:00",
            "summary": "Welcome",
            "data": {"template": "welcome", "segments": 2},
            "external_id": "msg_1",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["occurred_at"] == "2026-11-22T07:00:00.123Z"
    assert body["data"] == {"template": "welcome", "segments": 2}
    assert body["contact_id"] == contact["id"]
    again = await client.post(_url(contact), json={"type": "message.read", "external_id": "msg_1"})
    assert again.status_code == 200
    assert again.json() == body
    timeline = (await client.get(_url(contact), params={"type": "message.sent"})).json()["data"]
    assert [a["id"] for a in timeline] == [body["id"]]


async def test_external_id_of_another_contact_conflicts(client):
    a = await make_contact(client)
    b = await make_contact(client)
    first = await client.post(_url(a), json={"type": "message.sent", "external_id": "x1"})
    clash = await client.post(_url(b), json={"type": "message.sent", "external_id": "x1"})
    assert clash.status_code == 409
    assert clash.json()["field"] == "external_id"
    assert clash.json()["conflicting_id"] == first.json()["id"]


async def test_activity_validation(client):
    contact = await make_contact(client)
    url = _url(contact)
    for body in (
        {"type": "message.bounced"},
        {"type": "contact.created"},
        {"type": "custom."},
        {"type": "message.sent", "channel": "SMS!"},
        {"type": "message.sent", "occurred_at": "2026-11-22T08:00:00"},
        {"type": "message.sent", "data": {"blob": "x" * 17_000}},
        {"type": "message.sent", "summary": "x" * 1001},
        {"type": "message.sent", "id": "mine"},
    ):
        response = await client.post(url, json=body)
        assert response.status_code == 422, (body, response.text)
    ok = await client.post(url, json={"type": "custom.nps_score", "data": {"score": 9}})
    assert ok.status_code == 201


async def test_timeline_includes_own_events(client):
    contact = await make_contact(client, tags=["a"])
    cid = contact["id"]
    await client.patch(f"/v1/contacts/{cid}", json={"company": "Acme", "tags": ["a", "b"]})
    await client.put(
        f"/v1/contacts/{cid}/preferences", json={"preferences": {"sms": "opted_out"}, "source": "k"}
    )
    note = (await client.post(f"/v1/contacts/{cid}/notes", json={"body": "hello"})).json()
    await client.post(_url(contact), json={"type": "message.received", "channel": "sms"})
    events = (await client.get(_url(contact))).json()["data"]
    types = [e["type"] for e in events]
    assert types == [
        "message.received",
        "contact.note_added",
        "contact.consent_changed",
        "contact.tags_changed",
        "contact.updated",
        "contact.created",
    ]
    by_type = {e["type"]: e for e in events}
    assert by_type["contact.updated"]["data"] == {"changed_fields": ["company"]}
    assert by_type["contact.tags_changed"]["data"] == {"added": ["b"], "removed": []}
    assert by_type["contact.consent_changed"]["data"]["changes"] == [
        {"channel": "sms", "from": "unknown", "to": "opted_out"}
    ]
    assert by_type["contact.note_added"]["data"] == {"note_id": note["id"]}
    own = (await client.get(_url(contact), params={"type": "contact.*"})).json()["data"]
    assert len(own) == 5


async def test_timeline_filters_and_pagination(client):
    contact = await make_contact(client)
    url = _url(contact)
    for day in range(1, 8):
        await client.post(
            url,
            json={
                "type": "message.sent" if day % 2 else "call.completed",
                "channel": "sms" if day % 2 else "voice",
                "occurred_at": f"2026-10-0{day}T12:00:00Z",
            },
        )
    # Two at the same instant: the id breaks the tie, so paging never repeats or skips.
    for _ in range(2):
        await client.post(url, json={"type": "message.sent", "occurred_at": "2026-10-04T12:00:00Z"})
    seen, cursor = [], None
    while True:
        params = {"limit": 3, "type": ["message.sent", "call.completed"]}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(url, params=params)).json()
        seen += page["data"]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert len(seen) == 9
    assert len({a["id"] for a in seen}) == 9
    keys = [(a["occurred_at"], a["id"]) for a in seen]
    assert keys == sorted(keys, reverse=True)
    voice = (await client.get(url, params={"channel": "voice"})).json()["data"]
    assert {a["type"] for a in voice} == {"call.completed"} and len(voice) == 3
    window = (
        await client.get(
            url, params={"after": "2026-10-02T12:00:00Z", "before": "2026-10-05T00:00:00Z"}
        )
    ).json()["data"]
    assert [a["occurred_at"][:10] for a in window] == ["2026-10-04"] * 3 + ["2026-10-03"]
    prefix = (await client.get(url, params={"type": "message.*"})).json()["data"]
    assert len(prefix) == 6
    assert (await client.get(url, params={"before": "yesterday"})).status_code == 400
    assert (await client.get(url, params={"cursor": "garbage"})).status_code == 400


async def test_batch_by_id_phone_email_with_per_item_results(client):
    a = await make_contact(client, phone="+14155550141")
    b = await make_contact(client, email="Bee@Example.com")
    response = await client.post(
        "/v1/activities/batch",
        json={
            "activities": [
                {"contact_id": a["id"], "type": "message.sent", "external_id": "b1"},
                {"phone": "(415) 555-0141", "type": "message.delivered"},
                {"email": "bee@example.com", "type": "message.read"},
                {"email": "nobody@example.com", "type": "message.read"},
                {"phone": "+14155550141", "type": "bogus"},
                {"type": "message.sent"},
                {"contact_id": a["id"], "type": "message.sent", "external_id": "b1"},
            ]
        },
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["total"], body["created"], body["duplicates"], body["failed"]) == (7, 3, 1, 3)
    statuses = [r["status"] for r in body["results"]]
    assert statuses == [
        "created", "created", "created", "failed", "failed", "failed", "duplicate",
    ]  # fmt: skip
    assert body["results"][3]["error"]["code"] == "not_found"
    assert body["results"][4]["error"]["code"] == "validation_error"
    assert body["results"][6]["id"] == body["results"][0]["id"]
    b_events = (await client.get(_url(b), params={"type": "message.read"})).json()["data"]
    assert len(b_events) == 1


async def test_batch_limits(client):
    too_many = [{"type": "message.sent", "external_id": str(i)} for i in range(1001)]
    assert (
        await client.post("/v1/activities/batch", json={"activities": too_many})
    ).status_code == 422
    assert (await client.post("/v1/activities/batch", json={"activities": []})).status_code == 422


async def test_activities_are_tenant_scoped(env, client):
    contact = await make_contact(client, phone="+14155550142")
    await client.post(_url(contact), json={"type": "message.sent", "external_id": "t1"})
    _, key = await env.tenant()
    async with env.client(key) as other:
        assert (await other.get(_url(contact))).status_code == 404
        assert (await other.post(_url(contact), json={"type": "message.sent"})).status_code == 404
        batch = await other.post(
            "/v1/activities/batch",
            json={"activities": [
                {"contact_id": contact["id"], "type": "message.sent"},
                {"phone": "+14155550142", "type": "message.sent"},
            ]},
        )  # fmt: skip
        assert [r["status"] for r in batch.json()["results"]] == ["failed", "failed"]
        # The same external_id in another tenant is another activity.
        mine = await make_contact(other)
        again = await other.post(_url(mine), json={"type": "message.sent", "external_id": "t1"})
        assert again.status_code == 201


async def test_write_to_archived_contact_is_not_found_but_timeline_is_readable(client):
    contact = await make_contact(client)
    await client.delete(f"/v1/contacts/{contact['id']}")
    assert (await client.post(_url(contact), json={"type": "message.sent"})).status_code == 404
    events = (await client.get(_url(contact))).json()["data"]
    assert [e["type"] for e in events] == ["contact.archived", "contact.created"]
