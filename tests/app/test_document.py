"""The OpenAPI document states the rules the server enforces (issue 23, item 5): each test
pairs what the document says with what the server answers. tests/app/test_conformance.py
holds the two to each other for every operation; these pin the cases that were wrong."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
from openapi_spec_validator import validate

from roster.kit.operations import OPERATIONS, tag_of
from roster.kit.pagination import MAX_PAGE
from tests.conftest import make_contact


async def _document(client: httpx.AsyncClient) -> dict[str, Any]:
    body: dict[str, Any] = (await client.get("/openapi.json")).json()
    return body


def _validator(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A validator for ``schema``, whose references point into the document."""
    return jsonschema_rs.validator_for({**schema, "components": doc["components"]})


def _component(doc: dict[str, Any], name: str) -> Any:
    return _validator(doc, {"$ref": f"#/components/schemas/{name}"})


def _query(doc: dict[str, Any], path: str, name: str, method: str = "get") -> dict[str, Any]:
    parameters = doc["paths"][path][method]["parameters"]
    schema: dict[str, Any] = next(p for p in parameters if p["name"] == name)["schema"]
    return schema


async def test_limit_is_declared_as_the_server_bounds_it(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    for path, item in doc["paths"].items():
        for operation in item.values():
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "limit":
                    assert parameter["schema"]["minimum"] == 1, path
                    assert parameter["schema"]["maximum"] == 100, path
    search = doc["components"]["schemas"]["SearchBody"]["properties"]["limit"]
    assert (search["minimum"], search["maximum"]) == (1, 100)
    for limit, status in ((0, 400), (1, 200), (100, 200), (101, 400)):
        assert (await client.get("/v1/lists", params={"limit": limit})).status_code == status
        r = await client.post("/v1/contacts/search", json={"limit": limit})
        assert r.status_code == status


async def test_cursor_offset_and_page_exclude_each_other(client: httpx.AsyncClient) -> None:
    position = _query(await _document(client), "/v1/contacts", "position")
    assert position["maxProperties"] == 1
    assert set(position["properties"]) == {"cursor", "offset", "page"}
    assert position["properties"]["page"]["maximum"] == MAX_PAGE
    r = await client.get("/v1/contacts", params={"offset": 0, "page": 1})
    assert r.status_code == 400
    # The bound of page no longer depends on limit: the largest page is the same for all.
    assert (await client.get("/v1/contacts", params={"page": MAX_PAGE})).status_code == 200
    r = await client.get("/v1/contacts", params={"page": MAX_PAGE + 1, "limit": 10})
    assert r.status_code == 400


async def test_filter_strings_are_declared_non_empty(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    for name in ("tag", "any_tag"):
        items = _validator(doc, {"items": _query(doc, "/v1/contacts", name)["items"]})
        assert not items.is_valid([""]) and not items.is_valid([" " * 3])
        assert items.is_valid([" vip "])
        r = await client.get("/v1/contacts", params={name: ""})
        assert r.status_code == 400
    events = _validator(doc, _query(doc, "/v1/events", "type"))
    assert not events.is_valid([""]) and events.is_valid(["contact.*"])
    assert (await client.get("/v1/events", params={"type": ""})).status_code == 400


async def test_lookup_takes_exactly_one_identifier(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    identifier = _validator(doc, _query(doc, "/v1/contacts/lookup", "identifier"))
    assert not identifier.is_valid({})
    assert not identifier.is_valid({"email": "a@example.com", "external_id": "x"})
    assert identifier.is_valid({"external_id": "x"})
    for params, status in (
        ({}, 400),
        ({"email": "a@example.com", "external_id": "x"}, 400),
        ({"external_id": "nobody"}, 404),
    ):
        assert (await client.get("/v1/contacts/lookup", params=params)).status_code == status


async def test_no_request_string_admits_nul(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    contact = _component(doc, "ContactWrite")
    for body in (
        {"first_name": "a\x00b"},
        {"custom_fields": {"k\x00": 1}},
        {"custom_fields": {"k": {"deep": ["x\x00"]}}},
    ):
        assert not contact.is_valid(body), body
    assert contact.is_valid({"first_name": "ab", "custom_fields": {"k": {"deep": ["x"]}}})
    assert not _component(doc, "NoteCreate").is_valid({"body": "a\x00"})
    assert not _component(doc, "ActivityWrite").is_valid(
        {"type": "message.sent", "data": {"\x00": 1}}
    )
    assert not _validator(doc, _query(doc, "/v1/optouts", "q")).is_valid("a\x00")
    c = await make_contact(client)
    r = await client.post(f"/v1/contacts/{c['id']}/notes", json={"body": "a\x00"})
    assert r.status_code == 422
    assert (await client.get("/v1/optouts", params={"q": "a\x00"})).status_code == 400


async def test_fields_that_refuse_null_are_not_declared_nullable(
    client: httpx.AsyncClient,
) -> None:
    doc = await _document(client)
    for component, field in (
        ("ListUpdate", "name"),
        ("SegmentUpdate", "name"),
        ("SegmentUpdate", "filter"),
        ("NoteUpdate", "body"),
        ("WebhookUpdate", "enabled"),
        ("ContactWrite", "custom_fields"),
        ("ContactWrite", "suppressed"),
        ("PreferencesWrite", "suppressed"),
    ):
        validator = _component(doc, component)
        body = {field: None} if component != "PreferencesWrite" else {field: None, "source": "x"}
        assert not validator.is_valid(body), (component, field)
    assert _component(doc, "ListUpdate").is_valid({"description": None})
    made = (await client.post("/v1/lists", json={"name": "nulls"})).json()
    r = await client.patch(f"/v1/lists/{made['id']}", json={"name": None})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "name"


async def test_body_errors_are_declared_and_answered(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if "requestBody" in operation:
                assert {"400", "415"} <= set(operation["responses"]), (method, path)
    made = (await client.post("/v1/lists", json={"name": "bodies"})).json()
    r = await client.patch(f"/v1/lists/{made['id']}")
    assert (r.status_code, r.json()["code"]) == (400, "invalid_request")
    r = await client.patch(
        f"/v1/lists/{made['id']}", content=b'{"name": "x"}', headers={"content-type": "text/plain"}
    )
    assert (r.status_code, r.json()["code"]) == (415, "unsupported_media_type")
    assert r.headers["content-type"] == "application/problem+json"
    r = await client.post(
        "/v1/lists", content=b'{"name": "y"}', headers={"content-type": "application/json"}
    )
    assert r.status_code == 201
    assert (await client.get("/problems/unsupported_media_type")).status_code == 200


async def test_json_types_are_taken_as_declared(client: httpx.AsyncClient) -> None:
    # Pydantic's lax mode took 0 for false and a number of seconds for a date-time.
    r = await client.post("/v1/contacts/search", json={"include_total": 0})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "include_total"
    c = await make_contact(client)
    r = await client.post(
        f"/v1/contacts/{c['id']}/activities", json={"type": "message.sent", "occurred_at": 0}
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "occurred_at"


async def test_every_success_status_is_declared(client: httpx.AsyncClient) -> None:
    paths = (await _document(client))["paths"]
    assert {"200", "201"} <= set(paths["/v1/contacts/upsert"]["post"]["responses"])
    activities = paths["/v1/contacts/{contact_id}/activities"]["post"]["responses"]
    assert {"200", "201"} <= set(activities)


# Issue 26: a document any generator turns into a clean client.


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, item in doc["paths"].items()
        for method, operation in item.items()
        if not path.startswith("/compat/")
    ]


async def test_operations_have_short_stable_ids_and_one_tag(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    ids = [
        operation["operationId"] for item in doc["paths"].values() for operation in item.values()
    ]
    assert len(ids) == len(set(ids))
    live = {(m.upper(), p): op["operationId"] for m, p, op in _operations(doc)}
    # Every entry of the table names a live route, and every route has an entry.
    assert set(OPERATIONS) - set(live) == set(), "stale entries in kit/operations.py"
    assert set(live) - set(OPERATIONS) == set(), "add these routes to kit/operations.py"
    for key, operation_id in live.items():
        assert operation_id == OPERATIONS[key]
        assert re.fullmatch(r"[a-z]+(_[a-z]+){1,3}", operation_id), operation_id
    for _, _, operation in _operations(doc):
        assert operation["tags"] == [tag_of(operation["operationId"])]
    assert live[("GET", "/v1/contacts")] == "contacts_list"
    retry = ("POST", "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry")
    assert live[retry] == "webhooks_deliveries_retry"


async def test_schema_names_are_unique_and_meaningful(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    schemas = doc["components"]["schemas"]
    for name, schema in schemas.items():
        assert re.fullmatch(r"[A-Z][A-Za-z0-9]+", name), name
        assert (
            schema.get("title", name) == name or "title" not in schema or name in ("JsonValue",)
        ), (name, schema.get("title"))
    titles = [s["title"] for s in schemas.values() if "title" in s]
    assert len(titles) == len(set(titles))
    assert {"ContactBatchResponse", "ActivityBatchResponse"} <= set(schemas)
    sort = _query(doc, "/v1/contacts", "sort")
    sort = next(b for b in sort.get("anyOf", [sort]) if "enum" in b)
    assert dict(zip(sort["enum"], sort["x-enum-varnames"], strict=True))["-created_at"] == (
        "created_at_desc"
    )


async def test_headers_are_declared_where_they_occur(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    paths = doc["paths"]
    create = paths["/v1/contacts"]["post"]
    assert {"Location", "Idempotent-Replayed", "X-Request-Id", "RateLimit"} <= set(
        create["responses"]["201"]["headers"]
    )
    assert "Idempotency-Key" in {p["name"] for p in create["parameters"]}
    assert "ETag" in paths["/v1/contacts/{contact_id}"]["get"]["responses"]["200"]["headers"]
    update = paths["/v1/contacts/{contact_id}"]["patch"]
    assert "if-match" in {p["name"].lower() for p in update["parameters"]}
    for _, path, operation in _operations(doc):
        for status, response in operation["responses"].items():
            assert "X-Request-Id" in response.get("headers", {}), (path, status)
            if status in ("429", "503") and operation.get("security"):
                assert "Retry-After" in response["headers"], (path, status)
    # What the server sends matches.
    r = await client.post("/v1/contacts", json={"email": "hdr@example.com"})
    assert r.headers["location"] == f"/v1/contacts/{r.json()['id']}"
    assert r.headers["x-request-id"] and r.headers["ratelimit"]
    r = await client.get(r.headers["location"])
    assert r.headers["etag"] == '"1"'


async def test_every_error_response_is_a_problem(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    for method, path, operation in _operations(doc):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                content = response.get("content", {})
                assert content == {
                    "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                }, (method, path, status)


async def test_main_request_bodies_have_valid_examples(client: httpx.AsyncClient) -> None:
    doc = await _document(client)
    seen = 0
    for _, path, operation in _operations(doc):
        body = operation.get("requestBody", {}).get("content", {}).get("application/json")
        if body and "example" in body:
            seen += 1
            assert _validator(doc, body["schema"]).is_valid(body["example"]), path
    assert seen >= 15
    example = doc["paths"]["/v1/contacts"]["post"]["requestBody"]["content"]
    r = await client.post("/v1/contacts", json=example["application/json"]["example"])
    assert r.status_code == 201, r.text


async def test_document_is_valid_openapi(client: httpx.AsyncClient) -> None:
    validate(await _document(client))


async def test_a_generated_client_has_no_warning(client: httpx.AsyncClient, tmp_path: Path) -> None:
    """openapi-python-client reads the whole document: no operation, schema or parameter
    dropped, nothing it has to guess."""
    (tmp_path / "openapi.json").write_text(json.dumps(await _document(client)))
    output = _generate(tmp_path)
    assert "warning" not in output.lower(), output
    assert "Unable" not in output and "Skipping" not in output, output
    api = {p.stem for p in (tmp_path / "out" / "api" / "contacts").glob("*.py")}
    assert {"contacts_list", "contacts_create", "contacts_batch"} <= api


def _generate(where: Path) -> str:
    """Run openapi-python-client on ``where``/openapi.json; its output."""
    bin_dir = Path(sys.executable).parent
    command = [str(bin_dir / "openapi-python-client"), "generate", "--meta", "none"]
    result = subprocess.run(
        [*command, "--path", "openapi.json", "--output-path", "out"],
        cwd=where,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"},
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


async def test_docs_pages_work_offline(client: httpx.AsyncClient) -> None:
    for page, asset in (("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")):
        r = await client.get(page)
        assert r.status_code == 200
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", r.text), r.text
        assert f"/docs/assets/{asset}" in r.text
        script = await client.get(f"/docs/assets/{asset}")
        assert script.status_code == 200 and len(script.content) > 100_000
