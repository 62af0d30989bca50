"""Batch and import writes do what a single write does in its transaction: outbox events,
consent history, timeline rows, and the opt-outs remembered from erased contacts."""

from __future__ import annotations

import httpx

from tests.conftest import Env, make_contact
from tests.helpers.jobs import import_csv


async def _feed(http: httpx.AsyncClient) -> list[dict]:
    out: list[dict] = []
    after = None
    while True:
        params = {"limit": 100, **({"after": after} if after else {})}
        page = (await http.get("/v1/events", params=params)).json()
        out += page["data"]
        if not page["has_more"]:
            return out
        after = page["next_cursor"]


async def _history(http: httpx.AsyncClient, contact_id: str) -> list[tuple[str, str, str, str]]:
    data = (await http.get(f"/v1/contacts/{contact_id}/consent")).json()["data"]
    return sorted((h["channel"], h["from"], h["to"], h["source"]) for h in data)


async def test_batch_emits_events_and_consent_history(client: httpx.AsyncClient) -> None:
    existing = await make_contact(client, phone="+14155550301", first_name="Old")
    before = len(await _feed(client))
    body = {
        "match_on": "phone",
        "contacts": [
            {"phone": "+14155550302", "preferences": {"sms": "opted_in"}},
            {"phone": "+14155550301", "first_name": "New", "preferences": {"email": "opted_out"}},
            {"phone": "+14155550301", "company": "Acme"},  # same person again: updates
            {"phone": "+14155550303", "first_name": "Same"},
            {"phone": "nope"},
        ],
    }
    out = (await client.post("/v1/contacts/batch", json=body)).json()
    assert (out["created"], out["updated"], out["failed"]) == (2, 2, 1)
    events = (await _feed(client))[before:]
    assert sorted(e["type"] for e in events) == [
        "contact.consent_changed",
        "contact.consent_changed",
        "contact.created",
        "contact.created",
        "contact.updated",
    ]
    consent = {
        (e["data"]["contact"]["id"], e["data"]["channel"], e["data"]["to"], e["data"]["source"])
        for e in events
        if e["type"] == "contact.consent_changed"
    }
    assert consent == {
        (out["results"][0]["id"], "sms", "opted_in", "contact.batch"),
        (existing["id"], "email", "opted_out", "contact.batch"),
    }
    updated = next(e for e in events if e["type"] == "contact.updated")
    assert updated["data"]["contact"]["id"] == existing["id"]
    assert updated["data"]["contact"]["company"] == "Acme"
    assert updated["data"]["contact"]["version"] == 2
    assert sorted(updated["data"]["changed_fields"]) == [
        "company",
        "first_name",
        "name",
        "preferences.email",
    ]
    created_ids = {e["data"]["contact"]["id"] for e in events if e["type"] == "contact.created"}
    assert created_ids == {out["results"][0]["id"], out["results"][3]["id"]}
    assert await _history(client, out["results"][0]["id"]) == [
        ("sms", "unknown", "opted_in", "contact.batch")
    ]
    assert await _history(client, existing["id"]) == [
        ("email", "unknown", "opted_out", "contact.batch")
    ]
    timeline = (await client.get(f"/v1/contacts/{existing['id']}/activities")).json()["data"]
    assert "contact.updated" in {a["type"] for a in timeline}
    assert "contact.consent_changed" in {a["type"] for a in timeline}


async def test_batch_never_relaxes_an_opt_out(client: httpx.AsyncClient) -> None:
    contact = await make_contact(client, phone="+14155550311", preferences={"sms": "opted_out"})
    body = {"contacts": [{"phone": "+14155550311", "preferences": {"sms": "opted_in"}}]}
    out = (await client.post("/v1/contacts/batch", json=body)).json()
    # With the opt-out kept, the item changes nothing: no new version, no event.
    assert out["results"][0]["status"] == "unchanged"
    got = (await client.get(f"/v1/contacts/{contact['id']}")).json()
    assert (got["preferences"]["sms"], got["version"]) == ("opted_out", 1)
    history = await _history(client, contact["id"])
    assert ("sms", "opted_out", "opted_in", "contact.batch") not in history


async def test_import_emits_events_and_consent_history(env: Env, client: httpx.AsyncClient) -> None:
    existing = await make_contact(client, phone="+14155550321", first_name="Old")
    before = len(await _feed(client))
    csv = (
        "phone,first_name,preferences.sms\n"
        "+14155550321,Renamed,opted_out\n"
        "+14155550322,Fresh,opted_in\n"
        "+14155550322,Fresher,\n"
    )
    job = await import_csv(env, client, csv)
    assert (job["created"], job["updated"], job["failed"]) == (1, 2, 0)
    events = (await _feed(client))[before:]
    assert sorted(e["type"] for e in events) == [
        "contact.consent_changed",
        "contact.consent_changed",
        "contact.created",
        "contact.updated",
        "import.completed",
    ]
    created = next(e for e in events if e["type"] == "contact.created")
    # the same person twice in one file: one contact, written once, with the later row
    assert created["data"]["contact"]["first_name"] == "Fresher"
    updated = next(e for e in events if e["type"] == "contact.updated")
    assert updated["data"]["contact"]["id"] == existing["id"]
    assert await _history(client, existing["id"]) == [
        ("sms", "unknown", "opted_out", "contact.import")
    ]
    assert await _history(client, created["data"]["contact"]["id"]) == [
        ("sms", "unknown", "opted_in", "contact.import")
    ]


async def test_erased_opted_out_number_reimported_stays_opted_out(
    env: Env, client: httpx.AsyncClient
) -> None:
    gone = await make_contact(
        client, phone="+14155550331", preferences={"sms": "opted_out", "email": "opted_in"}
    )
    erased = await client.delete(f"/v1/contacts/{gone['id']}", params={"erase": "true"})
    assert erased.status_code in (200, 204), erased.text
    csv = (
        "phone,first_name,preferences.sms,preferences.email\n"
        "(415) 555-0331,Back,opted_in,opted_in\n"
        "+14155550332,Unrelated,opted_in,\n"
    )
    job = await import_csv(env, client, csv, default_country="US")
    assert (job["created"], job["failed"]) == (2, 0)
    back = (await client.get("/v1/contacts/lookup", params={"phone": "+14155550331"})).json()
    assert back["first_name"] == "Back"
    assert back["preferences"]["sms"] == "opted_out"
    assert back["preferences"]["email"] == "opted_in"
    other = (await client.get("/v1/contacts/lookup", params={"phone": "+14155550332"})).json()
    assert other["preferences"]["sms"] == "opted_in"
    # the batch path too
    body = {"contacts": [{"phone": "+14155550331", "preferences": {"sms": "opted_in"}}]}
    await client.delete(f"/v1/contacts/{back['id']}")  # archived: the batch creates anew
    out = (await client.post("/v1/contacts/batch", json=body)).json()
    assert out["results"][0]["status"] == "created"
    made = (await client.get(f"/v1/contacts/{out['results'][0]['id']}")).json()
    assert made["preferences"]["sms"] == "opted_out"


async def test_large_batch_writes_rows_events_and_tags(client: httpx.AsyncClient) -> None:
    """Enough rows for the bulk insert path of each table."""
    before = len(await _feed(client))
    items = [
        {
            "phone": f"+1415555{1000 + i:04d}",
            "first_name": f"P{i}",
            "tags": ["big", f"t{i % 3}"],
            "custom_fields": {"n": i},
            "preferences": {"sms": "opted_in"},
        }
        for i in range(150)
    ]
    out = (await client.post("/v1/contacts/batch", json={"contacts": items})).json()
    assert out["created"] == 150, out["results"][:3]
    events = (await _feed(client))[before:]
    # Each contact's own events in order: created, then its consent change.
    assert [e["type"] for e in events] == ["contact.created", "contact.consent_changed"] * 150
    first = (await client.get(f"/v1/contacts/{out['results'][0]['id']}")).json()
    assert first["tags"] == ["big", "t0"] and first["custom_fields"] == {"n": 0}
    assert any(e["data"]["contact"]["custom_fields"] == {"n": 0} for e in events)
    assert await _history(client, first["id"]) == [("sms", "unknown", "opted_in", "contact.batch")]
    counts = {t["tag"]: t["count"] for t in (await client.get("/v1/tags")).json()["data"]}
    assert (counts["big"], counts["t0"]) == (150, 50)
    timeline = (await client.get(f"/v1/contacts/{first['id']}/activities")).json()["data"]
    assert "contact.created" in {a["type"] for a in timeline}


async def test_batch_checks_custom_field_definitions(client: httpx.AsyncClient) -> None:
    field = {"key": "score", "label": "Score", "type": "number"}
    assert (await client.post("/v1/fields", json=field)).status_code == 201
    existing = await make_contact(client, phone="+14155550341", custom_fields={"score": 1})
    body = {
        "contacts": [
            {"phone": "+14155550342", "custom_fields": {"score": "high"}},
            {"phone": "+14155550343", "custom_fields": {"score": 7}},
            {"phone": "+14155550341", "custom_fields": {"score": "low"}},
        ]
    }
    out = (await client.post("/v1/contacts/batch", json=body)).json()
    assert [r["status"] for r in out["results"]] == ["failed", "created", "failed"]
    assert out["results"][0]["error"]["errors"][0]["field"] == "custom_fields.score"
    assert out["results"][2]["error"]["errors"][0]["field"] == "custom_fields.score"
    got = (await client.get(f"/v1/contacts/{existing['id']}")).json()
    assert got["custom_fields"] == {"score": 1}
