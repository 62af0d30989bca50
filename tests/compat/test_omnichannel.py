"""The omnichannel dialect (reference 004): every call the document lists, with the
parameters it names, then its error answers, limits, scopes and tenancy, on both engines.

The document shows no example request (it lists each call's parameters); each call is made
here with the platform's parameter names and the document's example values (the phone
``+14155552671``, the countries ``US`` and ``TR``, the stages ``lead``, ``customer``,
``churned``, the channels ``sms`` … ``voice``). Ids are Roster's (the document's
``con_abc123`` is not a UUID, and answers 404).
"""

from __future__ import annotations

import uuid

from roster.kit.db import transaction
from roster.tenants import service as tenants
from tests.conftest import Env

BASE = "/compat/omnichannel/v1/contacts"
CONTACT_KEYS = {
    "id",
    "phone",
    "email",
    "first_name",
    "last_name",
    "country_code",
    "lifecycle_stage",
    "tags",
    "metadata",
    "preferences",
    "created_at",
    "updated_at",
}
JANE = {
    "phone": "+14155552671",
    "email": "jane@example.com",
    "first_name": "Jane",
    "last_name": "Doe",
    "country_code": "US",
    "lifecycle_stage": "lead",
    "tags": ["beta-tester"],
    "metadata": {"plan": "pro"},
}


def _meta(body, *, paged=False):
    meta = body["meta"]
    assert meta["timestamp"].endswith("Z")
    assert meta["request_id"]
    if paged:
        assert set(meta["pagination"]) == {"cursor", "has_more", "total"}
    return meta


def _error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert set(body) == {"error", "meta"}
    assert set(body["error"]) == {"code", "message", "status", "details"}
    assert (body["error"]["code"], body["error"]["status"]) == (code, status), body
    return body["error"]


async def _jane(client, **changes):
    r = await client.post(BASE, json={**JANE, **changes})
    assert r.status_code == 201, r.text
    return r.json()["data"]


async def test_create_contact(client):
    r = await client.post(BASE, json=JANE)
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"data", "meta"}
    assert body["meta"]["request_id"] == r.headers["x-request-id"]
    _meta(body)
    data = body["data"]
    assert set(data) == CONTACT_KEYS
    assert {k: data[k] for k in JANE} == JANE
    assert data["preferences"] == dict.fromkeys(
        ("sms", "whatsapp", "email", "rcs", "viber", "voice"), "unknown"
    )
    uuid.UUID(data["id"])


async def test_idempotency_key_is_roster_s(client):
    key = {"Idempotency-Key": "omni-create-1"}
    first = await client.post(BASE, json=JANE, headers=key)
    assert first.status_code == 201, first.text
    again = await client.post(BASE, json=JANE, headers=key)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["data"] == first.json()["data"]
    other = await client.post(BASE, json={**JANE, "first_name": "Janet"}, headers=key)
    _error(other, 422, "IDEMPOTENCY_KEY_MISMATCH")
    assert len((await client.get(BASE)).json()["data"]) == 1


async def test_list_contacts_with_search_filters_and_cursor(client):
    jane = await _jane(client)
    await _jane(
        client,
        phone="+905321234567",
        email="ayse@example.com",
        first_name="Ayse",
        country_code="TR",
        lifecycle_stage="customer",
    )
    churned = [
        await _jane(
            client,
            phone=None,
            email=f"c{i}@example.com",
            first_name=f"C{i}",
            lifecycle_stage="churned",
        )
        for i in range(3)
    ]
    r = await client.get(BASE, params={"search": "jane", "lifecycle_stage": "lead", "limit": 20})
    assert r.status_code == 200, r.text
    body = r.json()
    assert [c["id"] for c in body["data"]] == [jane["id"]]
    assert _meta(body, paged=True)["pagination"] == {
        "cursor": None,
        "has_more": False,
        "total": None,
    }
    r = await client.get(BASE, params={"country_code": "TR"})
    assert [c["first_name"] for c in r.json()["data"]] == ["Ayse"]
    r = await client.get(BASE, params={"search": "4155552671"})  # phone digits
    assert [c["id"] for c in r.json()["data"]] == [jane["id"]]
    # Cursor pagination, newest first, with the total on request.
    seen, cursor = [], None
    while True:
        params = {"lifecycle_stage": "churned", "limit": 2, "include_total": "true"}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get(BASE, params=params)).json()
        pagination = _meta(body, paged=True)["pagination"]
        assert pagination["total"] == 3
        seen += [c["id"] for c in body["data"]]
        cursor = pagination["cursor"]
        assert pagination["has_more"] is (cursor is not None)
        if cursor is None:
            break
    assert seen == [c["id"] for c in reversed(churned)]
    assert len((await client.get(BASE)).json()["data"]) == 5


async def test_get_update_delete_contact(client):
    jane = await _jane(client)
    r = await client.get(f"{BASE}/{jane['id']}")
    assert r.status_code == 200 and r.json()["data"] == jane
    r = await client.put(
        f"{BASE}/{jane['id']}",
        json={"lifecycle_stage": "customer", "metadata": {"seats": 3}, "last_name": None},
    )
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert data["lifecycle_stage"] == "customer"
    assert data["metadata"] == {"plan": "pro", "seats": 3}  # merged with the existing
    assert data["last_name"] is None and data["first_name"] == "Jane"
    r = await client.delete(f"{BASE}/{jane['id']}")
    assert r.status_code == 204 and r.content == b""
    _error(await client.get(f"{BASE}/{jane['id']}"), 404, "NOT_FOUND")
    _error(await client.delete(f"{BASE}/{jane['id']}"), 404, "NOT_FOUND")
    # Erased, not archived: Roster keeps only a tombstone.
    native = await client.get(f"/v1/contacts/{jane['id']}", params={"include_deleted": "true"})
    assert native.json()["email"] is None and native.json()["source"] == "erased"
    # The phone is free again.
    assert (await client.post(BASE, json=JANE)).status_code == 201


async def test_tags(client):
    jane = await _jane(client)
    r = await client.post(f"{BASE}/{jane['id']}/tags", json={"tags": ["vip", "beta-tester"]})
    assert r.status_code == 200, r.text
    assert r.json()["data"]["tags"] == ["beta-tester", "vip"]
    _meta(r.json())
    r = await client.delete(f"{BASE}/{jane['id']}/tags/beta-tester")
    assert r.status_code == 200 and r.json()["data"]["tags"] == ["vip"]
    r = await client.delete(f"{BASE}/{jane['id']}/tags/absent")
    assert r.status_code == 200 and r.json()["data"]["tags"] == ["vip"]


async def test_activity_timeline(client):
    jane = await _jane(client)
    for kind in ("message.sent", "message.delivered"):
        r = await client.post(
            f"/v1/contacts/{jane['id']}/activities",
            json={"type": kind, "channel": "sms", "occurred_at": "2026-03-08T12:00:00Z"},
        )
        assert r.status_code == 201, r.text
    r = await client.get(f"{BASE}/{jane['id']}/activity", params={"limit": 2})
    assert r.status_code == 200, r.text
    body = r.json()
    pagination = _meta(body, paged=True)["pagination"]
    assert len(body["data"]) == 2 and pagination["has_more"] is True
    rest = await client.get(
        f"{BASE}/{jane['id']}/activity", params={"limit": 100, "cursor": pagination["cursor"]}
    )
    types = {a["type"] for a in body["data"] + rest.json()["data"]}
    assert {"message.sent", "message.delivered", "contact.created"} <= types


async def test_preferences_and_optouts(client):
    jane = await _jane(client)
    other = await _jane(client, phone="+14155552672", email="bo@example.com", first_name="Bo")
    r = await client.put(
        f"{BASE}/{jane['id']}/preferences",
        json={"preferences": {"sms": "opted_out", "email": "opted_in"}},
    )
    assert r.status_code == 200, r.text
    prefs = r.json()["data"]
    assert prefs["sms"] == "opted_out" and prefs["email"] == "opted_in"
    assert prefs["whatsapp"] == "unknown"
    history = (await client.get(f"/v1/contacts/{jane['id']}/consent")).json()["data"]
    assert {(h["channel"], h["to"], h["source"]) for h in history} == {
        ("sms", "opted_out", "api:omnichannel"),
        ("email", "opted_in", "api:omnichannel"),
    }
    await client.put(
        f"{BASE}/{other['id']}/preferences", json={"preferences": {"viber": "opted_out"}}
    )
    r = await client.get(f"{BASE}/optouts")
    assert r.status_code == 200, r.text
    assert {c["id"] for c in r.json()["data"]} == {jane["id"], other["id"]}
    _meta(r.json(), paged=True)
    r = await client.get(f"{BASE}/optouts", params={"channel": "sms"})
    assert [c["id"] for c in r.json()["data"]] == [jane["id"]]
    assert r.json()["data"][0]["preferences"]["sms"] == "opted_out"
    r = await client.get(f"{BASE}/optouts", params={"search": "bo@"})
    assert [c["id"] for c in r.json()["data"]] == [other["id"]]
    _error(await client.get(f"{BASE}/optouts", params={"channel": "fax"}), 400, "VALIDATION_ERROR")


async def test_lists(client):
    jane = await _jane(client)
    r = await client.post(f"{BASE}/lists", json={"name": "VIP", "description": "Best"})
    assert r.status_code == 201, r.text
    made = r.json()["data"]
    assert made["name"] == "VIP" and made["member_count"] == 0
    r = await client.get(f"{BASE}/lists")
    assert [x["id"] for x in r.json()["data"]] == [made["id"]]
    _meta(r.json(), paged=True)
    r = await client.put(f"{BASE}/lists/{made['id']}", json={"description": "Top"})
    assert r.status_code == 200 and r.json()["data"]["description"] == "Top"
    assert r.json()["data"]["name"] == "VIP"
    await client.post(f"/v1/lists/{made['id']}/members", json={"contact_ids": [jane["id"]]})
    r = await client.get(f"{BASE}/lists/{made['id']}/members", params={"limit": 10})
    assert r.status_code == 200 and [c["id"] for c in r.json()["data"]] == [jane["id"]]
    assert set(r.json()["data"][0]) == CONTACT_KEYS
    assert (await client.delete(f"{BASE}/lists/{made['id']}")).status_code == 204
    _error(await client.get(f"{BASE}/lists/{made['id']}/members"), 404, "NOT_FOUND")
    assert (await client.get(f"{BASE}/{jane['id']}")).status_code == 200  # members stay
    dup = await client.post(f"{BASE}/lists", json={"name": "Dup"})
    error = _error(await client.post(f"{BASE}/lists", json={"name": "Dup"}), 409, "CONFLICT")
    assert error["details"] == {"field": "name", "conflicting_id": dup.json()["data"]["id"]}


async def test_segments(client):
    jane = await _jane(client)
    rules = {"field": "tags", "op": "has", "value": "beta-tester"}
    r = await client.post(f"{BASE}/segments", json={"name": "Beta", "filter": rules})
    assert r.status_code == 201, r.text
    made = r.json()["data"]
    assert made["filter"] == rules and made["contact_count"] == 1
    r = await client.get(f"{BASE}/segments", params={"limit": 10})
    assert [s["id"] for s in r.json()["data"]] == [made["id"]]
    _meta(r.json(), paged=True)
    bad = {"field": "nope", "op": "eq", "value": 1}
    error = _error(
        await client.post(f"{BASE}/segments", json={"name": "X", "filter": bad}),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"]["field"].startswith("filter")
    assert (await client.delete(f"{BASE}/segments/{made['id']}")).status_code == 204
    assert (await client.get(f"{BASE}/segments")).json()["data"] == []
    assert (await client.get(f"{BASE}/{jane['id']}")).status_code == 200  # contacts unaffected
    _error(await client.delete(f"{BASE}/segments/{made['id']}"), 404, "NOT_FOUND")


async def test_the_same_contact_through_v1(client):
    jane = await _jane(client)
    native = (await client.get(f"/v1/contacts/{jane['id']}")).json()
    assert (native["country"], native["status"], native["source"]) == (
        "US",
        "lead",
        "api:omnichannel",
    )
    assert native["custom_fields"] == {"plan": "pro"}
    await client.patch(f"/v1/contacts/{jane['id']}", json={"status": "churned"})
    got = (await client.get(f"{BASE}/{jane['id']}")).json()["data"]
    assert got["lifecycle_stage"] == "churned"


async def test_not_found(client):
    jane = await _jane(client)
    missing = str(uuid.uuid4())
    for method, path in (
        ("GET", f"{BASE}/{missing}"),
        ("GET", f"{BASE}/con_abc123"),
        ("PUT", f"{BASE}/{missing}"),
        ("DELETE", f"{BASE}/{missing}"),
        ("POST", f"{BASE}/{missing}/tags"),
        ("DELETE", f"{BASE}/{missing}/tags/x"),
        ("GET", f"{BASE}/{missing}/activity"),
        ("PUT", f"{BASE}/{missing}/preferences"),
        ("PUT", f"{BASE}/lists/{missing}"),
        ("DELETE", f"{BASE}/lists/{missing}"),
        ("GET", f"{BASE}/lists/{missing}/members"),
        ("DELETE", f"{BASE}/segments/{missing}"),
    ):
        body = {
            "PUT": {"preferences": {"sms": "opted_in"}} if path.endswith("preferences") else {},
            "POST": {"tags": ["x"]},
        }.get(method)
        r = await client.request(method, path, json=body)
        _error(r, 404, "NOT_FOUND")
    assert (await client.get(f"{BASE}/{jane['id']}")).status_code == 200


async def test_duplicate_and_validation(client):
    jane = await _jane(client)
    error = _error(await client.post(BASE, json={"phone": "+1 415 555 2671"}), 409, "CONFLICT")
    assert error["details"] == {"field": "phone", "conflicting_id": jane["id"]}
    other = await _jane(client, phone="+14155552672", email="o@example.com")
    error = _error(
        await client.put(f"{BASE}/{other['id']}", json={"email": "JANE@example.com"}),
        409,
        "CONFLICT",
    )
    assert error["details"]["field"] == "email"
    error = _error(
        await client.post(BASE, json={"phone": "+1234567890", "country_code": "XX"}),
        422,
        "VALIDATION_ERROR",
    )
    assert {e["field"] for e in error["details"]["errors"]} == {"phone", "country_code"}
    error = _error(await client.post(BASE, json={"first_name": "No id"}), 422, "VALIDATION_ERROR")
    assert error["details"]["field"] == "phone"
    error = _error(
        await client.post(BASE, json={"email": "a@b.io", "name": "x"}), 422, "VALIDATION_ERROR"
    )
    assert error["details"]["field"] == "name"
    error = _error(
        await client.put(f"{BASE}/{jane['id']}", json={"metadata": {"bad key!": 1}}),
        422,
        "VALIDATION_ERROR",
    )
    assert error["details"]["field"].startswith("metadata")
    _error(
        await client.post(BASE, content=b"{", headers={"content-type": "application/json"}),
        400,
        "VALIDATION_ERROR",
    )
    _error(await client.get(BASE, params={"cursor": "garbage"}), 400, "INVALID_CURSOR")


async def test_limits(client):
    jane = await _jane(client)
    for path in ("", "/optouts", "/lists", "/segments", f"/{jane['id']}/activity"):
        error = _error(
            await client.get(BASE + path, params={"limit": 101}), 400, "VALIDATION_ERROR"
        )
        assert error["details"]["field"] == "limit"
        assert (await client.get(BASE + path, params={"limit": 100})).status_code == 200
    tags = [f"t{i}" for i in range(101)]
    error = _error(
        await client.post(f"{BASE}/{jane['id']}/tags", json={"tags": tags}), 422, "VALIDATION_ERROR"
    )
    assert error["details"]["field"] == "tags"
    error = _error(
        await client.post(BASE, json={"email": "t@b.io", "tags": tags}), 422, "VALIDATION_ERROR"
    )
    assert error["details"]["field"] == "tags"


async def test_credentials_and_scopes(env: Env):
    tenant_id, reader_key = await env.tenant(scopes=["contacts:read"])
    async with env.client() as anonymous:
        _error(await anonymous.get(BASE), 401, "UNAUTHORIZED")
    async with env.client("rk_live_wrong") as wrong:
        _error(await wrong.get(f"{BASE}/lists"), 401, "UNAUTHORIZED")
    missing = uuid.uuid4()
    async with env.client(reader_key) as reader:
        for path in ("", "/optouts", "/lists", "/segments"):
            assert (await reader.get(BASE + path)).status_code == 200, path
        for method, path, body in (
            ("POST", "", JANE),
            ("PUT", f"/{missing}", {}),
            ("DELETE", f"/{missing}", None),
            ("POST", f"/{missing}/tags", {"tags": ["x"]}),
            ("PUT", f"/{missing}/preferences", {"preferences": {}}),
            ("POST", "/lists", {"name": "x"}),
            (
                "POST",
                "/segments",
                {"name": "x", "filter": {"field": "tags", "op": "has", "value": "x"}},
            ),
        ):
            r = await reader.request(method, BASE + path, json=body)
            _error(r, 403, "INSUFFICIENT_PERMISSIONS")
    writer_key = await env.key(tenant_id, ["contacts:write"])
    async with env.client(writer_key) as writer:
        _error(await writer.get(BASE), 403, "INSUFFICIENT_PERMISSIONS")


async def test_rate_limit(env: Env):
    tenant_id, _ = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        made = await tenants.create_api_key(
            conn, tenant_id, name="slow", scopes=["contacts:read"], rate_limit="1/hour"
        )
    async with env.client(made.key) as slow:
        assert (await slow.get(BASE)).status_code == 200
        r = await slow.get(f"{BASE}/lists")
        _error(r, 429, "RATE_LIMIT_EXCEEDED")
        assert int(r.headers["retry-after"]) >= 1


async def test_another_tenants_objects_are_not_found(env: Env, client):
    jane = await _jane(client)
    made_list = (await client.post(f"{BASE}/lists", json={"name": "Mine"})).json()["data"]
    rules = {"field": "tags", "op": "has", "value": "x"}
    segment = (await client.post(f"{BASE}/segments", json={"name": "S", "filter": rules})).json()
    _, other_key = await env.tenant()
    async with env.client(other_key) as other:
        for method, path, body in (
            ("GET", f"/{jane['id']}", None),
            ("PUT", f"/{jane['id']}", {"first_name": "X"}),
            ("DELETE", f"/{jane['id']}", None),
            ("POST", f"/{jane['id']}/tags", {"tags": ["x"]}),
            ("GET", f"/{jane['id']}/activity", None),
            ("PUT", f"/{jane['id']}/preferences", {"preferences": {"sms": "opted_out"}}),
            ("PUT", f"/lists/{made_list['id']}", {"name": "Theirs"}),
            ("GET", f"/lists/{made_list['id']}/members", None),
            ("DELETE", f"/lists/{made_list['id']}", None),
            ("DELETE", f"/segments/{segment['data']['id']}", None),
        ):
            _error(await other.request(method, BASE + path, json=body), 404, "NOT_FOUND")
        assert (await other.get(BASE)).json()["data"] == []
        assert (await other.get(f"{BASE}/lists")).json()["data"] == []
    got = (await client.get(f"{BASE}/{jane['id']}")).json()["data"]
    assert got == jane


async def test_openapi_document(client):
    doc = (await client.get("/openapi.json")).json()
    operations = [
        op
        for path, item in doc["paths"].items()
        if path.startswith("/compat/omnichannel/")
        for op in item.values()
    ]
    ids = {op["operationId"] for op in operations}
    assert len(ids) == len(operations) == 18
    assert {"omnichannel_contacts_create", "omnichannel_lists_members_list"} <= ids
    assert all(i.startswith("omnichannel_") for i in ids)
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/OmnichannelError"}}}
    for op in operations:
        assert op["tags"] == ["compat: omnichannel"]
        for status, response in op["responses"].items():
            if int(status) >= 400:
                assert response["content"] == error, (op["operationId"], status)
