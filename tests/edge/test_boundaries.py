"""Valid but extreme input is never a 500 (issue 23, item 4): one regression test per
case found by hand, on both engines."""

from __future__ import annotations

import asyncio
import socket
import uuid
from typing import Any

import httpx
import pytest
import uvicorn

from roster.app import create_app
from roster.fielddefs.types import from_text
from roster.filters.values import COUNT_MAX, COUNT_MIN
from tests.bulk.helpers import import_csv
from tests.conftest import Env, make_contact

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
PROBLEM = "application/problem+json"


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
