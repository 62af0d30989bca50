"""Contacts written by the set-based writer (batch, imports) are found by `q` at once."""

from __future__ import annotations


async def test_batch_written_contacts_are_searchable(client):
    r = await client.post(
        "/v1/contacts/batch",
        json={
            "mode": "upsert",
            "contacts": [
                {"phone": "+14155550401", "first_name": "Zephyrine"},
                {"email": "quillon@example.com", "company": "Marbleworks"},
            ],
        },
    )
    assert r.status_code == 200, r.text
    for q, expected in (("zephyr", 1), ("marblework", 1), ("5550401", 1)):
        found = (await client.get("/v1/contacts", params={"q": q})).json()["data"]
        assert len(found) == expected, q
    await client.post(
        "/v1/contacts/batch",
        json={"mode": "upsert", "contacts": [{"phone": "+14155550401", "first_name": "Ottoline"}]},
    )
    assert (await client.get("/v1/contacts", params={"q": "zephyr"})).json()["data"] == []
    assert len((await client.get("/v1/contacts", params={"q": "ottoline"})).json()["data"]) == 1


async def test_batch_and_import_never_relax_an_opt_out(client):
    c = (
        await client.post(
            "/v1/contacts", json={"phone": "+14155550402", "preferences": {"sms": "opted_out"}}
        )
    ).json()
    r = await client.post(
        "/v1/contacts/batch",
        json={
            "mode": "upsert",
            "contacts": [
                {"phone": "+14155550402", "preferences": {"sms": "opted_in"}, "company": "Kept"}
            ],
        },
    )
    assert r.json()["results"][0]["status"] == "updated"
    after = (await client.get(f"/v1/contacts/{c['id']}")).json()
    assert after["company"] == "Kept"
    assert after["preferences"]["sms"] == "opted_out"
