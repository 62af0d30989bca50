"""The channel dialect (reference 002): every request the document lists, then its error
answers, limits, scopes, rate limit and tenancy, on both engines.

The document names each request and its limits but its samples are not in the reference
text; each request is made here as the platform's published samples make it
(``by_custom_field?name=firstName&value=Muhammad%20Mahin``, ``{"custom_fields": [{"name",
"value"}]}``, ``{"tags": [...]}``), with the changes Roster needs: the host (the app), the
token (a Roster key instead of a channel token), ids (Roster's UUIDs, made first) and the
sample phone ``123123`` (not a phone number: ``+14155552671`` instead).
"""

from __future__ import annotations

import base64
import uuid

from roster.kit.db import transaction
from roster.tenants import service as tenants
from tests.conftest import Env
from tests.helpers.apps import app_with, client_for

BASE = "/compat/channel/v1/contact"
PHONE = "+14155552671"
CONTACT_KEYS = {"id", "custom_fields", "tags", "created_at"}
FIELD_KEYS = {"firstName", "lastName", "profilePic", "language", "phone", "email"}
MAHIN = [
    {"name": "firstName", "value": "Muhammad Mahin"},
    {"name": "lastName", "value": "Dar"},
    {"name": "language", "value": "en-GB"},
    {"name": "phone", "value": PHONE},
    {"name": "email", "value": "muhammad@example.com"},
    {"name": "customerid", "value": "1"},
    {"name": "vip", "value": True},
]


def _contact(response):
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"data"}
    data = body["data"]
    assert set(data) == CONTACT_KEYS, data
    assert set(data["custom_fields"]) >= FIELD_KEYS
    assert isinstance(data["created_at"], int)
    return data


def _error(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body == {"code": status, "message": body["message"]}, body
    return body["message"]


async def _mahin(client, fields=MAHIN):
    return _contact(await client.post(BASE, json={"custom_fields": fields}))


async def test_create_contact(client):
    mahin = await _mahin(client)
    uuid.UUID(mahin["id"])
    assert mahin["custom_fields"] == {
        "firstName": "Muhammad Mahin",
        "lastName": "Dar",
        "profilePic": None,
        "language": "en-GB",
        "phone": PHONE,
        "email": "muhammad@example.com",
        "customerid": "1",
        "vip": True,
    }
    assert mahin["tags"] == []


async def test_get_contact_by_custom_field(client):
    mahin = await _mahin(client)
    other = [
        {"name": "firstName", "value": "Ann"},
        {"name": "email", "value": "ann@example.com"},
        {"name": "vip", "value": False},
    ]
    ann = await _mahin(client, other)
    r = await client.get(f"{BASE}/by_custom_field?name=firstName&value=Muhammad%20Mahin")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"data", "links", "meta"}
    assert body["data"] == [mahin]
    path = str(client.base_url).rstrip("/") + BASE + "/by_custom_field"
    assert body["links"] == {
        "first": f"{path}?name=firstName&value=Muhammad+Mahin&page=1",
        "last": f"{path}?name=firstName&value=Muhammad+Mahin&page=1",
        "prev": None,
        "next": None,
    }
    assert body["meta"] == {
        "current_page": 1,
        "from": 1,
        "last_page": 1,
        "path": path,
        "per_page": 10,
        "to": 1,
        "total": 1,
    }
    # A phone with its "+" as %2B (and, forgiven, as a raw "+" that arrives as a space).
    for raw in ("%2B14155552671", "+14155552671"):
        r = await client.get(f"{BASE}/by_custom_field?name=phone&value={raw}")
        assert [c["id"] for c in r.json()["data"]] == [mahin["id"]], raw
    r = await client.get(f"{BASE}/by_custom_field?name=email&value=MUHAMMAD@example.com")
    assert [c["id"] for c in r.json()["data"]] == [mahin["id"]]
    # Booleans as true / false; a number's text finds the string or the number.
    r = await client.get(f"{BASE}/by_custom_field?name=vip&value=true")
    assert [c["id"] for c in r.json()["data"]] == [mahin["id"]]
    r = await client.get(f"{BASE}/by_custom_field?name=vip&value=false")
    assert [c["id"] for c in r.json()["data"]] == [ann["id"]]
    r = await client.get(f"{BASE}/by_custom_field?name=customerid&value=1")
    assert [c["id"] for c in r.json()["data"]] == [mahin["id"]]
    r = await client.get(f"{BASE}/by_custom_field?name=firstName&value=Nobody")
    assert r.json()["data"] == [] and r.json()["meta"]["total"] == 0
    assert r.json()["meta"]["from"] is None and r.json()["meta"]["to"] is None


async def test_by_custom_field_pages_ten_at_a_time(client):
    made = []
    for i in range(12):
        fields = [{"name": "email", "value": f"p{i}@example.com"}, {"name": "plan", "value": "pro"}]
        made.append(await _mahin(client, fields))
    first = await client.get(f"{BASE}/by_custom_field", params={"name": "plan", "value": "pro"})
    body = first.json()
    assert [c["id"] for c in body["data"]] == [c["id"] for c in made[:10]]  # oldest first
    assert body["meta"]["last_page"] == 2 and body["meta"]["total"] == 12
    assert body["links"]["next"].endswith("page=2") and body["links"]["prev"] is None
    params = {"name": "plan", "value": "pro", "page": 2}
    body = (await client.get(f"{BASE}/by_custom_field", params=params)).json()
    assert [c["id"] for c in body["data"]] == [c["id"] for c in made[10:]]
    assert (body["meta"]["from"], body["meta"]["to"]) == (11, 12)
    assert body["links"]["next"] is None and body["links"]["prev"].endswith("page=1")


async def test_get_contact_by_id(client):
    mahin = await _mahin(client)
    assert _contact(await client.get(f"{BASE}/{mahin['id']}")) == mahin
    # Viber channels send the id Base64-encoded.
    encoded = base64.b64encode(mahin["id"].encode()).decode()
    assert _contact(await client.get(f"{BASE}/{encoded}")) == mahin


async def test_update_contact_by_id(client):
    mahin = await _mahin(client)
    r = await client.put(
        f"{BASE}/{mahin['id']}",
        json={
            "custom_fields": [
                {"name": "firstName", "value": "Muhammad Mahin"},
                {"name": "lastName", "value": "Dar"},
                {"name": "profilePic", "value": "https://cdn.example.com/mahin.png"},
                {"name": "customerid", "value": "2"},
                {"name": "vip", "value": None},
            ]
        },
    )
    fields = _contact(r)["custom_fields"]
    assert fields["profilePic"] == "https://cdn.example.com/mahin.png"
    assert fields["customerid"] == "2" and "vip" not in fields
    assert fields["phone"] == PHONE and fields["email"] == "muhammad@example.com"


async def test_add_and_remove_tags_by_id(client):
    mahin = await _mahin(client)
    r = await client.post(
        f"{BASE}/{mahin['id']}/tags", json={"tags": ["Blog Updates", "Platform Updates"]}
    )
    assert _contact(r)["tags"] == ["Blog Updates", "Platform Updates"]
    r = await client.post(f"{BASE}/{mahin['id']}/tags", json={"tags": ["Blog Updates", "VIP"]})
    assert _contact(r)["tags"] == ["Blog Updates", "Platform Updates", "VIP"]
    r = await client.request(
        "DELETE", f"{BASE}/{mahin['id']}/tags", json={"tags": ["Blog Updates", "VIP", "absent"]}
    )
    assert _contact(r)["tags"] == ["Platform Updates"]


async def test_the_same_contact_through_v1(client):
    mahin = await _mahin(client)
    native = (await client.get(f"/v1/contacts/{mahin['id']}")).json()
    assert (native["first_name"], native["last_name"], native["language"]) == (
        "Muhammad Mahin",
        "Dar",
        "en-GB",
    )
    assert native["custom_fields"] == {"customerid": "1", "vip": True}
    assert native["source"] == "api:channel"
    await client.patch(f"/v1/contacts/{mahin['id']}", json={"avatar_url": "https://x.io/a.png"})
    fields = _contact(await client.get(f"{BASE}/{mahin['id']}"))["custom_fields"]
    assert fields["profilePic"] == "https://x.io/a.png"


async def test_limits(client):
    mahin = await _mahin(client)
    many = [{"name": f"f{i}", "value": i} for i in range(31)]
    assert "custom_fields" in _error(await client.post(BASE, json={"custom_fields": many}), 403)
    r = await client.put(f"{BASE}/{mahin['id']}", json={"custom_fields": many})
    assert "custom_fields" in _error(r, 403)
    r = await client.put(f"{BASE}/{mahin['id']}", json={"custom_fields": many[:30]})
    assert _contact(r)["custom_fields"]["f29"] == 29
    tags = [f"t{i}" for i in range(11)]
    for method in ("POST", "DELETE"):
        r = await client.request(method, f"{BASE}/{mahin['id']}/tags", json={"tags": tags})
        assert "tags" in _error(r, 403), method
        r = await client.request(method, f"{BASE}/{mahin['id']}/tags", json={"tags": tags[:10]})
        assert r.status_code == 200, method
    assert "tags" in _error(await client.post(f"{BASE}/{mahin['id']}/tags", json={"tags": []}), 403)


async def test_not_found_is_the_general_403(client):
    for method, path, body in (
        ("GET", f"{BASE}/{uuid.uuid4()}", None),
        ("PUT", f"{BASE}/{uuid.uuid4()}", {"custom_fields": MAHIN[:1]}),
        ("POST", f"{BASE}/{uuid.uuid4()}/tags", {"tags": ["a"]}),
        ("DELETE", f"{BASE}/{uuid.uuid4()}/tags", {"tags": ["a"]}),
        ("GET", f"{BASE}/1776025372480910", None),
    ):
        r = await client.request(method, path, json=body)
        assert _error(r, 403) == "Contact not found", (method, path)


async def test_duplicates_and_validation(client):
    mahin = await _mahin(client)
    r = await client.post(BASE, json={"custom_fields": [{"name": "phone", "value": "4155552671"}]})
    assert _error(r, 403) == "a contact with this phone already exists"
    r = await client.post(BASE, json={"custom_fields": [{"name": "phone", "value": "123123"}]})
    assert _error(r, 403).startswith("phone:")
    r = await client.post(BASE, json={"custom_fields": [{"name": "firstName", "value": "Only"}]})
    assert "phone" in _error(r, 403)
    fields = [{"name": "email", "value": "x@example.com"}, {"name": "email", "value": "y@x.io"}]
    assert "given twice" in _error(await client.post(BASE, json={"custom_fields": fields}), 403)
    bad = [{"name": "email", "value": "z@example.com"}, {"name": "bad key!", "value": 1}]
    assert "not a valid name" in _error(await client.post(BASE, json={"custom_fields": bad}), 403)
    r = await client.put(
        f"{BASE}/{mahin['id']}", json={"custom_fields": [{"name": "profilePic", "value": "x"}]}
    )
    assert _error(r, 403).startswith("profilePic:")
    assert "name" in _error(await client.get(f"{BASE}/by_custom_field?value=x"), 403)
    assert "value" in _error(await client.get(f"{BASE}/by_custom_field?name=x"), 403)
    r = await client.get(f"{BASE}/by_custom_field?name=phone&value=123123")
    assert "phone" in _error(r, 403)
    r = await client.post(BASE, content=b"{", headers={"content-type": "application/json"})
    _error(r, 403)


async def test_credentials_scopes_and_methods(env: Env, client):
    tenant_id, reader_key = await env.tenant(scopes=["contacts:read"])
    async with env.client() as anonymous:
        r = await anonymous.get(f"{BASE}/by_custom_field?name=firstName&value=x")
        _error(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")
    async with env.client("wrong-channel-token") as wrong:
        _error(await wrong.get(f"{BASE}/{uuid.uuid4()}"), 401)
    async with env.client(reader_key) as reader:
        r = await reader.get(f"{BASE}/by_custom_field?name=firstName&value=x")
        assert r.status_code == 200
        for method, path, body in (
            ("POST", BASE, {"custom_fields": MAHIN}),
            ("PUT", f"{BASE}/{uuid.uuid4()}", {"custom_fields": MAHIN}),
            ("POST", f"{BASE}/{uuid.uuid4()}/tags", {"tags": ["a"]}),
            ("DELETE", f"{BASE}/{uuid.uuid4()}/tags", {"tags": ["a"]}),
        ):
            r = await reader.request(method, path, json=body)
            assert "contacts:write" in _error(r, 403), (method, path)
    writer_key = await env.key(tenant_id, ["contacts:write"])
    async with env.client(writer_key) as writer:
        assert "contacts:read" in _error(await writer.get(f"{BASE}/{uuid.uuid4()}"), 403)
    mahin = await _mahin(client)
    for method in ("PATCH", "DELETE"):
        _error(await client.request(method, f"{BASE}/{mahin['id']}"), 405)
    _error(await client.get(BASE), 405)
    assert _contact(await client.get(f"{BASE}/{mahin['id']}")) == mahin


async def test_the_documented_rate_limit_applies_by_default(env: Env, client):
    r = await client.get(f"{BASE}/by_custom_field?name=firstName&value=x")
    assert r.status_code == 200
    assert r.headers["ratelimit-policy"] == '"channel";q=200;w=60'
    assert r.headers["ratelimit"].startswith('"channel";r=199;')
    # Roster's own routes keep the credential's own limit.
    assert (await client.get("/v1/contacts")).headers["ratelimit-policy"].startswith('"default"')


async def test_the_rate_limit_is_configurable_and_answers_429(env: Env):
    tenant_id, key = await env.tenant()
    async with (
        app_with(env, dialect_channel_rate_limit="2/hour") as app,
        client_for(app, key) as http,
    ):
        for _ in range(2):
            r = await http.get(f"{BASE}/by_custom_field?name=firstName&value=x")
            assert r.status_code == 200, r.text
        r = await http.get(f"{BASE}/{uuid.uuid4()}")
        _error(r, 429)
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["ratelimit-policy"] == '"channel";q=2;w=3600'
        # Per credential: another key of the tenant has its own count.
        other = await env.key(tenant_id, ["contacts:read", "contacts:write"])
        async with client_for(app, other) as second:
            r = await second.get(f"{BASE}/by_custom_field?name=firstName&value=x")
            assert r.status_code == 200
        # Roster's own routes are not counted against the channel limit.
        assert (await http.get("/v1/contacts")).status_code == 200


async def test_a_key_s_own_tighter_limit_still_applies(env: Env):
    tenant_id, _ = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        made = await tenants.create_api_key(
            conn, tenant_id, name="slow", scopes=["contacts:read"], rate_limit="1/hour"
        )
    async with env.client(made.key) as slow:
        r = await slow.get(f"{BASE}/by_custom_field?name=firstName&value=x")
        assert r.status_code == 200
        assert r.headers["ratelimit-policy"] == '"default";q=1;w=3600'
        _error(await slow.get(f"{BASE}/by_custom_field?name=firstName&value=x"), 429)


async def test_another_tenants_contact_is_not_found(env: Env, client):
    mahin = await _mahin(client)
    _, other_key = await env.tenant()
    async with env.client(other_key) as other:
        for method, path, body in (
            ("GET", f"{BASE}/{mahin['id']}", None),
            ("PUT", f"{BASE}/{mahin['id']}", {"custom_fields": MAHIN[:1]}),
            ("POST", f"{BASE}/{mahin['id']}/tags", {"tags": ["x"]}),
            ("DELETE", f"{BASE}/{mahin['id']}/tags", {"tags": ["x"]}),
        ):
            r = await other.request(method, path, json=body)
            assert _error(r, 403) == "Contact not found", (method, path)
        r = await other.get(f"{BASE}/by_custom_field?name=phone&value=%2B14155552671")
        assert r.json()["data"] == []
        assert (await other.post(BASE, json={"custom_fields": MAHIN})).status_code == 200
    assert _contact(await client.get(f"{BASE}/{mahin['id']}")) == mahin


async def test_openapi_document(client):
    doc = (await client.get("/openapi.json")).json()
    operations = {
        (method, path): op
        for path, item in doc["paths"].items()
        if path.startswith("/compat/channel/")
        for method, op in item.items()
    }
    assert {op["operationId"] for op in operations.values()} == {
        "channel_contacts_by_custom_field",
        "channel_contacts_create",
        "channel_contacts_get",
        "channel_contacts_update",
        "channel_contacts_tags_add",
        "channel_contacts_tags_remove",
    }
    for op in operations.values():
        assert op["tags"] == ["compat: channel"]
        for status, response in op["responses"].items():
            if int(status) >= 400:
                (media,) = response["content"]
                assert media == "application/json", (op["operationId"], status)
                schema = response["content"][media]["schema"]
                assert schema == {"$ref": "#/components/schemas/ChannelError"}
