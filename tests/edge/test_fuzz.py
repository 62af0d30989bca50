"""Contract fuzzing: schemathesis generates requests from the app's own /openapi.json
(valid ones and deliberately invalid ones), on both engines, within a time budget.

Every response must be a non-5xx, and every non-2xx must be problem+json whose ``status``
equals the HTTP status. Cases are generated first (hypothesis, synchronously), then sent
through the ASGI app on the test's event loop, so the async database engines stay on the
loop that owns them.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from roster.kit.db import transaction
from roster.tenants import service as tenants
from tests.conftest import Env, make_contact

EXAMPLES_PER_MODE = 8
BUDGET_SECONDS = 25.0  # per engine, generation and calls together


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _request(case: Any) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url="http://roster.test")
    params = kwargs.get("params") or {}
    kwargs["params"] = [
        (str(k), _query_value(item))
        for k, v in params.items()
        for item in (v if isinstance(v, list) else [v])
    ]
    headers = {}
    for name, value in (kwargs.get("headers") or {}).items():
        if name.lower().startswith("x-schemathesis") or name.lower() in (
            "connection",
            "authorization",
        ):
            continue
        headers[str(name).encode("utf-8")] = str(value).encode("utf-8")
    kwargs["headers"] = headers
    kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    return kwargs


def _generate(schema: Any, fixed: dict[str, str], deadline: float) -> list[Any]:
    cases: list[Any] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        names = {p.name for p in operation.path_parameters}
        known = {k: v for k, v in fixed.items() if k in names}
        variants = [{}] + ([known] if known else [])
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for path_parameters in variants:
                if time.monotonic() > deadline:
                    return cases
                strategy = operation.as_strategy(mode, path_parameters=path_parameters or None)

                @settings(
                    max_examples=EXAMPLES_PER_MODE,
                    database=None,
                    deadline=None,
                    derandomize=True,
                    suppress_health_check=list(HealthCheck),
                )
                @given(strategy)
                def collect(case: Any) -> None:
                    cases.append(case)

                try:
                    collect()
                except Exception as exc:  # a strategy that cannot be satisfied
                    if "Unsatisfiable" not in type(exc).__name__:
                        raise
    return cases


async def test_fuzz_contract(env: Env) -> None:
    started = time.monotonic()
    tenant_id, _ = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        key = (
            await tenants.create_api_key(
                conn, tenant_id, name="fuzz", scopes=["admin"], rate_limit="100000/minute"
            )
        ).key
    async with env.client(key) as http:
        doc = (await http.get("/openapi.json")).json()
        contact = await make_contact(http, tags=["fuzz"])
        spare = await http.post("/v1/api-keys", json={"name": "spare", "scopes": ["admin"]})
    fixed = {"contact_id": contact["id"], "key_id": spare.json()["id"], "tag": "fuzz"}
    schema = schemathesis.openapi.from_dict(doc)
    cases = _generate(schema, fixed, started + BUDGET_SECONDS * 0.6)
    assert len(cases) >= 50, len(cases)

    failures: list[str] = []
    seen: dict[tuple[str, int], int] = {}
    sent = 0
    async with env.client(key) as http:
        for case in cases:
            if time.monotonic() > started + BUDGET_SECONDS:
                break
            try:
                kwargs = _request(case)
            except (TypeError, ValueError, UnicodeError):
                continue  # not expressible as an HTTP request
            kwargs["headers"][b"authorization"] = f"Bearer {key}".encode()
            try:
                request = http.build_request(**kwargs)
                # Encode the body here: a multipart part the generator made of a non-file
                # value fails inside httpx while it streams, which would look like a 500.
                await request.aread()
            except (
                httpx.InvalidURL,
                httpx.LocalProtocolError,
                UnicodeError,
                TypeError,
                AttributeError,
            ):
                continue  # not expressible as an HTTP request
            r = await http.send(request)
            sent += 1
            seen[(case.method, r.status_code)] = seen.get((case.method, r.status_code), 0) + 1
            label = f"{case.method} {case.formatted_path} -> {r.status_code}"
            if r.status_code >= 500:
                failures.append(f"{label}: {r.text[:300]}")
            elif r.status_code >= 400:
                if r.headers.get("content-type") != "application/problem+json":
                    failures.append(f"{label}: content-type {r.headers.get('content-type')}")
                elif r.json().get("status") != r.status_code:
                    failures.append(f"{label}: problem status {r.json().get('status')}")
    print(f"fuzz[{env.name}]: {len(cases)} cases, {sent} sent, {sorted(seen.items())}")
    assert sent >= 50, sent
    assert not failures, "\n".join(failures[:20])
    # The fuzzer must not have locked itself out or broken the tenant.
    async with env.client(key) as http:
        assert (await http.get(f"/v1/contacts/{uuid.UUID(contact['id'])}")).status_code in (
            200,
            404,
        )


async def test_openapi_declares_edge_behaviour(env: Env) -> None:
    async with env.client() as http:
        doc = (await http.get("/openapi.json")).json()
    create = doc["paths"]["/v1/contacts"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert "429" in create["responses"] and "Retry-After" in create["responses"]["429"]["headers"]
    assert "RateLimit" in create["responses"]["201"]["headers"]
    assert "429" not in doc["paths"]["/healthz"]["get"]["responses"]
