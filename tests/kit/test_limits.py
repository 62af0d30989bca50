"""Request limits: JSON nesting depth (never a 500, even 100 000 deep) and the body size."""

from __future__ import annotations

import uuid

import httpx

from tests.conftest import Env
from tests.helpers.apps import app_with, client_for


def _nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


async def test_deep_json_is_refused(client: httpx.AsyncClient) -> None:
    headers = {"Content-Type": "application/json"}
    for depth in (33, 1000, 1025, 100_000):
        r = await client.post("/v1/contacts", content=_nested(depth), headers=headers)
        assert r.status_code == 400, (depth, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        body = r.json()
        assert body["code"] == "invalid_request" and "nested deeper than 32" in body["detail"]
    # Deep inside an object field, on PATCH and PUT too, and without a Content-Type.
    deep_field = b'{"custom_fields": {"a": ' + _nested(40) + b"}}"
    made = (
        await client.post("/v1/contacts", json={"email": f"{uuid.uuid4().hex}@example.com"})
    ).json()
    for method in ("PATCH", "PUT"):
        r = await client.request(
            method, f"/v1/contacts/{made['id']}", content=deep_field, headers=headers
        )
        assert r.status_code == 400, r.text
    r = await client.post("/v1/contacts", content=_nested(100_000))
    assert r.status_code == 400
    # Shallow enough: handled by the route as usual.
    r = await client.post("/v1/contacts", content=_nested(32), headers=headers)
    assert r.status_code == 422


async def test_invalid_json_is_400(client: httpx.AsyncClient) -> None:
    for body in (b"{", b"[" * 1000 + b"x", b'{"a": NaN}'):
        r = await client.post(
            "/v1/contacts", content=body, headers={"Content-Type": "application/json"}
        )
        assert r.status_code == 400, r.text
        assert r.json()["code"] == "invalid_request"


async def test_configured_depth(env: Env) -> None:
    _, key = await env.tenant()
    async with app_with(env, max_json_depth=3) as app, client_for(app, key) as http:
        ok = await http.post(
            "/v1/contacts",
            json={"email": f"{uuid.uuid4().hex}@example.com", "custom_fields": {"a": [1]}},
        )
        assert ok.status_code == 201, ok.text
        deep = await http.post(
            "/v1/contacts",
            json={"email": f"{uuid.uuid4().hex}@example.com", "custom_fields": {"a": [[1]]}},
        )
        assert deep.status_code == 400 and "deeper than 3" in deep.json()["detail"]


async def test_body_over_limit_is_413(env: Env) -> None:
    _, key = await env.tenant()
    async with app_with(env, max_body_bytes=1000) as app, client_for(app, key) as http:
        r = await http.post("/v1/contacts", content=b"[" + b"1," * 2000 + b"1]")
        assert r.status_code == 413 and r.json()["code"] == "payload_too_large"


async def test_oversized_request_headers_are_431(env: Env) -> None:
    _, key = await env.tenant()
    async with client_for(env.app, key) as http:
        # One 100 KB header, or many small ones adding up: refused before anything reads them.
        for headers in (
            {"X-Big": "a" * 100_000},
            {f"X-Part-{i}": "b" * 500 for i in range(40)},
        ):
            for path in ("/v1/contacts", "/healthz"):
                r = await http.get(path, headers=headers)
                assert r.status_code == 431, (path, r.text)
                assert r.headers["content-type"] == "application/problem+json"
                problem = r.json()
                assert problem["code"] == "request_header_fields_too_large"
                assert problem["status"] == 431 and "16384 bytes" in problem["detail"]
                assert r.headers["x-request-id"]
        # Under the limit (16 KiB with every name and value) is served as usual.
        r = await http.get("/v1/contacts", headers={"X-Big": "a" * 12_000})
        assert r.status_code == 200, r.text
        page = await http.get("/problems/request_header_fields_too_large")
        assert page.status_code == 200 and "431" in page.text
    async with app_with(env, max_header_bytes=4096) as app, client_for(app, key) as http:
        r = await http.get("/v1/contacts", headers={"X-Big": "a" * 5000})
        assert r.status_code == 431 and "4096 bytes" in r.json()["detail"]
