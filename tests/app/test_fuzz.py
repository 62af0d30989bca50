"""The edge middleware's answers are declared in the OpenAPI document. (Fuzzing the document
against the server, every check of schemathesis with it, is tests/app/test_conformance.py;
it holds the old contract fuzz's rules too: no 5xx, problem+json, status in the body.)"""

from __future__ import annotations

from tests.conftest import Env


async def test_openapi_declares_edge_behaviour(env: Env) -> None:
    async with env.client() as http:
        doc = (await http.get("/openapi.json")).json()
    create = doc["paths"]["/v1/contacts"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "429" in create["responses"] and "Retry-After" in create["responses"]["429"]["headers"]
    assert "RateLimit" in create["responses"]["201"]["headers"]
    assert "429" not in doc["paths"]["/healthz"]["get"]["responses"]
