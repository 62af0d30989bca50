"""The lynkist dialect (reference 003): every example of the document replayed as written,
then its error answers, limits, scopes and tenancy, on both engines.

Changed from the document's examples: the host (the app), the token (a Roster key), the
example id (a contact made first, since Roster makes its own ids), the elided
``Idempotency-Key: 7c4d2e1a-…`` (completed: "…" is not a header character) and the
addresses ``@acme.test`` (``.test`` is a special-use domain that Roster's email check
refuses; ``@acme.com`` instead).
"""

from __future__ import annotations

import uuid

from roster.kit.db import transaction
from roster.tenants import service as tenants
from tests.conftest import Env

BASE = "/compat/lynkist/api/v1/public/contacts"
EXAMPLE_ID = "f47ac10b-58cc-4372-a567-0e02b2c3d479"
CONTACT_KEYS = {
    "id",
    "first_name",
    "last_name",
    "phone",
    "email",
    "company",
    "job_title",
    "status",
    "tags",
    "custom_fields",
    "created_at",
    "updated_at",
}
ANURAG = {
    "first_name": "Anurag",
    "last_name": "Sharma",
    "phone": "+919999999999",
    "email": "anurag@acme.com",
    "company": "Acme Corp",
    "job_title": "Founder",
    "tags": ["india", "saas"],
    "custom_fields": {"plan": "starter"},
}


async def _anurag(client):
    r = await client.post(BASE, json=ANURAG)
    assert r.status_code == 201, r.text
    return r.json()


async def test_create_as_the_document_shows(client):
    r = await client.post(
        BASE,
        headers={"Idempotency-Key": "7c4d2e1a-0000-4000-8000-000000000001"},
        json=ANURAG,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == CONTACT_KEYS
    assert {k: body[k] for k in ANURAG} == ANURAG
    assert body["status"] is None
    assert body["created_at"].endswith("Z") and body["updated_at"].endswith("Z")
    uuid.UUID(body["id"])
    # The same key and body: the first answer again, nothing created twice.
    again = await client.post(
        BASE,
        headers={"Idempotency-Key": "7c4d2e1a-0000-4000-8000-000000000001"},
        json=ANURAG,
    )
    assert again.status_code == 201 and again.json() == body
    assert again.headers["idempotent-replayed"] == "true"
    # The same key with another body: refused, in lynkist's 422 shape.
    other = await client.post(
        BASE,
        headers={"Idempotency-Key": "7c4d2e1a-0000-4000-8000-000000000001"},
        json={**ANURAG, "company": "Other"},
    )
    assert other.status_code == 422
    assert other.json()["detail"][0]["loc"] == ["header", "Idempotency-Key"]


async def test_list_as_the_document_shows(client):
    made = await _anurag(client)
    await client.post(BASE, json={"first_name": "Zed", "email": "zed@other.com"})
    r = await client.get(f"{BASE}?search=acme&page=1&limit=20")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"data", "pagination"}
    assert body["data"] == [made]
    assert body["pagination"] == {
        "page": 1,
        "limit": 20,
        "total_items": 1,
        "total_pages": 1,
        "has_next": False,
        "has_prev": False,
    }


async def test_search_as_the_document_shows(client):
    made = await _anurag(client)
    await client.patch(f"{BASE}/{made['id']}", json={"status": "lead"})
    await client.post(
        BASE, json={"first_name": "Acme", "email": "b@acme.com", "status": "lead", "tags": ["x"]}
    )
    r = await client.post(
        f"{BASE}/search?page=1&limit=20",
        json={"search_term": "acme", "status": "lead", "tag": "india"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["id"] for c in body["data"]] == [made["id"]]
    assert body["data"][0]["status"] == "lead"
    assert body["pagination"]["total_items"] == 1


async def test_bulk_as_the_document_shows(client):
    r = await client.post(
        f"{BASE}/bulk",
        json={
            "contacts": [
                {"first_name": "Anurag", "phone": "+919999999999"},
                {"first_name": "Lara", "email": "lara@acme.com"},
                {"first_name": ""},
            ]
        },
    )
    assert r.status_code == 201, r.text
    assert r.json() == {
        "total": 3,
        "created": 2,
        "failed": 1,
        "errors": [{"index": 2, "error": "first_name must be at least 1 character"}],
    }
    listed = (await client.get(BASE)).json()
    assert sorted(c["first_name"] for c in listed["data"]) == ["Anurag", "Lara"]


async def test_get_patch_delete_as_the_document_shows(client):
    made = await _anurag(client)
    # The document's example id names no contact of this tenant.
    assert (await client.get(f"{BASE}/{EXAMPLE_ID}")).json() == {"detail": "Contact not found"}
    r = await client.get(f"{BASE}/{made['id']}")
    assert r.status_code == 200 and r.json() == made
    r = await client.patch(
        f"{BASE}/{made['id']}", json={"status": "customer", "tags": ["india", "saas", "paid"]}
    )
    assert r.status_code == 200, r.text
    updated = r.json()
    assert updated["status"] == "customer"
    assert updated["tags"] == ["india", "paid", "saas"]
    assert updated["first_name"] == "Anurag"
    r = await client.delete(f"{BASE}/{made['id']}")
    assert r.status_code == 200 and r.json() == {"message": "Contact deleted"}
    # Hidden from the dialect, kept (archived) in Roster with its history.
    assert (await client.get(f"{BASE}/{made['id']}")).status_code == 404
    assert (await client.delete(f"{BASE}/{made['id']}")).status_code == 404
    assert (await client.get(BASE)).json()["data"] == []
    archived = await client.get(f"/v1/contacts/{made['id']}", params={"include_deleted": "true"})
    assert archived.status_code == 200 and archived.json()["deleted_at"] is not None


async def test_webhook_events_are_the_documented_ones(client):
    made = await _anurag(client)
    await client.patch(f"{BASE}/{made['id']}", json={"status": "customer"})
    await client.delete(f"{BASE}/{made['id']}")
    await client.post(f"{BASE}/bulk", json={"contacts": [{"first_name": "B", "email": "b@x.io"}]})
    r = await client.get("/v1/events")
    assert [e["type"] for e in r.json()["data"]] == [
        "contact.created",
        "contact.updated",
        "contact.deleted",
        "contact.created",
    ]


async def test_patch_null_clears_and_custom_fields_merge(client):
    made = await _anurag(client)
    r = await client.patch(
        f"{BASE}/{made['id']}",
        json={"company": None, "job_title": None, "custom_fields": {"seats": 3}},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["company"] is None and body["job_title"] is None
    assert body["custom_fields"] == {"plan": "starter", "seats": 3}
    r = await client.patch(f"{BASE}/{made['id']}", json={"first_name": None})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "first_name"]


async def test_the_same_contact_through_v1(client):
    made = await _anurag(client)
    native = (await client.get(f"/v1/contacts/{made['id']}")).json()
    assert native["first_name"] == "Anurag" and native["company"] == "Acme Corp"
    assert native["source"] == "api:lynkist"
    await client.patch(f"/v1/contacts/{made['id']}", json={"job_title": "CEO"})
    assert (await client.get(f"{BASE}/{made['id']}")).json()["job_title"] == "CEO"
    # A contact made natively is listed by the dialect too.
    r = await client.post("/v1/contacts", json={"email": "native@acme.com", "first_name": "Nat"})
    listed = (await client.get(BASE, params={"search": "acme"})).json()
    assert {c["id"] for c in listed["data"]} == {made["id"], r.json()["id"]}


async def test_pages_count_every_match(client):
    for i in range(5):
        await client.post(BASE, json={"first_name": f"P{i}", "email": f"p{i}@acme.com"})
    r = await client.get(BASE, params={"page": 2, "limit": 2})
    body = r.json()
    assert len(body["data"]) == 2
    assert body["pagination"] == {
        "page": 2,
        "limit": 2,
        "total_items": 5,
        "total_pages": 3,
        "has_next": True,
        "has_prev": True,
    }
    default = (await client.get(BASE)).json()["pagination"]
    assert (default["page"], default["limit"]) == (1, 20)


async def test_not_found_and_malformed_ids(client):
    for method in ("GET", "PATCH", "DELETE"):
        r = await client.request(
            method, f"{BASE}/{uuid.uuid4()}", json={} if method == "PATCH" else None
        )
        assert (r.status_code, r.json()) == (404, {"detail": "Contact not found"}), method
    r = await client.get(f"{BASE}/not-a-uuid")
    assert (r.status_code, r.json()) == (404, {"detail": "Contact not found"})
    assert r.headers["content-type"] == "application/json"


async def test_duplicate_phone_is_a_field_error(client):
    made = await _anurag(client)
    r = await client.post(BASE, json={"first_name": "Twin", "phone": "+91 99999 99999"})
    assert r.status_code == 422
    (detail,) = r.json()["detail"]
    assert detail["loc"] == ["body", "phone"]
    assert detail["msg"] == "phone is already used by another contact"
    assert detail["conflicting_id"] == made["id"]
    r = await client.post(
        f"{BASE}/bulk",
        json={"contacts": [{"first_name": "Twin", "phone": "+919999999999"}]},
    )
    assert r.json()["errors"] == [{"index": 0, "error": "phone is already used by another contact"}]


async def test_validation_errors_are_field_level(client):
    r = await client.post(
        BASE, json={"first_name": "A", "email": "not-an-email", "phone": "+1234567890"}
    )
    assert r.status_code == 422, r.text
    locs = sorted(tuple(d["loc"]) for d in r.json()["detail"])
    assert locs == [("body", "email"), ("body", "phone")]
    r = await client.post(BASE, json={"first_name": "x" * 256, "email": "a@b.io"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["msg"] == "must be at most 255 characters"
    r = await client.post(BASE, json={"first_name": "A", "phone": "+1 415 555 2671 000000"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "phone"]
    r = await client.post(BASE, json={"first_name": "A", "email": "a@b.io", "id": "x"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "id"]
    # Roster needs a phone or an email to know a contact by.
    r = await client.post(BASE, json={"first_name": "Only"})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "phone"]


async def test_missing_fields_and_bad_json_are_400(client):
    r = await client.post(BASE, json={"email": "a@b.io"})
    assert r.status_code == 400
    assert r.json() == {
        "detail": [{"loc": ["body", "first_name"], "msg": "Field required", "type": "missing"}]
    }
    r = await client.post(BASE, content=b"{", headers={"content-type": "application/json"})
    assert r.status_code == 400 and isinstance(r.json()["detail"], str)
    r = await client.post(f"{BASE}/bulk", json={"contacts": [{"email": "a@b.io"}]})
    assert r.json()["errors"] == [{"index": 0, "error": "first_name is required"}]


async def test_limits(client):
    for params in ({"limit": 101}, {"limit": 0}, {"page": 0}):
        r = await client.get(BASE, params=params)
        assert r.status_code == 422, params
        (name,) = params
        assert r.json()["detail"][0]["loc"] == ["query", name]
    items = [{"first_name": f"n{i}", "email": f"n{i}@b.io"} for i in range(101)]
    r = await client.post(f"{BASE}/bulk", json={"contacts": items})
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "contacts"]
    r = await client.post(f"{BASE}/bulk", json={"contacts": items[:100]})
    assert r.status_code == 201 and r.json()["created"] == 100
    r = await client.get(BASE, params={"limit": 100})
    assert len(r.json()["data"]) == 100 and r.json()["pagination"]["total_pages"] == 1


async def test_credentials_and_scopes(env: Env):
    tenant_id, reader_key = await env.tenant(scopes=["contacts:read"])
    async with env.client() as anonymous:
        r = await anonymous.get(BASE)
        assert r.status_code == 401 and isinstance(r.json()["detail"], str)
        assert r.headers["www-authenticate"].startswith("Bearer")
    async with env.client("rk_live_wrong") as wrong:
        assert (await wrong.get(BASE)).status_code == 401
    async with env.client(reader_key) as reader:
        assert (await reader.get(BASE)).status_code == 200
        assert (await reader.post(f"{BASE}/search", json={})).status_code == 200
        for method, path in (
            ("POST", BASE),
            ("POST", f"{BASE}/bulk"),
            ("PATCH", f"{BASE}/{EXAMPLE_ID}"),
            ("DELETE", f"{BASE}/{EXAMPLE_ID}"),
        ):
            body = {"contacts": [{"first_name": "A"}]} if path.endswith("bulk") else {}
            r = await reader.request(method, path, json=body if method != "DELETE" else None)
            assert r.status_code == 403, (method, path)
            assert "contacts:write" in r.json()["detail"]
    writer_key = await env.key(tenant_id, ["contacts:write"])
    async with env.client(writer_key) as writer:
        assert (await writer.get(BASE)).status_code == 403


async def test_rate_limit_hit(env: Env):
    tenant_id, _ = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        made = await tenants.create_api_key(
            conn, tenant_id, name="slow", scopes=["contacts:read"], rate_limit="1/hour"
        )
    async with env.client(made.key) as slow:
        assert (await slow.get(BASE)).status_code == 200
        r = await slow.get(BASE)
        assert r.status_code == 429 and isinstance(r.json()["detail"], str)
        assert int(r.headers["retry-after"]) >= 1


async def test_another_tenants_contact_is_not_found(env: Env, client):
    made = await _anurag(client)
    _, other_key = await env.tenant()
    async with env.client(other_key) as other:
        for method in ("GET", "PATCH", "DELETE"):
            r = await other.request(
                method, f"{BASE}/{made['id']}", json={"status": "x"} if method == "PATCH" else None
            )
            assert (r.status_code, r.json()) == (404, {"detail": "Contact not found"}), method
        assert (await other.get(BASE)).json()["data"] == []
        # The same phone is free in another tenant.
        assert (await other.post(BASE, json=ANURAG)).status_code == 201
    assert (await client.get(f"{BASE}/{made['id']}")).json()["status"] is None


async def test_openapi_document(client):
    doc = (await client.get("/openapi.json")).json()
    operations = {
        (method, path): op
        for path, item in doc["paths"].items()
        if path.startswith("/compat/lynkist/")
        for method, op in item.items()
    }
    assert {op["operationId"] for op in operations.values()} == {
        "lynkist_contacts_list",
        "lynkist_contacts_search",
        "lynkist_contacts_create",
        "lynkist_contacts_bulk_create",
        "lynkist_contacts_get",
        "lynkist_contacts_update",
        "lynkist_contacts_delete",
    }
    for op in operations.values():
        assert op["tags"] == ["compat: lynkist"]
        for status, response in op["responses"].items():
            if int(status) >= 400:
                (media,) = response["content"]
                assert media == "application/json", (op["operationId"], status)
    create = operations[("post", BASE)]
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    schema = create["responses"]["422"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/LynkistValidationError"}
