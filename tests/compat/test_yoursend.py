"""The yoursend dialect (reference 001): every example of the document replayed as written,
then its error answers, limits, scopes and tenancy, on both engines.

Changed from the document's examples: the host (the app), the token (a Roster key instead of
``ys_live_...``) and the id ``con_abc123`` (a contact made first: Roster makes its own ids,
UUIDs; ``con_abc123`` itself answers 404).
"""

from __future__ import annotations

import uuid

from roster.kit.db import transaction
from roster.tenants import service as tenants
from tests.conftest import Env

BASE = "/compat/yoursend/v1/contacts"
# The document's contact object, and what Roster adds to it (docs/dialects.md).
DOCUMENTED_KEYS = {
    "id",
    "email",
    "phone",
    "name",
    "tags",
    "suppressed",
    "metadata",
    "created_at",
}
CONTACT_KEYS = DOCUMENTED_KEYS | {
    "suppressed_reason",
    "email_ok",
    "sms_ok",
    "whatsapp_ok",
    "voice_ok",
    "source",
    "updated_at",
}
JANE = {
    "email": "jane@example.com",
    "phone": "+14155551234",
    "name": "Jane Doe",
    "tags": ["vip"],
    "metadata": {"plan": "pro"},
}


def _contact(response, status=200):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == CONTACT_KEYS, body
    return body


def _error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "status"}, body
    assert (body["error"]["code"], body["error"]["status"]) == (code, status), body
    return body["error"]["message"]


async def _jane(client, **changes):
    return _contact(await client.post(BASE, json={**JANE, **changes}), 201)


async def test_create_as_the_document_shows(client):
    jane = await _jane(client)
    assert {k: jane[k] for k in JANE} == JANE
    uuid.UUID(jane["id"])
    assert jane["suppressed"] is False and jane["suppressed_reason"] is None
    assert jane["source"] == "api"  # the document's default
    assert (jane["email_ok"], jane["sms_ok"], jane["whatsapp_ok"], jane["voice_ok"]) == (
        None,
        None,
        None,
        None,
    )
    assert jane["created_at"].endswith("Z")
    r = await client.post(BASE, json={"phone": "+14155551235", "source": "signup_form"})
    made = _contact(r, 201)
    assert made["source"] == "signup_form" and made["email"] is None and made["tags"] == []


async def test_list_as_the_document_shows(client):
    jane = await _jane(client, tags=["vip", "beta"])
    await _jane(client, email="bob@example.com", phone="+14155551236", tags=["beta"])
    r = await client.get(f"{BASE}?limit=20&tag=vip")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"contacts", "total", "limit", "offset"}
    assert (body["total"], body["limit"], body["offset"]) == (1, 20, 0)
    (listed,) = body["contacts"]
    assert set(listed) == CONTACT_KEYS
    assert listed == jane
    assert listed["tags"] == ["beta", "vip"] and listed["metadata"] == {"plan": "pro"}
    default = (await client.get(BASE)).json()
    assert (default["total"], default["limit"], default["offset"]) == (2, 50, 0)


async def test_get_and_update_as_the_document_shows(client):
    jane = await _jane(client)
    assert _contact(await client.get(f"{BASE}/{jane['id']}")) == jane
    assert _error(await client.get(f"{BASE}/con_abc123"), 404, "not_found")
    r = await client.put(
        f"{BASE}/{jane['id']}", json={"tags": ["vip", "enterprise"], "suppressed": False}
    )
    updated = _contact(r)
    assert updated["tags"] == ["enterprise", "vip"] and updated["suppressed"] is False
    assert updated["name"] == "Jane Doe" and updated["metadata"] == {"plan": "pro"}


async def test_opt_ins_and_suppression_are_consent_with_history(client):
    jane = await _jane(client)
    r = await client.put(
        f"{BASE}/{jane['id']}",
        json={"email_ok": True, "sms_ok": False, "whatsapp_ok": True, "voice_ok": False},
    )
    body = _contact(r)
    assert (body["email_ok"], body["sms_ok"], body["whatsapp_ok"], body["voice_ok"]) == (
        True,
        False,
        True,
        False,
    )
    prefs = (await client.get(f"/v1/contacts/{jane['id']}/preferences")).json()
    assert {k: prefs[k] for k in ("email", "sms", "whatsapp", "voice")} == {
        "email": "opted_in",
        "sms": "opted_out",
        "whatsapp": "opted_in",
        "voice": "opted_out",
    }
    # An explicit opt-in lifts an opt-out (it is a consent change, not a plain write).
    body = _contact(await client.put(f"{BASE}/{jane['id']}", json={"sms_ok": True}))
    assert body["sms_ok"] is True
    r = await client.put(
        f"{BASE}/{jane['id']}", json={"suppressed": True, "suppressed_reason": "bounced"}
    )
    body = _contact(r)
    assert body["suppressed"] is True and body["suppressed_reason"] == "bounced"
    listed = (await client.get(BASE, params={"suppressed": "true"})).json()
    assert [c["id"] for c in listed["contacts"]] == [jane["id"]]
    assert (await client.get(BASE, params={"suppressed": "false"})).json()["total"] == 0
    body = _contact(await client.put(f"{BASE}/{jane['id']}", json={"suppressed": False}))
    assert body["suppressed"] is False and body["suppressed_reason"] is None
    history = (await client.get(f"/v1/contacts/{jane['id']}/consent")).json()["data"]
    assert history and {h["source"] for h in history} == {"api:yoursend"}
    changes = {(h["channel"], h["to"]) for h in history}
    assert {
        ("email", "opted_in"),
        ("sms", "opted_out"),
        ("sms", "opted_in"),
        ("suppression", "suppressed"),
        ("suppression", "not_suppressed"),
    } <= changes


async def test_the_same_contact_through_v1(client):
    jane = await _jane(client)
    native = (await client.get(f"/v1/contacts/{jane['id']}")).json()
    assert native["name"] == "Jane Doe" and native["custom_fields"] == {"plan": "pro"}
    await client.patch(f"/v1/contacts/{jane['id']}", json={"custom_fields": {"seats": 3}})
    assert _contact(await client.get(f"{BASE}/{jane['id']}"))["metadata"] == {
        "plan": "pro",
        "seats": 3,
    }
    r = await client.post("/v1/contacts", json={"email": "native@example.com"})
    listed = (await client.get(BASE)).json()["contacts"]
    assert {c["id"] for c in listed} == {jane["id"], r.json()["id"]}


async def test_offsets(client):
    for i in range(5):
        await client.post(BASE, json={"email": f"p{i}@example.com", "name": f"P{i}"})
    body = (await client.get(BASE, params={"limit": 2, "offset": 2})).json()
    assert [c["name"] for c in body["contacts"]] == ["P2", "P1"]
    assert (body["total"], body["limit"], body["offset"]) == (5, 2, 2)
    body = (await client.get(BASE, params={"offset": 10})).json()
    assert body["contacts"] == [] and body["total"] == 5


async def test_not_found(client):
    for method in ("GET", "PUT"):
        r = await client.request(
            method, f"{BASE}/{uuid.uuid4()}", json={} if method == "PUT" else None
        )
        assert _error(r, 404, "not_found") == "Contact not found", method
    r = await client.put(f"{BASE}/{uuid.uuid4()}", json={"email_ok": True})
    _error(r, 404, "not_found")


async def test_duplicate_is_a_400(client):
    jane = await _jane(client)
    r = await client.post(BASE, json={"email": "JANE@example.com"})
    assert _error(r, 400, "invalid_request") == "a contact with this email already exists"
    other = _contact(await client.post(BASE, json={"phone": "+14155551299"}), 201)
    r = await client.put(f"{BASE}/{other['id']}", json={"phone": "(415) 555-1234"})
    assert _error(r, 400, "invalid_request") == "a contact with this phone already exists"
    assert _contact(await client.get(f"{BASE}/{jane['id']}")) == jane


async def test_validation_errors_name_the_field(client):
    r = await client.post(BASE, json={"name": "Nobody"})
    assert "phone" in _error(r, 400, "invalid_request")
    r = await client.post(BASE, json={"email": "not-an-email", "phone": "+1234567890"})
    message = _error(r, 400, "invalid_request")
    assert "email" in message and "phone" in message
    r = await client.post(BASE, json={**JANE, "email_ok": True})
    assert "email_ok" in _error(r, 400, "invalid_request")
    r = await client.put(f"{BASE}/{uuid.uuid4()}", json={"sms_ok": "yes"})
    assert "sms_ok" in _error(r, 400, "invalid_request")
    r = await client.post(BASE, content=b"{", headers={"content-type": "application/json"})
    _error(r, 400, "invalid_request")


async def test_limits(client):
    for params in ({"limit": 101}, {"limit": 0}, {"offset": -1}, {"suppressed": "maybe"}):
        r = await client.get(BASE, params=params)
        (name,) = params
        assert name in _error(r, 400, "invalid_request"), params
    r = await client.get(BASE, params={"limit": 100})
    assert r.json()["limit"] == 100
    r = await client.post(BASE, json={**JANE, "tags": [f"t{i}" for i in range(101)]})
    assert "tags" in _error(r, 400, "invalid_request")


async def test_credentials_scopes_and_methods(env: Env, client):
    tenant_id, reader_key = await env.tenant(scopes=["contacts:read"])
    async with env.client() as anonymous:
        r = await anonymous.get(BASE)
        _error(r, 401, "invalid_api_key")
        assert r.headers["www-authenticate"].startswith("Bearer")
    async with env.client("ys_live_wrong") as wrong:
        _error(await wrong.get(BASE), 401, "invalid_api_key")
    async with env.client(reader_key) as reader:
        assert (await reader.get(BASE)).status_code == 200
        for method, path in (("POST", BASE), ("PUT", f"{BASE}/{uuid.uuid4()}")):
            r = await reader.request(method, path, json=JANE)
            assert "contacts:write" in _error(r, 403, "forbidden"), (method, path)
    writer_key = await env.key(tenant_id, ["contacts:write"])
    async with env.client(writer_key) as writer:
        _error(await writer.get(BASE), 403, "forbidden")
    # The document has no delete: the contact stays.
    jane = await _jane(client)
    _error(await client.delete(f"{BASE}/{jane['id']}"), 405, "method_not_allowed")


async def test_rate_limit(env: Env):
    tenant_id, _ = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        made = await tenants.create_api_key(
            conn, tenant_id, name="slow", scopes=["contacts:read"], rate_limit="1/hour"
        )
    async with env.client(made.key) as slow:
        assert (await slow.get(BASE)).status_code == 200
        r = await slow.get(BASE)
        _error(r, 429, "rate_limited")
        assert int(r.headers["retry-after"]) >= 1


async def test_another_tenants_contact_is_not_found(env: Env, client):
    jane = await _jane(client)
    _, other_key = await env.tenant()
    async with env.client(other_key) as other:
        for method, body in (("GET", None), ("PUT", {"name": "x"}), ("PUT", {"sms_ok": False})):
            r = await other.request(method, f"{BASE}/{jane['id']}", json=body)
            _error(r, 404, "not_found")
        assert (await other.get(BASE)).json()["contacts"] == []
        assert (await other.post(BASE, json=JANE)).status_code == 201
    assert _contact(await client.get(f"{BASE}/{jane['id']}")) == jane


async def test_openapi_document(client):
    doc = (await client.get("/openapi.json")).json()
    operations = {
        (method, path): op
        for path, item in doc["paths"].items()
        if path.startswith("/compat/yoursend/")
        for method, op in item.items()
    }
    assert {op["operationId"] for op in operations.values()} == {
        "yoursend_contacts_list",
        "yoursend_contacts_create",
        "yoursend_contacts_get",
        "yoursend_contacts_update",
    }
    for op in operations.values():
        assert op["tags"] == ["compat: yoursend"]
        for status, response in op["responses"].items():
            if int(status) >= 400:
                (media,) = response["content"]
                assert media == "application/json", (op["operationId"], status)
                schema = response["content"][media]["schema"]
                assert schema == {"$ref": "#/components/schemas/YoursendError"}


async def test_events_are_roster_s(client):
    jane = await _jane(client)
    await client.put(f"{BASE}/{jane['id']}", json={"name": "Jane Roe"})
    await client.put(f"{BASE}/{jane['id']}", json={"sms_ok": False})
    # Fields and consent in one request: the update, then the consent change.
    await client.put(f"{BASE}/{jane['id']}", json={"name": "Jane Poe", "email_ok": True})
    types = [e["type"] for e in (await client.get("/v1/events")).json()["data"]]
    assert types[0] == "contact.created"
    assert types.count("contact.updated") == 4, types
