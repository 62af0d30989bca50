"""The yebolink dialect (reference 000): every example of the document replayed as written,
then its error answers, limits, scopes and tenancy, on both engines.

Changed from the document's examples: the host (the app), the token (a Roster key), the
phone ``+1234567890`` (not a real number, which Roster refuses: ``+14155552671`` instead)
and the example id ``550e8400-…`` (a contact made first, since Roster makes its own ids).
The document's JavaScript and Python examples send the same requests as its curl ones;
each distinct request is made once.
"""

from __future__ import annotations

import uuid

from roster.kit.db import transaction
from roster.tenants import service as tenants
from tests.conftest import Env
from tests.helpers.apps import app_with, client_for

BASE = "/compat/yebolink/api/v1/contacts"
EXAMPLE_ID = "550e8400-e29b-41d4-a716-446655440000"
PHONE = "+14155552671"
LISTED_KEYS = {"id", "phone", "email", "name", "tags", "custom_fields", "created_at", "updated_at"}
CONTACT_KEYS = LISTED_KEYS | {"workspace_id"}
JOHN = {
    "phone": PHONE,
    "email": "john@example.com",
    "name": "John Doe",
    "tags": ["customer", "vip"],
    "custom_fields": {"customer_id": "12345", "signup_date": "2025-11-01"},
}
NOT_FOUND = {"success": False, "error": "not_found", "message": "Contact not found"}


def _contact(response, status=200):
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"success", "data"} and body["success"] is True
    assert set(body["data"]) == {"contact"}
    contact = body["data"]["contact"]
    assert set(contact) == CONTACT_KEYS
    return contact


def _error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"success", "error", "message"}, body
    assert body["success"] is False and body["error"] == code, body
    return body["message"]


async def _john(client, **changes):
    return _contact(await client.post(BASE, json={**JOHN, **changes}), 201)


async def test_create_as_the_document_shows(client):
    contact = await _john(client)
    assert {k: contact[k] for k in JOHN} == JOHN
    uuid.UUID(contact["id"])
    uuid.UUID(contact["workspace_id"])
    assert contact["created_at"].endswith("Z") and contact["updated_at"].endswith("Z")
    # "Store Important Data in Custom Fields": numbers stay numbers.
    r = await client.post(
        BASE,
        json={
            "phone": "+14155552672",
            "name": "John Doe",
            "custom_fields": {
                "customer_id": "12345",
                "lifetime_value": 5000,
                "last_purchase": "2025-11-01",
                "preferred_channel": "sms",
                "timezone": "America/New_York",
            },
        },
    )
    made = _contact(r, 201)
    assert made["custom_fields"]["lifetime_value"] == 5000
    assert made["email"] is None and made["tags"] == []


async def test_list_as_the_document_shows(client):
    john = await _john(client)
    other = await _john(
        client, phone="+14155552672", email="ann@example.com", name="Ann Lee", tags=["lead"]
    )
    r = await client.get(BASE)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"success", "data"} and body["success"] is True
    assert set(body["data"]) == {"contacts", "pagination"}
    assert body["data"]["pagination"] == {"total": 2, "page": 1, "pages": 1, "limit": 50}
    for item in body["data"]["contacts"]:
        assert set(item) == LISTED_KEYS
    assert [c["id"] for c in body["data"]["contacts"]] == [other["id"], john["id"]]
    r = await client.get(f"{BASE}?search=john")
    assert [c["id"] for c in r.json()["data"]["contacts"]] == [john["id"]]
    r = await client.get(f"{BASE}?tags=customer,vip")
    assert [c["id"] for c in r.json()["data"]["contacts"]] == [john["id"]]
    # The JavaScript and Python examples: {tags: 'vip'}, {search: 'john'}, {limit: 100}.
    r = await client.get(BASE, params={"tags": "vip"})
    assert [c["id"] for c in r.json()["data"]["contacts"]] == [john["id"]]
    r = await client.get(BASE, params={"limit": 100})
    assert r.json()["data"]["pagination"] == {"total": 2, "page": 1, "pages": 1, "limit": 100}
    # "Handle Duplicates": a search by the phone finds the contact.
    r = await client.get(BASE, params={"search": PHONE})
    assert [c["id"] for c in r.json()["data"]["contacts"]] == [john["id"]]


async def test_tags_filter_is_any_of_them(client):
    john = await _john(client)
    lead = await _john(client, phone="+14155552672", email="l@example.com", tags=["lead"])
    await _john(client, phone="+14155552673", email="n@example.com", tags=["new_user"])
    r = await client.get(BASE, params={"tags": "vip, lead"})
    assert {c["id"] for c in r.json()["data"]["contacts"]} == {john["id"], lead["id"]}
    assert r.json()["data"]["pagination"]["total"] == 2


async def test_get_update_delete_as_the_document_shows(client):
    john = await _john(client)
    # The document's example id names no contact of this tenant.
    assert (await client.get(f"{BASE}/{EXAMPLE_ID}")).json() == NOT_FOUND
    assert _contact(await client.get(f"{BASE}/{john['id']}")) == john
    r = await client.put(
        f"{BASE}/{john['id']}",
        json={
            "name": "John Smith",
            "tags": ["customer", "vip", "premium"],
            "custom_fields": {"last_order": "2025-11-02"},
        },
    )
    updated = _contact(r)
    assert updated["name"] == "John Smith"
    assert sorted(updated["tags"]) == ["customer", "premium", "vip"]
    assert updated["custom_fields"] == {**JOHN["custom_fields"], "last_order": "2025-11-02"}
    assert updated["phone"] == PHONE and updated["email"] == JOHN["email"]
    # The JavaScript example: only tags and custom_fields.
    r = await client.put(
        f"{BASE}/{john['id']}",
        json={
            "tags": ["customer", "vip", "premium"],
            "custom_fields": {"last_order": "2025-11-02"},
        },
    )
    assert _contact(r)["name"] == "John Smith"
    r = await client.delete(f"{BASE}/{john['id']}")
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "data": {"message": "Contact deleted successfully"}}
    # Deleted permanently: gone from the dialect and from /v1.
    assert (await client.get(f"{BASE}/{john['id']}")).json() == NOT_FOUND
    assert (await client.delete(f"{BASE}/{john['id']}")).json() == NOT_FOUND
    assert (await client.get(f"/v1/contacts/{john['id']}")).status_code == 404
    assert (await client.get(BASE)).json()["data"]["contacts"] == []


async def test_the_same_contact_through_v1(client):
    john = await _john(client)
    native = (await client.get(f"/v1/contacts/{john['id']}")).json()
    assert native["name"] == "John Doe" and native["phone"] == PHONE
    assert native["source"] == "api:yebolink"
    assert native["custom_fields"] == JOHN["custom_fields"]
    await client.patch(f"/v1/contacts/{john['id']}", json={"email": "jd@example.com"})
    assert _contact(await client.get(f"{BASE}/{john['id']}"))["email"] == "jd@example.com"
    r = await client.post("/v1/contacts", json={"phone": "+14155552679", "first_name": "Nat"})
    listed = (await client.get(BASE)).json()["data"]["contacts"]
    assert {c["id"] for c in listed} == {john["id"], r.json()["id"]}
    assert [c["name"] for c in listed if c["id"] == r.json()["id"]] == ["Nat"]


async def test_events_are_roster_s(client):
    john = await _john(client)
    await client.put(f"{BASE}/{john['id']}", json={"name": "John Smith"})
    types = [e["type"] for e in (await client.get("/v1/events")).json()["data"]]
    assert types == ["contact.created", "contact.updated"]
    # An erasure takes the contact's earlier events with it and leaves its own.
    await client.delete(f"{BASE}/{john['id']}")
    types = [e["type"] for e in (await client.get("/v1/events")).json()["data"]]
    assert types == ["contact.erased"]


async def test_pages(client):
    for i in range(5):
        await client.post(BASE, json={"phone": f"+1415555260{i}", "name": f"P{i}"})
    body = (await client.get(BASE, params={"page": 2, "limit": 2})).json()["data"]
    assert [c["name"] for c in body["contacts"]] == ["P2", "P1"]
    assert body["pagination"] == {"total": 5, "page": 2, "pages": 3, "limit": 2}
    body = (await client.get(BASE, params={"page": 9, "limit": 2})).json()["data"]
    assert body["contacts"] == [] and body["pagination"]["total"] == 5


async def test_not_found_and_malformed_ids(client):
    for method in ("GET", "PUT", "DELETE"):
        r = await client.request(
            method, f"{BASE}/{uuid.uuid4()}", json={} if method == "PUT" else None
        )
        assert (r.status_code, r.json()) == (404, NOT_FOUND), method
    r = await client.get(f"{BASE}/not-a-uuid")
    assert (r.status_code, r.json()) == (404, NOT_FOUND)


async def test_duplicate_phone_is_the_document_s_400(client):
    john = await _john(client)
    r = await client.post(BASE, json={"phone": "+1 (415) 555-2671", "name": "Twin"})
    message = _error(r, 400, "validation_error")
    assert message == "Contact with this phone number already exists"
    other = await _john(client, phone="+14155552672", email="x@example.com")
    r = await client.put(f"{BASE}/{other['id']}", json={"email": JOHN["email"]})
    assert _error(r, 400, "validation_error") == "Contact with this email already exists"
    assert _contact(await client.get(f"{BASE}/{john['id']}")) == john


async def test_validation_errors_name_the_field(client):
    r = await client.post(BASE, json={"email": "john@example.com", "name": "No Phone"})
    assert _error(r, 400, "validation_error") == "phone is required"
    r = await client.post(BASE, json={"phone": "+1234567890", "email": "not-an-email"})
    message = _error(r, 400, "validation_error")
    assert "phone" in message and "email" in message
    r = await client.post(BASE, json={**JOHN, "workspace_id": "w"})
    assert "workspace_id" in _error(r, 400, "validation_error")
    r = await client.post(BASE, content=b"{", headers={"content-type": "application/json"})
    _error(r, 400, "validation_error")
    r = await client.put(f"{BASE}/{EXAMPLE_ID}", json={"tags": "vip"})
    assert "tags" in _error(r, 400, "validation_error")


async def test_limits(client):
    for params in ({"limit": 101}, {"limit": 0}, {"page": 0}, {"page": "x"}):
        r = await client.get(BASE, params=params)
        (name,) = params
        assert name in _error(r, 400, "validation_error"), params
    tags = ",".join(f"t{i}" for i in range(21))
    assert "tags" in _error(await client.get(BASE, params={"tags": tags}), 400, "validation_error")
    r = await client.post(BASE, json={**JOHN, "tags": [f"t{i}" for i in range(101)]})
    assert "tags" in _error(r, 400, "validation_error")


async def test_credentials_and_scopes(env: Env):
    tenant_id, reader_key = await env.tenant(scopes=["contacts:read"])
    async with env.client() as anonymous:
        r = await anonymous.get(BASE)
        _error(r, 401, "unauthorized")
        assert r.headers["www-authenticate"].startswith("Bearer")
    async with env.client("rk_live_wrong") as wrong:
        _error(await wrong.get(BASE), 401, "unauthorized")
    async with env.client(reader_key) as reader:
        assert (await reader.get(BASE)).status_code == 200
        for method, path in (
            ("POST", BASE),
            ("PUT", f"{BASE}/{EXAMPLE_ID}"),
            ("DELETE", f"{BASE}/{EXAMPLE_ID}"),
        ):
            r = await reader.request(method, path, json=JOHN if method != "DELETE" else None)
            assert "contacts:write" in _error(r, 403, "forbidden"), (method, path)
    writer_key = await env.key(tenant_id, ["contacts:write"])
    async with env.client(writer_key) as writer:
        _error(await writer.get(BASE), 403, "forbidden")
        _error(await writer.get(f"{BASE}/{EXAMPLE_ID}"), 403, "forbidden")


async def test_rate_limit_and_method(env: Env, client):
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
    r = await client.patch(f"{BASE}/{EXAMPLE_ID}", json={})
    _error(r, 405, "method_not_allowed")


async def test_another_tenants_contact_is_not_found(env: Env, client):
    john = await _john(client)
    _, other_key = await env.tenant()
    async with env.client(other_key) as other:
        for method in ("GET", "PUT", "DELETE"):
            r = await other.request(
                method, f"{BASE}/{john['id']}", json={"name": "x"} if method == "PUT" else None
            )
            assert (r.status_code, r.json()) == (404, NOT_FOUND), method
        assert (await other.get(BASE)).json()["data"]["contacts"] == []
        # The same phone is free in another tenant.
        assert (await other.post(BASE, json=JOHN)).status_code == 201
    assert _contact(await client.get(f"{BASE}/{john['id']}")) == john


async def test_openapi_document(client):
    doc = (await client.get("/openapi.json")).json()
    operations = {
        (method, path): op
        for path, item in doc["paths"].items()
        if path.startswith("/compat/yebolink/")
        for method, op in item.items()
    }
    assert {op["operationId"] for op in operations.values()} == {
        "yebolink_contacts_create",
        "yebolink_contacts_list",
        "yebolink_contacts_get",
        "yebolink_contacts_update",
        "yebolink_contacts_delete",
    }
    for op in operations.values():
        assert op["tags"] == ["compat: yebolink"]
        for status, response in op["responses"].items():
            if int(status) >= 400:
                (media,) = response["content"]
                assert media == "application/json", (op["operationId"], status)
                schema = response["content"][media]["schema"]
                assert schema == {"$ref": "#/components/schemas/YebolinkError"}


async def test_served_only_when_chosen(env: Env):
    _, key = await env.tenant()
    async with app_with(env, dialects="lynkist") as app, client_for(app, key) as http:
        r = await http.get(BASE)
        assert r.status_code == 404
        assert r.headers["content-type"] == "application/problem+json"  # Roster's own 404
        paths = (await http.get("/openapi.json")).json()["paths"]
        assert not [p for p in paths if p.startswith("/compat/yebolink/")]
        assert (await http.get("/compat/lynkist/api/v1/public/contacts")).status_code == 200


async def test_the_use_cases_as_the_document_shows(client):
    # "Import Contacts from CSV".
    imported = await _john(
        client,
        tags=["imported"],
        custom_fields={"import_date": "2025-11-02T12:00:00.000Z", "source": "csv_import"},
    )
    assert imported["tags"] == ["imported"]
    # "Keep Contacts Up to Date": the tags read back plus one it may already have.
    contact = _contact(await client.get(f"{BASE}/{imported['id']}"))
    r = await client.put(
        f"{BASE}/{imported['id']}",
        json={
            "tags": [*contact["tags"], "customer", "imported"],
            "custom_fields": {
                **contact["custom_fields"],
                "last_order": "ord_1",
                "last_purchase": "2025-11-02T12:00:00.000Z",
                "total_orders": (contact["custom_fields"].get("total_orders") or 0) + 1,
            },
        },
    )
    updated = _contact(r)
    assert sorted(updated["tags"]) == ["customer", "imported"]
    assert updated["custom_fields"]["total_orders"] == 1
    # "Sync Contacts with CRM".
    listed = (await client.get(BASE, params={"limit": 100})).json()["data"]["contacts"]
    r = await client.put(
        f"{BASE}/{listed[0]['id']}",
        json={"custom_fields": {"crm_id": "crm_9", "last_sync": "2025-11-02T12:00:00.000Z"}},
    )
    assert _contact(r)["custom_fields"]["crm_id"] == "crm_9"
