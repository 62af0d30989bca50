"""Merging duplicates (survivor rules, consent, moved rows, dry run) and duplicate hints."""

from __future__ import annotations

from tests.conftest import make_contact


async def test_merge_follows_survivor_rules(client):
    survivor = await make_contact(
        client,
        first_name="Jane",
        email="jane@example.com",
        company="Acme",
        tags=["vip"],
        custom_fields={"plan": "pro"},
        preferences={"sms": "opted_in", "email": "opted_in", "whatsapp": "opted_in"},
    )
    dup = await make_contact(
        client,
        first_name="J",
        last_name="Doe",
        phone="+14155550151",
        external_id="crm-9",
        company="Other",
        tags=["beta"],
        custom_fields={"plan": "free", "ltv": 10},
        handles={"telegram": "@janed"},
        preferences={"sms": "opted_out", "whatsapp": "unknown", "email": "opted_in"},
        suppressed=False,
    )
    sid = survivor["id"]
    activity = await client.post(
        f"/v1/contacts/{dup['id']}/activities", json={"type": "message.sent"}
    )
    note = await client.post(f"/v1/contacts/{dup['id']}/notes", json={"body": "from dup"})

    preview = await client.post(
        f"/v1/contacts/{sid}/merge", json={"duplicate_ids": [dup["id"]], "dry_run": True}
    )
    assert preview.status_code == 200, preview.text
    # dry run changes nothing
    assert (await client.get(f"/v1/contacts/{sid}")).json() == survivor
    assert (await client.get(f"/v1/contacts/{dup['id']}")).status_code == 200

    merged = await client.post(f"/v1/contacts/{sid}/merge", json={"duplicate_ids": [dup["id"]]})
    assert merged.status_code == 200, merged.text
    body = merged.json()
    expected_keys = {k: v for k, v in preview.json().items() if k not in ("version", "updated_at")}
    assert {k: v for k, v in body.items() if k in expected_keys} == expected_keys
    assert body["first_name"] == "Jane"  # survivor keeps its own
    assert body["last_name"] == "Doe"  # takes the duplicate's where its own is null
    assert body["name"] == "Jane Doe"
    assert body["phone"] == "+14155550151"  # freed by archiving the duplicate first
    assert body["external_id"] == "crm-9"
    assert body["company"] == "Acme"
    assert body["tags"] == ["beta", "vip"]
    assert body["custom_fields"] == {"plan": "pro", "ltv": 10}
    assert body["handles"]["telegram"] == "janed"
    assert body["preferences"]["sms"] == "opted_out"
    assert body["preferences"]["whatsapp"] == "unknown"
    assert body["preferences"]["email"] == "opted_in"
    assert body["version"] == survivor["version"] + 1

    archived = await client.get(f"/v1/contacts/{dup['id']}", params={"include_deleted": True})
    assert archived.json()["deleted_at"] is not None
    assert (await client.get(f"/v1/contacts/{dup['id']}")).status_code == 404
    looked = await client.get("/v1/contacts/lookup", params={"phone": "+14155550151"})
    assert looked.json()["id"] == sid

    timeline = (await client.get(f"/v1/contacts/{sid}/activities")).json()["data"]
    assert activity.json()["id"] in [a["id"] for a in timeline]
    assert timeline[0]["type"] == "contact.merged"
    assert timeline[0]["data"] == {"duplicate_ids": [dup["id"]]}
    notes = (await client.get(f"/v1/contacts/{sid}/notes")).json()["data"]
    assert [n["id"] for n in notes] == [note.json()["id"]]
    history = (await client.get(f"/v1/contacts/{sid}/consent")).json()["data"]
    assert {(h["channel"], h["from"], h["to"], h["source"]) for h in history[:2]} == {
        ("sms", "opted_in", "opted_out", "contact.merge"),
        ("whatsapp", "opted_in", "unknown", "contact.merge"),
    }
    # the duplicate keeps its own history and events, and says where it went
    dup_events = (await client.get(f"/v1/contacts/{dup['id']}/activities")).json()["data"]
    assert dup_events[0]["type"] == "contact.merged_into"
    assert dup_events[0]["data"] == {"survivor_id": sid}


async def test_merge_suppression_and_several_duplicates(client):
    s = await make_contact(client)
    d1 = await make_contact(client, status="lead")
    d2 = await make_contact(client, status="customer", suppressed=True, suppressed_reason="bounced")
    merged = await client.post(
        f"/v1/contacts/{s['id']}/merge", json={"duplicate_ids": [d1["id"], d2["id"]]}
    )
    body = merged.json()
    assert body["status"] == "lead"  # duplicates in the order given
    assert body["suppressed"] is True and body["suppressed_reason"] == "bounced"


async def test_merge_refusals(env, client):
    s = await make_contact(client)
    d = await make_contact(client)
    url = f"/v1/contacts/{s['id']}/merge"
    assert (await client.post(url, json={"duplicate_ids": []})).status_code == 422
    assert (await client.post(url, json={"duplicate_ids": [s["id"]]})).status_code == 422
    assert (await client.post(url, json={"duplicate_ids": [d["id"], d["id"]]})).status_code == 422
    assert (await client.post(url, json={"duplicate_ids": ["nope"]})).status_code == 422
    gone = await make_contact(client)
    await client.delete(f"/v1/contacts/{gone['id']}")
    missing = await client.post(url, json={"duplicate_ids": [d["id"], gone["id"]]})
    assert missing.status_code == 404
    # nothing half-written
    assert (await client.get(f"/v1/contacts/{d['id']}")).status_code == 200
    _, key = await env.tenant()
    async with env.client(key) as other:
        mine = await make_contact(other)
        theirs = await other.post(
            f"/v1/contacts/{mine['id']}/merge", json={"duplicate_ids": [d["id"]]}
        )
        assert theirs.status_code == 404
        assert (await other.post(url, json={"duplicate_ids": [mine["id"]]})).status_code == 404
    assert (await client.get(f"/v1/contacts/{d['id']}")).status_code == 200


async def test_merge_that_breaks_a_rule_changes_nothing(client):
    s = await make_contact(client, tags=[f"s{i}" for i in range(60)])
    d = await make_contact(client, tags=[f"d{i}" for i in range(60)])
    response = await client.post(f"/v1/contacts/{s['id']}/merge", json={"duplicate_ids": [d["id"]]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "tags"
    assert (await client.get(f"/v1/contacts/{d['id']}")).status_code == 200


async def test_duplicates_by_phone_email_and_name_company(client):
    me = await make_contact(
        client, name="Ann Lee", company="Acme", phone="+14155550161", email="ann@example.com"
    )
    by_handle = await make_contact(client, handles={"whatsapp": "(415) 555-0161"})
    by_name = await make_contact(client, name="ann LEE", company="ACME")
    await make_contact(client, name="Ann Lee", company="Other")
    archived = await make_contact(client, name="Ann Lee", company="Acme")
    await client.delete(f"/v1/contacts/{archived['id']}")
    found = (await client.get(f"/v1/contacts/{me['id']}/duplicates")).json()["data"]
    got = {d["contact"]["id"]: d["reasons"] for d in found}
    assert got == {by_handle["id"]: ["phone"], by_name["id"]: ["name_and_company"]}
    # and the other way round
    back = (await client.get(f"/v1/contacts/{by_handle['id']}/duplicates")).json()["data"]
    assert [d["contact"]["id"] for d in back] == [me["id"]]
