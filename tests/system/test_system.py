"""Health, readiness, the OpenAPI document, problem pages, request ids and framework errors."""

from __future__ import annotations

import gc

import httpx

from roster.app import create_app


async def test_health_and_readiness_need_no_credential(env):
    async with env.client() as http:
        assert (await http.get("/healthz")).json() == {"status": "ok"}
        ready = await http.get("/readyz")
        assert ready.status_code == 200 and ready.json()["status"] == "ready"


async def test_request_id_is_echoed_or_made(client):
    made = await client.get("/healthz")
    assert len(made.headers["x-request-id"]) >= 16
    echoed = await client.get("/healthz", headers={"X-Request-Id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    unsafe = await client.get("/healthz", headers={"X-Request-Id": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
    error = await client.get(
        "/v1/contacts/01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55", headers={"X-Request-Id": "req-404"}
    )
    assert error.headers["x-request-id"] == "req-404"


async def test_framework_errors_are_problem_json(client):
    unknown = await client.get("/v1/nothing-here")
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"
    assert unknown.json()["code"] == "not_found"
    wrong_method = await client.request("PATCH", "/v1/contacts")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"
    assert wrong_method.json() | {"detail": None} == {
        "type": "/problems/method_not_allowed",
        "title": "Method not allowed",
        "status": 405,
        "code": "method_not_allowed",
        "detail": None,
    }


async def test_unexpected_error_is_500_without_internals(env):
    app = create_app(env.settings)

    async def boom() -> None:
        raise RuntimeError("secret internals: SELECT * FROM contacts; password=hunter2")

    app.add_api_route("/boom", boom)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            r = await http.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "internal_error"
    assert "secret" not in r.text
    assert "SELECT" not in r.text
    assert "Traceback" not in r.text


async def test_problem_pages_explain_each_code(client):
    page = await client.get("/problems/conflict")
    assert page.status_code == 200
    assert "conflicting_id" in page.text
    assert (await client.get("/problems/no_such_code")).status_code == 404


async def test_openapi_documents_every_route_and_its_errors(client):
    doc = (await client.get("/openapi.json")).json()
    assert doc["openapi"].startswith("3.1")
    assert (await client.get("/docs")).status_code == 200
    routes = {(m.upper(), p) for p, item in doc["paths"].items() for m in item}
    for expected in [
        ("POST", "/v1/contacts"),
        ("GET", "/v1/contacts"),
        ("GET", "/v1/contacts/lookup"),
        ("POST", "/v1/contacts/upsert"),
        ("GET", "/v1/contacts/{contact_id}"),
        ("PATCH", "/v1/contacts/{contact_id}"),
        ("PUT", "/v1/contacts/{contact_id}"),
        ("DELETE", "/v1/contacts/{contact_id}"),
        ("POST", "/v1/contacts/{contact_id}/restore"),
        ("POST", "/v1/contacts/{contact_id}/tags"),
        ("DELETE", "/v1/contacts/{contact_id}/tags/{tag}"),
        ("GET", "/v1/tags"),
        ("GET", "/healthz"),
        ("GET", "/readyz"),
    ]:
        assert expected in routes, expected
    assert "Problem" in doc["components"]["schemas"]
    assert doc["components"]["securitySchemes"]
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), (method, path)
            if not path.startswith("/v1/"):
                continue
            assert operation.get("security"), (method, path)
            responses = operation["responses"]
            # Every /v1 route reads the database (the credential check at least).
            for status in ("401", "403", "503"):
                assert status in responses, (method, path, status)
            for status, response in responses.items():
                if int(status) >= 400:
                    assert list(response["content"]) == ["application/problem+json"], (
                        method,
                        path,
                        status,
                    )
                    schema = response["content"]["application/problem+json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Problem"}, (path, status)


async def test_started_server_leaves_its_start_up_objects_out_of_full_collections(env):
    """A full collection walking the ~180k start-up objects held a request 76-86 ms; once
    the server has started they are frozen (gc.freeze)."""
    gc.unfreeze()
    app = create_app(env.settings)
    assert gc.get_freeze_count() == 0
    async with app.router.lifespan_context(app):
        assert gc.get_freeze_count() > 10_000
