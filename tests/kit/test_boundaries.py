"""Valid but extreme input is never a 500 (issue 23, item 4).

A property over the app's own ``/openapi.json``: every integer, number and date(-time)
input it describes (query parameters and top-level body properties), and the inputs it
cannot describe (filter values, custom fields, batch items), get boundary values: the
documented bounds and one past them, the edges of 32-, 63- and 64-bit integers, huge and
negative-zero floats, and instants at years 1 and 9999 written with offsets that carry them
out of range in UTC. The server must answer no 5xx, and every 4xx must be problem+json
naming the field. Then one regression test per case found by hand, on both engines.
"""

from __future__ import annotations

import asyncio
import re
import socket
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roster.app import create_app
from roster.fielddefs.types import from_text
from roster.filters.values import COUNT_MAX, COUNT_MIN
from roster.kit.db import transaction
from roster.tenants import service as tenants
from tests.conftest import Env, make_contact
from tests.helpers.jobs import import_csv

INT32 = 2**31
INT64 = 2**63
UINT64 = 2**64
BIG_INTS = [
    0,
    -1,
    INT32 - 1,
    INT32,
    -INT32,
    -INT32 - 1,
    INT64 - 1,
    INT64,
    -INT64,
    -INT64 - 1,
    UINT64 - 1,
    UINT64,
    -UINT64,
    10**30,
]
FLOATS = [1e308, -1e308, 1.7976931348623157e308, -0.0, 5e-324, 0.5, 2147483647.5]
# Valid RFC 3339 texts at the edges of years 1-9999, in range and (after conversion to UTC)
# out of it; and texts that are no dates at all.
INSTANTS_IN = [
    "0001-01-01T00:00:00Z",
    "0001-01-01T01:00:00+01:00",
    "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59.999999Z",
    "9999-12-31T18:59:59-05:00",
]
INSTANTS_OUT = [
    "9999-12-31T23:59:59-05:00",
    "9999-12-31T00:00:00-23:59",
    "0001-01-01T00:00:00+01:00",
    "0001-01-01T00:00:00+23:59",
    "0000-12-31T23:59:59Z",
]
NOT_INSTANTS = ["10000-01-01T00:00:00Z", "9999-12-31T24:00:00Z", "2026-02-30T00:00:00Z", "x"]
INSTANTS = INSTANTS_IN + INSTANTS_OUT + NOT_INSTANTS
MAX_EXAMPLES = 250
PROBLEM = "application/problem+json"
# Replaced by a new email / segment name each time a case is sent (cases repeat).
FRESH_EMAIL, FRESH_NAME = "fresh@example.com", "fresh"


def named(body: Any, field: str) -> bool:
    """Whether a problem body names ``field`` (or a path inside it) in its errors."""
    if not isinstance(body, dict):
        return False
    for error in body.get("errors") or []:
        name = str(error.get("field", ""))
        if name == field or name.startswith((f"{field}.", f"{field}[")):
            return True
    return False


def _names(response: httpx.Response, status: int, field: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    assert named(response.json(), field), response.text


@dataclass(frozen=True)
class Input:
    """One numeric or date input of one operation."""

    method: str
    path: str
    where: str  # "query" or "body"
    name: str
    kind: str  # "integer", "number" or "date-time"
    low: int | None = None
    high: int | None = None
    schema: str = ""  # the body's schema name (for its base body)


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    field: str  # what a 4xx must name (a prefix of the named field)
    params: tuple[tuple[str, str], ...] = ()
    body: Any = None
    items: bool = False  # a batch: 200 with a result per item, the bad one naming field


# Bodies valid but for the input under test, by the body's schema name.
BASE_BODIES: dict[str, dict[str, Any]] = {
    "SearchBody": {},
    "ApiKeyCreate": {"name": "boundary", "scopes": ["contacts:read"]},
    "ActivityWrite": {"type": "message.sent"},
}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _kind(doc: dict[str, Any], schema: dict[str, Any]) -> str | None:
    """integer, number or date-time when ``schema`` (or a branch of it) is one."""
    schema = _resolve(doc, schema)
    if schema.get("format") in ("date-time", "date"):
        return "date-time"
    if schema.get("type") in ("integer", "number"):
        return str(schema["type"])
    for branch in schema.get("anyOf", []) + schema.get("oneOf", []):
        found = _kind(doc, branch)
        if found:
            return found
    return None


def _bounds(schema: dict[str, Any], description: str) -> tuple[int | None, int | None]:
    """The documented range: minimum/maximum, else "1..100" in the description."""
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is None and high is None:
        match = re.search(r"(-?\d+)\s*\.\.\s*(-?\d+)", description)
        if match:
            low, high = int(match.group(1)), int(match.group(2))
    return low, high


def walk(doc: dict[str, Any]) -> tuple[list[Input], list[str]]:
    """Every numeric and date input the document describes, and the body schemas that have
    such an input but no base body here (the test fails on those: add one)."""
    found: list[Input] = []
    missing: list[str] = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                kind = _kind(doc, schema)
                if parameter["in"] != "query" or kind is None:
                    continue
                low, high = _bounds(schema, parameter.get("description", ""))
                found.append(
                    Input(method.upper(), path, "query", parameter["name"], kind, low, high)
                )
            content = operation.get("requestBody", {}).get("content", {})
            ref = content.get("application/json", {}).get("schema", {})
            body = _resolve(doc, ref)
            name = ref.get("$ref", "").rsplit("/", 1)[-1]
            for prop, schema in body.get("properties", {}).items():
                kind = _kind(doc, schema)
                if kind is None:
                    continue
                if name not in BASE_BODIES:
                    missing.append(f"{method.upper()} {path}: {name}")
                    continue
                low, high = _bounds(_resolve(doc, schema), schema.get("description", ""))
                found.append(Input(method.upper(), path, "body", prop, kind, low, high, name))
    return found, missing


def values_for(item: Input) -> list[Any]:
    """Boundary values for one input: its documented bounds and one past each, the edges
    of the integer widths, extreme floats; instants (and a few numbers) for dates."""
    if item.kind == "date-time":
        return [*INSTANTS, 0, -1, INT64, 1e308]
    out: list[Any] = []
    for bound in (item.low, item.high):
        if bound is not None:
            out += [bound - 1, bound, bound + 1]
    out += BIG_INTS
    if item.kind == "number" or item.where == "query":
        out += FLOATS
    if item.where == "query":
        out.append("9" * 5000)  # beyond Python's int-from-text digit limit
    return out


def _text(value: Any) -> str:
    return repr(value) if isinstance(value, float) else str(value)


def case_for(item: Input, value: Any, ids: dict[str, str]) -> Case:
    path = item.path.format(**ids)
    if item.where == "query":
        return Case(item.method, path, item.name, params=((item.name, _text(value)),))
    body = {**BASE_BODIES[item.schema], item.name: value}
    return Case(item.method, path, item.name, body=body)


def _extreme_numbers() -> list[Any]:
    return [*BIG_INTS, *FLOATS]


def filter_leaves() -> list[dict[str, Any]]:
    """Conditions with boundary values: the document says only "any" for a filter value."""
    leaves: list[tuple[str, str, Any]] = []
    for value in _extreme_numbers():
        leaves += [
            ("activity.message.sent.count", "gt", value),
            ("activity.message.sent.count", "in", [value]),
            ("activity.custom.x.count", "between", [0, value]),
            ("custom_fields.n", "gte", value),
            ("custom_fields.n", "eq", value),
            ("custom_fields.num", "lt", value),  # defined as a number
        ]
    for text in INSTANTS:
        leaves += [
            ("created_at", "gt", text),
            ("updated_at", "between", [INSTANTS_IN[0], text]),
            ("activity.last_at", "lte", text),
            ("custom_fields.d", "gt", text),
            ("custom_fields.day", "eq", text),  # defined as a date
            ("custom_fields.when", "in", [text]),  # defined as a date-time
        ]
    return [{"field": field, "op": op, "value": value} for field, op, value in leaves]


FILTER_ROUTES = ("search", "preview", "export", "segment", "new segment")


def filter_case(condition: dict[str, Any], route: str, ids: dict[str, str]) -> Case:
    """``condition`` sent to one of the routes that take a filter (the segment routes
    save it)."""
    if route == "search":
        return Case("POST", "/v1/contacts/search", "filter", body={"filter": condition})
    if route == "preview":
        body = {"filter": {"all": [condition]}}
        return Case("POST", "/v1/segments/preview", "filter", body=body)
    if route == "export":
        return Case("POST", "/v1/contacts/export", "filter", body={"filter": condition})
    if route == "segment":
        path = f"/v1/segments/{ids['segment_id']}"
        return Case("PATCH", path, "filter", body={"filter": condition})
    body = {"name": FRESH_NAME, "filter": {"not": condition}}
    return Case("POST", "/v1/segments", "filter", body=body)


def write_cases(ids: dict[str, str]) -> Iterator[Case]:
    """Custom field values, and the items of the batch routes (untyped in the document)."""
    for value in [*_extreme_numbers(), *INSTANTS]:
        for key in ("n", "num", "day", "when"):
            fields = {"custom_fields": {key: value}}
            email = FRESH_EMAIL
            yield Case("POST", "/v1/contacts", "custom_fields", body={"email": email, **fields})
            yield Case("PATCH", f"/v1/contacts/{ids['contact_id']}", "custom_fields", body=fields)
            yield Case(
                "POST",
                "/v1/contacts/batch",
                "custom_fields",
                body={"mode": "create", "contacts": [{"email": email, **fields}]},
                items=True,
            )
    for value in [*INSTANTS, INT64, 1e308]:
        item = {"contact_id": ids["contact_id"], "type": "message.sent", "occurred_at": value}
        yield Case(
            "POST", "/v1/activities/batch", "occurred_at", body={"activities": [item]}, items=True
        )


def check(case: Case, response: httpx.Response) -> str | None:
    """What is wrong with the answer to ``case``, or None."""
    label = f"{case.method} {case.path} {case.params or case.body!r:.300}"
    status = response.status_code
    if status >= 500:
        return f"{label} -> {status}: {response.text[:300]}"
    if status >= 400 and case.path.startswith("/compat/"):
        return None  # a dialect's 4xx is its platform's body, checked by tests/compat
    if status >= 400:
        if response.headers.get("content-type") != PROBLEM:
            return f"{label} -> {status} as {response.headers.get('content-type')}"
        body = response.json()
        if body.get("status") != status or not named(body, case.field):
            return f"{label} -> {status} naming no {case.field}: {response.text[:300]}"
        return None
    if case.items:
        for result in response.json()["results"]:
            if result["status"] == "failed" and not named(result["error"], case.field):
                return f"{label} -> item failed naming no {case.field}: {result}"
    return None


async def _fixtures(env: Env) -> tuple[str, dict[str, str]]:
    """A tenant with a generous rate limit, and one of each object the paths name."""
    tenant_id, _ = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        created = await tenants.create_api_key(
            conn, tenant_id, name="boundaries", scopes=["admin"], rate_limit="1000000/minute"
        )
    async with env.client(created.key) as http:
        contact = await make_contact(http)
        for key, kind in (("num", "number"), ("day", "date"), ("when", "datetime")):
            made = await http.post("/v1/fields", json={"key": key, "label": key, "type": kind})
            assert made.status_code == 201, made.text
        ids = {"contact_id": contact["id"]}
        for name, path, body in (
            ("list_id", "/v1/lists", {"name": "boundaries"}),
            ("segment_id", "/v1/segments", {"name": "boundaries", "filter": {"all": []}}),
            ("key_id", "/v1/api-keys", {"name": "spare", "scopes": ["contacts:read"]}),
        ):
            made = await http.post(path, json=body)
            assert made.status_code == 201, made.text
            ids[name] = made.json()["id"]
        env.settings.webhooks_allow_private = True
        try:
            made = await http.post(
                "/v1/webhooks", json={"url": "http://127.0.0.1:9/hook", "events": ["*"]}
            )
        finally:
            env.settings.webhooks_allow_private = False
        assert made.status_code == 201, made.text
        ids["webhook_id"] = made.json()["id"]
    return created.key, ids


def _generate(inputs: list[Input], ids: dict[str, str]) -> list[Case]:
    """Cases drawn by hypothesis (synchronously, as tests/app/test_fuzz.py does): an input
    the document describes and one of its boundary values, a filter condition on one of the
    routes that take a filter, or a write the document cannot describe. Then a sweep that
    sends every boundary value at least once."""
    leaves, writes = filter_leaves(), list(write_cases(ids))
    described = st.sampled_from(inputs).flatmap(
        lambda item: st.sampled_from(values_for(item)).map(lambda v: case_for(item, v, ids))
    )
    filtered = st.builds(
        lambda leaf, route: filter_case(leaf, route, ids),
        st.sampled_from(leaves),
        st.sampled_from(FILTER_ROUTES),
    )
    cases: list[Case] = []

    @settings(
        max_examples=MAX_EXAMPLES,
        database=None,
        deadline=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.one_of(described, filtered, st.sampled_from(writes)))
    def collect(case: Case) -> None:
        cases.append(case)

    collect()
    # Every boundary value of each kind of input (inputs alike but for their route share
    # one sweep), and every described input at the value most likely to overflow.
    kinds: set[tuple[Any, ...]] = set()
    for item in inputs:
        kind = (item.where, item.kind, item.name, item.low, item.high)
        values = values_for(item) if kind not in kinds else [_worst(item)]
        kinds.add(kind)
        cases.extend(case_for(item, value, ids) for value in values)
    # Every condition run (search) and saved (a new segment); every custom-field value
    # written, and every occurred_at in a batch.
    for leaf in leaves:
        cases.extend(filter_case(leaf, route, ids) for route in ("search", "new segment"))
    cases.extend(case for case in writes if case.path in ("/v1/contacts", "/v1/activities/batch"))
    return cases


def _worst(item: Input) -> Any:
    return INSTANTS_OUT[0] if item.kind == "date-time" else INT64


def fresh(value: Any) -> Any:
    """``value`` with a new email and segment name wherever it holds the placeholders."""
    if value == FRESH_EMAIL:
        return f"b{uuid.uuid4().hex[:16]}@example.com"
    if value == FRESH_NAME:
        return f"b-{uuid.uuid4().hex[:12]}"
    if isinstance(value, dict):
        return {k: fresh(v) for k, v in value.items()}
    if isinstance(value, list):
        return [fresh(v) for v in value]
    return value


async def test_boundary_values_never_answer_5xx(env: Env) -> None:
    key, ids = await _fixtures(env)
    async with env.client(key) as http:
        doc = (await http.get("/openapi.json")).json()
        inputs, missing = walk(doc)
        assert not missing, f"no base body for {missing}: add one to BASE_BODIES"
        kinds = {(i.where, i.kind) for i in inputs}
        assert {("query", "integer"), ("query", "date-time"), ("body", "date-time")} <= kinds
        cases = _generate(inputs, ids)
        failures: list[str] = []
        for case in cases:
            response = await http.request(
                case.method, case.path, params=list(case.params) or None, json=fresh(case.body)
            )
            problem = check(case, response)
            if problem:
                failures.append(problem)
    print(f"boundaries[{env.name}]: {len(inputs)} inputs, {len(cases)} cases")
    assert not failures, "\n".join(failures[:20])


# --- regression tests: each case found by hand ---------------------------------------


@pytest.mark.parametrize("value", [INT32, -INT32 - 1, INT64, UINT64])
async def test_activity_count_beyond_32_bits_is_422(client: httpx.AsyncClient, value: int) -> None:
    count = "activity.message.sent.count"
    for op, written in (("gt", value), ("in", [1, value]), ("between", [0, value])):
        condition = {"field": count, "op": op, "value": written}
        r = await client.post("/v1/contacts/search", json={"filter": condition})
        _names(r, 422, "filter.value")
        r = await client.post("/v1/segments/preview", json={"filter": {"all": [condition]}})
        _names(r, 422, "filter.all[0].value")
    for edge in (COUNT_MAX, COUNT_MIN):
        for op, written in (("lte", edge), ("in", [edge]), ("between", [COUNT_MIN, edge])):
            condition = {"field": count, "op": op, "value": written}
            r = await client.post("/v1/contacts/search", json={"filter": condition})
            assert r.status_code == 200, r.text


@pytest.mark.parametrize("text", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"])
async def test_instant_out_of_range_in_utc_is_refused_naming_the_field(
    client: httpx.AsyncClient, text: str
) -> None:
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}/activities"
    r = await client.post(url, json={"type": "message.sent", "occurred_at": text})
    _names(r, 422, "occurred_at")
    r = await client.post(
        "/v1/api-keys", json={"name": "k", "scopes": ["contacts:read"], "expires_at": text}
    )
    _names(r, 422, "expires_at")
    for name in ("created_after", "created_before", "updated_after"):
        _names(await client.get("/v1/contacts", params={name: text}), 400, name)
        _names(await client.get("/v1/contacts/export", params={name: text}), 400, name)
    for name in ("before", "after"):
        _names(await client.get(url, params={name: text}), 400, name)
    for field in ("created_at", "updated_at", "activity.last_at", "custom_fields.d"):
        condition = {"field": field, "op": "gt", "value": text}
        _names(await client.post("/v1/contacts/search", json={"filter": condition}), 422, "filter")
        between = {"field": field, "op": "between", "value": ["2020-01-01", text]}
        r = await client.post("/v1/segments/preview", json={"filter": between})
        _names(r, 422, "filter.value")


async def test_activity_batch_reports_the_item_out_of_range(client: httpx.AsyncClient) -> None:
    contact = await make_contact(client)
    items = [
        {"contact_id": contact["id"], "type": "message.sent", "occurred_at": text}
        for text in (
            "9999-12-31T23:59:59-05:00",
            "2026-01-01T00:00:00Z",
            "0001-01-01T00:00:00+01:00",
        )
    ]
    r = await client.post("/v1/activities/batch", json={"activities": items})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["status"] for x in results] == ["failed", "created", "failed"]
    for failed in (results[0], results[2]):
        assert failed["error"]["errors"][0]["field"] == "occurred_at"


async def test_the_edges_of_the_range_are_accepted(client: httpx.AsyncClient) -> None:
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}/activities"
    for text, shown in (
        ("0001-01-01T01:00:00+01:00", "0001-01-01T00:00:00.000Z"),
        ("9999-12-31T18:59:59.999-05:00", "9999-12-31T23:59:59.999Z"),
    ):
        r = await client.post(url, json={"type": "message.sent", "occurred_at": text})
        assert r.status_code == 201, r.text
        assert r.json()["occurred_at"] == shown
    for params, found in (
        ({"before": "9999-12-31T23:59:59.999999Z"}, ["9999", "0001"]),
        ({"after": "0001-01-01T00:00:00Z"}, ["9999"]),
        ({"after": "0001-01-01T00:00:00Z", "before": "9999-12-31T23:59:59.999Z"}, []),
    ):
        timeline = await client.get(url, params={"type": "message.sent", **params})
        assert timeline.status_code == 200, timeline.text
        assert [a["occurred_at"][:4] for a in timeline.json()["data"]] == found
    for value in ("0001-01-01", "9999-12-31T23:59:59.999999Z"):
        condition = {"field": "activity.last_at", "op": "lte", "value": value}
        r = await client.post("/v1/contacts/search", json={"filter": condition})
        assert r.status_code == 200, r.text
    listed = await client.get("/v1/contacts", params={"created_after": "0001-01-01T00:00:00Z"})
    assert listed.status_code == 200, listed.text
    key = await client.post(
        "/v1/api-keys",
        json={"name": "k", "scopes": ["contacts:read"], "expires_at": "9999-12-31T23:59:59Z"},
    )
    assert key.status_code == 201, key.text
    assert key.json()["expires_at"] == "9999-12-31T23:59:59.000Z"


async def test_defined_datetime_custom_field_out_of_range_is_422(
    client: httpx.AsyncClient,
) -> None:
    made = await client.post("/v1/fields", json={"key": "at", "label": "At", "type": "datetime"})
    assert made.status_code == 201, made.text
    body = {"email": f"{uuid.uuid4().hex}@example.com", "custom_fields": {"at": ""}}
    for text in ("9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00"):
        body["custom_fields"] = {"at": text}
        _names(await client.post("/v1/contacts", json=body), 422, "custom_fields.at")
    body["custom_fields"] = {"at": "9999-12-31T23:59:59Z"}
    assert (await client.post("/v1/contacts", json=body)).status_code == 201


@pytest.mark.parametrize(
    ("name", "value"),
    [("limit", UINT64), ("limit", 0), ("offset", INT64), ("offset", -1), ("page", INT64)],
)
async def test_paging_parameters_out_of_range_name_themselves(
    client: httpx.AsyncClient, name: str, value: int
) -> None:
    for url in ("/v1/contacts", "/v1/api-keys"):
        _names(await client.get(url, params={name: str(value)}), 400, name)
    if name == "limit":
        _names(await client.post("/v1/contacts/search", json={"limit": value}), 400, "limit")


async def test_import_refuses_number_cells_out_of_range_naming_them(
    env: Env, client: httpx.AsyncClient
) -> None:
    """A CSV cell read as a number for a number field: "1e400" and "nan" are floats Python
    reads (inf, nan), 2^64 is an integer no JSON column holds; each fails its own row."""
    for cell in ("1e400", "-1e400", "nan", "inf", str(UINT64)):
        with pytest.raises(ValueError):
            from_text("number", cell)
    assert from_text("number", str(UINT64 - 1)) == UINT64 - 1
    made = await client.post("/v1/fields", json={"key": "seats", "label": "S", "type": "number"})
    assert made.status_code == 201, made.text
    cells = ["1e400", "nan", str(UINT64), "-1e400", "1e308"]
    rows = "".join(f"b{i}@example.com,{cell}\n" for i, cell in enumerate(cells))
    job = await import_csv(env, client, "email,custom_fields.seats\n" + rows)
    assert (job["created"], job["failed"]) == (1, 4), job
    errors = (await client.get(f"/v1/imports/{job['id']}/errors")).text.splitlines()[1:]
    assert [line.split(",")[:2] for line in errors] == [
        [str(row), "custom_fields.seats"] for row in (2, 3, 4, 5)
    ], errors


# --- a 500 closes its connection -----------------------------------------------------


async def test_a_500_tells_a_keep_alive_client_to_reconnect(env: Env) -> None:
    """After an unexpected error Starlette raises again and the server drops the connection;
    the 500 says ``Connection: close`` so that the client's next request opens a new one
    instead of being reset (seen on SQLite, where the overflow was not a database error)."""
    app = create_app(env.settings)

    async def boom() -> None:
        raise OverflowError("Python int too large to convert to SQLite INTEGER")

    async def fine() -> dict[str, bool]:
        return {"ok": True}

    app.add_api_route("/boom", boom)
    app.add_api_route("/fine", fine)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="critical", lifespan="on")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        for _ in range(1000):
            if server.started:
                break
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            for _ in range(2):
                r = await http.get("/boom")
                assert r.status_code == 500
                assert r.headers["connection"] == "close"
                assert r.headers["content-type"] == PROBLEM
                after = await http.get("/fine")
                assert after.status_code == 200, after.text
    finally:
        server.should_exit = True
        await serving
        sock.close()


@pytest.mark.parametrize("value", [2**63, 2**64 - 1, -(2**63) - 1])
async def test_custom_field_query_beyond_64_bits_is_no_error(
    client: httpx.AsyncClient, value: int
) -> None:
    """`GET /v1/contacts?custom_fields.k=<integer beyond a signed 64-bit>` compares as a
    number like any other (no driver binds such an integer)."""
    r = await client.get("/v1/contacts", params={"custom_fields.k": str(value)})
    assert r.status_code == 200, r.text
    r = await client.get("/v1/contacts/export", params={"custom_fields.k": str(value)})
    assert r.status_code == 200, r.text
