"""GDPR: export of everything held about a contact, and erasure that leaves no personal
data in any table while keeping an erased opt-out in force."""

from __future__ import annotations

import random
import uuid

from sqlalchemy import inspect, select, table, text

from tests.conftest import make_contact

# Values unique to this module's session, so that a dump of the whole database (every
# tenant) can only contain them through the contact under test.
_TAG = uuid.uuid4().hex[:8]
PHONE = f"+1212555{random.randint(1000, 9999)}"
EMAIL = f"Zelda.Q{_TAG}@Example.org"
OTHER_EMAIL = f"zq-old-{_TAG}@example.net"
FIRST, LAST, COMPANY = f"Zelda{_TAG}", f"Quux{_TAG}", f"Corp{_TAG}"


async def _dump(env) -> str:
    """Every row of every table of the database, every column as text."""
    engine = env.app.state.engine
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert "contacts" in names and "activities" in names
        parts = []
        for name in names:
            result = await conn.execute(select(text("*")).select_from(table(name)))
            for row in result:
                parts.append(" ".join(str(value) for value in row))
    return "\n".join(parts)


async def _person(client):
    contact = await make_contact(
        client,
        first_name=FIRST,
        last_name=LAST,
        phone=PHONE,
        email=EMAIL,
        company=COMPANY,
        external_id=f"crm-{_TAG}",
        tags=[f"t{_TAG}"],
        custom_fields={"nickname": "Zee Quuxington"},
        handles={"telegram": f"@zq{_TAG}"},
        preferences={"sms": "opted_out", "email": "opted_in"},
    )
    cid = contact["id"]
    await client.post(f"/v1/contacts/{cid}/notes", json={"body": f"{FIRST} called", "author": "x"})
    await client.post(
        f"/v1/contacts/{cid}/activities",
        json={"type": "message.received", "summary": f"from {PHONE}", "data": {"to": EMAIL}},
    )
    await client.put(
        f"/v1/contacts/{cid}/preferences",
        json={"preferences": {"whatsapp": "opted_out"}, "source": "keyword:STOP", "note": LAST},
    )
    # an older record of the same person, merged in
    old = await make_contact(client, email=OTHER_EMAIL, last_name=LAST, suppressed=False)
    await client.post(f"/v1/contacts/{old['id']}/notes", json={"body": f"{OTHER_EMAIL} note"})
    merged = await client.post(f"/v1/contacts/{cid}/merge", json={"duplicate_ids": [old["id"]]})
    assert merged.status_code == 200
    return contact, old


async def test_export_holds_everything(env):
    _, key = await env.tenant()
    async with env.client(key) as client:
        await _check_export(client)
    # erase it again, so that the dump test below does not see this tenant's copy
    async with env.client(key) as client:
        found = await client.get("/v1/contacts/lookup", params={"phone": PHONE})
        await client.delete(f"/v1/contacts/{found.json()['id']}", params={"erase": "true"})


async def _check_export(client):
    contact, old = await _person(client)
    response = await client.get(f"/v1/contacts/{contact['id']}/export")
    assert response.status_code == 200
    assert "attachment" in response.headers["content-disposition"]
    doc = response.json()
    assert doc["contact"]["email"] == EMAIL.split("@")[0] + "@example.org"
    assert {h["channel"] for h in doc["consent_history"]} >= {"sms", "whatsapp", "email"}
    assert any(a["type"] == "message.received" for a in doc["activities"])
    assert {n["body"] for n in doc["notes"]} == {f"{FIRST} called", f"{OTHER_EMAIL} note"}
    assert [m["contact"]["id"] for m in doc["merged_contacts"]] == [old["id"]]
    assert doc["merged_contacts"][0]["contact"]["merged_into"] == contact["id"]
    assert doc["merged_contacts"][0]["contact"]["email"] == OTHER_EMAIL


async def test_erasure_leaves_no_personal_data_in_any_table(env, client):
    assert PHONE not in await _dump(env)
    contact, old = await _person(client)
    before = await _dump(env)
    assert PHONE in before and FIRST in before  # the dump sees what it must later miss
    response = await client.delete(f"/v1/contacts/{contact['id']}", params={"erase": "true"})
    assert response.status_code == 204
    dump = await _dump(env)
    lowered = dump.lower()
    for needle in (PHONE, PHONE[2:], EMAIL, OTHER_EMAIL, FIRST, LAST, COMPANY, f"crm-{_TAG}",
                   f"zq{_TAG}", f"t{_TAG}"):  # fmt: skip
        assert needle.lower() not in lowered, needle
    assert (await client.get(f"/v1/contacts/{contact['id']}")).status_code == 404
    tomb = (
        await client.get(f"/v1/contacts/{contact['id']}", params={"include_deleted": True})
    ).json()
    assert tomb["phone"] is None and tomb["name"] is None and tomb["deleted_at"] is not None
    assert (await client.post(f"/v1/contacts/{contact['id']}/restore")).status_code == 404
    # erasing again is not an error
    again = await client.delete(f"/v1/contacts/{contact['id']}", params={"erase": "true"})
    assert again.status_code == 204
    # the merged duplicate is erased with it
    exported = (await client.get(f"/v1/contacts/{old['id']}/export")).json()
    assert exported["contact"]["email"] is None
    assert exported["notes"] == [] and exported["activities"] == []


async def test_erased_opt_outs_come_back_on_create_and_upsert(client):
    contact, _ = await _person(client)
    await client.delete(f"/v1/contacts/{contact['id']}", params={"erase": "true"})
    again = await client.post(
        "/v1/contacts",
        json={"phone": f"(212) 555-{PHONE[-4:]}", "preferences": {"sms": "opted_in"}},
    )
    assert again.status_code == 201
    prefs = again.json()["preferences"]
    assert prefs["sms"] == "opted_out"
    assert prefs["whatsapp"] == "opted_out"
    assert prefs["email"] == "unknown"  # it was opted in, not out: nothing is kept for it
    await client.delete(f"/v1/contacts/{again.json()['id']}")
    by_email = await client.post(
        "/v1/contacts/upsert", json={"email": EMAIL.upper(), "preferences": {"sms": "opted_in"}}
    )
    assert by_email.status_code == 201
    assert by_email.json()["preferences"]["sms"] == "opted_out"
    # a PATCH that gives an existing contact the erased phone is caught too
    other = await make_contact(client, email="someone.else@example.com")
    patched = await client.patch(f"/v1/contacts/{other['id']}", json={"phone": PHONE})
    assert patched.json()["preferences"]["sms"] == "opted_out"
    # an explicit consent with a source still opts in
    put = await client.put(
        f"/v1/contacts/{other['id']}/preferences",
        json={"preferences": {"sms": "opted_in"}, "source": "double_opt_in"},
    )
    assert put.json()["sms"] == "opted_in"
    # unrelated numbers are not affected
    fresh = await client.post(
        "/v1/contacts", json={"phone": "+13125550179", "preferences": {"sms": "opted_in"}}
    )
    assert fresh.json()["preferences"]["sms"] == "opted_in"


async def test_erased_opt_outs_are_per_tenant(env, client):
    contact, _ = await _person(client)
    await client.delete(f"/v1/contacts/{contact['id']}", params={"erase": "true"})
    _, key = await env.tenant()
    async with env.client(key) as other:
        made = await other.post("/v1/contacts", json={"phone": PHONE})
        assert made.json()["preferences"]["sms"] == "unknown"
        assert (await other.delete(f"/v1/contacts/{contact['id']}?erase=true")).status_code == 404
        assert (await other.get(f"/v1/contacts/{contact['id']}/export")).status_code == 404
