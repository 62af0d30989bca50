"""Every kind of bad input the foundation issue lists, each answered with a clear problem."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from roster.app import create_app
from tests.conftest import make_contact


def assert_problem(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"] == f"/problems/{code}"
    assert body["title"]
    return body


def fields_of(body: dict) -> list[str]:
    return [e["field"] for e in body["errors"]]


async def test_malformed_json_is_400(client):
    r = await client.post(
        "/v1/contacts", content=b'{"phone": "+1415', headers={"Content-Type": "application/json"}
    )
    assert_problem(r, 400, "invalid_request")
    r = await client.post("/v1/contacts", content=b"", headers={"Content-Type": "application/json"})
    assert r.status_code in (400, 422)
    assert r.headers["content-type"] == "application/problem+json"


async def test_unknown_and_read_only_fields_are_422_naming_them(client):
    r = await client.post("/v1/contacts", json={"phone": "+14155550120", "favourite": "x"})
    body = assert_problem(r, 422, "validation_error")
    assert body["errors"] == [{"field": "favourite", "message": "unknown field"}]
    for field, value in (
        ("id", "01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55"),
        ("version", 9),
        ("created_at", "2026-01-01T00:00:00Z"),
        ("tenant_id", "x"),
        ("deleted_at", None),
        ("updated_at", "2026-01-01T00:00:00Z"),
    ):
        r = await client.post("/v1/contacts", json={"phone": "+14155550121", field: value})
        body = assert_problem(r, 422, "validation_error")
        assert body["errors"] == [{"field": field, "message": "read-only field"}]
    c = await make_contact(client)
    r = await client.patch(f"/v1/contacts/{c['id']}", json={"version": 7})
    assert_problem(r, 422, "validation_error")
    assert (await client.get(f"/v1/contacts/{c['id']}")).json()["version"] == 1
    assert (await client.get("/v1/contacts", params={"include_total": "true"})).json()["total"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("phone", "12"),
        ("phone", "not a phone"),
        ("phone", "+999 1234 5678"),
        ("email", "jane@"),
        ("email", "jane at example.com"),
        ("country", "XX"),
        ("country", "USA"),
        ("language", "xx-YY"),
        ("language", "english please"),
        ("avatar_url", "ftp://example.com/a.png"),
        ("first_name", "x" * 256),
        ("handles", {"whatsapp": "nope"}),
        ("handles", {"fax": "+14155550123"}),
        ("preferences", {"sms": "maybe"}),
        ("preferences", {"pigeon": "opted_in"}),
        ("tags", "vip"),
        ("custom_fields", ["a"]),
        ("suppressed", "sometimes"),
        ("source", None),
        ("tags", None),
    ],
)
async def test_invalid_field_is_422_naming_it(client, field, value):
    r = await client.post(
        "/v1/contacts",
        json={"email": "ok@example.com", field: value} if field != "email" else {field: value},
    )
    body = assert_problem(r, 422, "validation_error")
    assert any(f == field or f.startswith(f"{field}.") for f in fields_of(body)), body


async def test_every_bad_field_is_reported_at_once(client):
    r = await client.post("/v1/contacts", json={"phone": "12", "email": "x@", "country": "ZZ"})
    body = assert_problem(r, 422, "validation_error")
    assert sorted(fields_of(body)) == ["country", "email", "phone"]
    assert body["detail"] == "3 fields are invalid"


async def test_a_contact_needs_an_identifier(client):
    r = await client.post("/v1/contacts", json={"first_name": "Nobody"})
    body = assert_problem(r, 422, "validation_error")
    assert "phone" in fields_of(body)
    c = await make_contact(client, email="only@example.com")
    r = await client.patch(f"/v1/contacts/{c['id']}", json={"email": None})
    assert_problem(r, 422, "validation_error")


async def test_size_limits_on_tags_and_custom_fields(client):
    cases = {
        "101 tags": {"tags": [f"t{i}" for i in range(101)]},
        "65-char tag": {"tags": ["x" * 65]},
        "empty tag": {"tags": ["  "]},
        "101 custom-field keys": {"custom_fields": {f"k{i}": i for i in range(101)}},
        "17 KiB of custom fields": {"custom_fields": {"blob": "x" * (17 * 1024)}},
        "bad custom-field key": {"custom_fields": {"has space": 1}},
    }
    for name, extra in cases.items():
        r = await client.post("/v1/contacts", json={"email": "lim@example.com", **extra})
        body = assert_problem(r, 422, "validation_error")
        assert fields_of(body)[0] in ("tags", "custom_fields"), name
    ok = await client.post(
        "/v1/contacts",
        json={
            "email": "lim@example.com",
            "tags": [f"t{i}" for i in range(100)],
            "custom_fields": {f"k{i}": i for i in range(100)},
        },
    )
    assert ok.status_code == 201


async def test_body_over_the_limit_is_413(env):
    settings = env.settings.model_copy(update={"max_body_bytes": 2048})
    app = create_app(settings)
    _, key = await env.tenant()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://t", headers={"Authorization": f"Bearer {key}"}
        ) as http:
            big = {"email": "big@example.com", "status": "x" * 4096}
            r = await http.post("/v1/contacts", json=big)
            assert_problem(r, 413, "payload_too_large")

            async def chunks():  # no Content-Length: counted as it streams
                yield b'{"email": "big@example.com", "status": "'
                for _ in range(10):
                    yield b"x" * 1024
                yield b'"}'

            r = await http.post(
                "/v1/contacts", content=chunks(), headers={"Content-Type": "application/json"}
            )
            assert_problem(r, 413, "payload_too_large")
            assert (await http.get("/v1/contacts")).json()["data"] == []


async def test_another_tenants_id_is_404_exactly_like_a_missing_one(env, client):
    _, other_key = await env.tenant()
    async with env.client(other_key) as other:
        theirs = await make_contact(other, phone="+14155550130")
    missing = "01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55"
    for method, suffix, body in (
        ("GET", "", None),
        ("PATCH", "", {"company": "X"}),
        ("PUT", "", {"company": "X"}),
        ("DELETE", "", None),
        ("POST", "/restore", None),
        ("POST", "/tags", {"tags": ["a"]}),
        ("DELETE", "/tags/a", None),
    ):
        foreign = await client.request(method, f"/v1/contacts/{theirs['id']}{suffix}", json=body)
        absent = await client.request(method, f"/v1/contacts/{missing}{suffix}", json=body)
        assert_problem(foreign, 404, "not_found")
        assert foreign.json() == absent.json()
    assert (
        await client.get("/v1/contacts/lookup", params={"phone": "+14155550130"})
    ).status_code == 404
    # the same phone is free in this tenant: uniqueness is per tenant
    mine = await make_contact(client, phone="+14155550130")
    assert mine["id"] != theirs["id"]
    async with env.client(other_key) as other:
        after = (await other.get(f"/v1/contacts/{theirs['id']}")).json()
    assert after == theirs


async def test_malformed_id_in_path_is_404(client):
    r = await client.get("/v1/contacts/not-a-uuid")
    assert_problem(r, 404, "not_found")


async def test_concurrent_creates_of_one_phone_in_different_formats(client):
    formats = [
        "+14155550140",
        "(415) 555-0140",
        "415.555.0140",
        "1 415 555 0140",
        "+1-415-555-0140",
        "4155550140",
        "1-415-555-0140",
        "+1 (415) 5550140",
        "tel:+1-415-555-0140",
        "415 5550140",
    ] * 2
    responses = await asyncio.gather(
        *(
            client.post("/v1/contacts", json={"phone": p, "first_name": f"n{i}"})
            for i, p in enumerate(formats)
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, [r.text for r in responses]
    assert statuses.count(409) == 19
    winner = next(r.json() for r in responses if r.status_code == 201)
    for r in responses:
        if r.status_code == 409:
            assert r.json()["field"] == "phone"
            assert r.json()["conflicting_id"] == winner["id"]
    listed = (await client.get("/v1/contacts", params={"include_total": "true"})).json()
    assert listed["total"] == 1


async def test_nul_is_refused_everywhere_alike_naming_the_field(client):
    # PostgreSQL holds NUL in no text or JSON value: without the guard these failed deep in
    # a query (500) there and were stored on SQLite.
    nul = "a\u0000b"
    cases = [
        ("POST", "/v1/contacts", {"email": "n1@example.com", "custom_fields": {"k": nul}}, None),
        ("POST", "/v1/contacts", {"email": "n2@example.com", "custom_fields": {nul: 1}}, None),
        ("POST", "/v1/contacts", {"email": "n3@example.com", "tags": ["ok", nul]}, None),
        (
            "POST",
            "/v1/contacts/search",
            {
                "filter": {
                    "all": [
                        {"field": "status", "op": "eq", "value": "lead"},
                        {"field": "first_name", "op": "eq", "value": nul},
                    ]
                }
            },
            None,
        ),
    ]
    fields = ["custom_fields.k", "custom_fields.a\\u0000b", "tags[1]", "filter.all[1].value"]
    for (method, path, body, _), field in zip(cases, fields, strict=True):
        response = await client.request(method, path, json=body)
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "validation_error"
        assert problem["errors"] == [
            {"field": field, "message": "must not contain the NUL character (U+0000)"}
        ]
    for params in ({"tag": nul}, {"q": nul}, {"custom_fields.k": nul}, {nul: "x"}):
        response = await client.get("/v1/contacts", params=params)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_request"
        assert response.json()["errors"][0]["message"].startswith("must not contain the NUL")
    exported = await client.get("/v1/contacts/export", params={"tag": nul})
    assert exported.status_code == 400
    # In a batch, the item holding NUL fails alone.
    batch = await client.post(
        "/v1/contacts/batch",
        json={
            "contacts": [{"email": "n4@example.com"}, {"email": "n5@example.com", "company": nul}]
        },
    )
    assert batch.status_code == 200, batch.text
    results = batch.json()["results"]
    assert [r["status"] for r in results] == ["created", "failed"]
    assert results[1]["error"]["errors"] == [
        {"field": "company", "message": "must not contain the NUL character (U+0000)"}
    ]
    # Nothing else was written; a backslash followed by "u0000" is not NUL and is kept.
    listed = (await client.get("/v1/contacts", params={"include_total": "true"})).json()
    assert listed["total"] == 1
    kept = await make_contact(client, email="bs@example.com", custom_fields={"k": "\\u0000"})
    assert kept["custom_fields"] == {"k": "\\u0000"}


async def test_query_parameters_must_be_utf8(client):
    # Percent-decoded bytes that are not UTF-8 were read as U+FFFD and searched for; every
    # route refuses them alike, naming the parameter (or the name itself when it is bad).
    cases = [
        ("/v1/contacts?q=%ff%fe", "q"),
        ("/v1/contacts?tag=ok&tag=%c3", "tag"),
        ("/v1/contacts?custom_fields.k=a%80b", "custom_fields.k"),
        ("/v1/contacts?%ff=1", "\ufffd"),
        ("/v1/contacts/export?q=%ed%a0%80", "q"),  # an encoded surrogate is not UTF-8 either
        ("/v1/lists?cursor=%fe", "cursor"),
        ("/v1/contacts/00000000-0000-0000-0000-000000000000?x=%ff", "x"),
    ]
    for url, field in cases:
        response = await client.get(url)
        assert response.status_code == 400, (url, response.text)
        problem = response.json()
        assert problem["code"] == "invalid_request"
        assert problem["errors"] == [
            {"field": field, "message": "must be UTF-8 once percent-decoded"}
        ], url
    # Encoded UTF-8 is read as usual.
    made = await make_contact(client, first_name="Zoë")
    found = await client.get("/v1/contacts?q=zo%C3%AB")
    assert found.status_code == 200, found.text
    assert [c["id"] for c in found.json()["data"]] == [made["id"]]
