"""The CSV export renders every cell the same on both engines: PostgreSQL's COPY path gives
byte for byte what the Python renderer gives for the same rows; and the custom field key
registry behind the CSV header follows every write path."""

from __future__ import annotations

import csv
import io
import random
import uuid
from typing import Any

import httpx
import orjson
import pytest
from sqlalchemy import text, true

from roster.exports import stream
from roster.exports.pg_sql import pg_custom
from roster.kit.db import transaction
from tests.conftest import Env, make_contact
from tests.helpers.jobs import import_csv, wait_job

PRINTABLE = 'comma, "quote" ""double"" \\ back é ✓ 𝄞 \u2028'
NASTY = PRINTABLE + "\nnew line\r\ncrlf\rcr \x7f\t"
CUSTOM: dict[str, Any] = {
    "s": NASTY,
    "empty": "",
    "spaces": "  padded  ",
    "int": 42,
    "neg": -7,
    "big": 2**63,
    "min": -(2**63),
    "zero": 0,
    "fzero": 0.0,
    "tenth": 0.1,
    "three": 3.0,
    "tiny": 1e-7,
    "small": 1e-5,
    "edge": 1e-4,
    "huge": 1e16,
    "below": 9999999999999998.0,
    "e15": 1e15,
    "sci": 1.5e300,
    "negsci": -2.5e-300,
    "long": 123456.789012345,
    "yes": True,
    "no": False,
    "nested": {"b": [1, 2.5, 'x"y', None, {"z": "é\u2028\x1f\t"}, 1e20], "a": -0.001},
    "list": ["a,b", 3, [], {}],
    "obj": {},
    "arr": [],
}


async def _population(http: httpx.AsyncClient) -> None:
    await make_contact(
        http,
        phone="+14155550131",
        first_name=PRINTABLE,
        last_name="Ünïcødé",
        company='Engines, "Analytical"',
        job_title="",
        tags=["vip", "math", "zz-top"],
        custom_fields=CUSTOM,
        handles={"telegram": "ada_l", "instagram": "a,b"},
        preferences={"sms": "opted_in", "email": "opted_out"},
        suppressed=True,
        suppressed_reason='said "stop", please',
    )
    await make_contact(http, email="plain@example.com")
    gone = await make_contact(
        http, email="gone@example.com", custom_fields={"only_archived": "x", "int": 1}
    )
    assert (await http.delete(f"/v1/contacts/{gone['id']}")).status_code == 204
    for i in range(5):
        await make_contact(http, email=f"n{i}@example.com", custom_fields={"int": i, "s": "a\rb"})


async def _python_rendering(env: Env, tenant_id: uuid.UUID) -> bytes:
    engine = env.app.state.engine
    keys = await stream.custom_keys(engine, tenant_id)
    body = [stream.csv_header(keys)]
    async for batch in stream.rows(engine, tenant_id, true(), stream.CSV_COLUMNS, 3):
        body.append(stream.csv_lines(batch, keys))
    return b"".join(body)


async def test_csv_is_the_python_rendering_byte_for_byte(env: Env) -> None:
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        await _population(http)
        response = await http.get("/v1/contacts/export", params={"include_deleted": "true"})
        assert response.status_code == 200
    expected = await _python_rendering(env, tenant_id)
    assert response.content == expected
    rows = list(csv.DictReader(io.StringIO(response.content.decode(), newline="")))
    assert len(rows) == 8
    ada = next(r for r in rows if r["phone"] == "+14155550131")
    assert ada["custom_fields.s"] == NASTY and ada["first_name"].startswith(PRINTABLE[:30])
    assert ada["suppressed_reason"] == 'said "stop", please'
    assert ada["custom_fields.only_archived"] == "" and ada["custom_fields.empty"] == ""
    assert ada["tags"] == "math,vip,zz-top" and ada["handles.instagram"] == "a,b"
    assert ada["custom_fields.three"] == "3.0" and ada["custom_fields.tiny"] == "1e-7"
    # PostgreSQL's jsonb keeps 1e16 as the integer 10000000000000000.
    assert ada["custom_fields.huge"] in ("1e+16", "10000000000000000")
    assert ada["custom_fields.yes"] == "true"
    assert orjson.loads(ada["custom_fields.nested"]) == CUSTOM["nested"]
    assert {r["custom_fields.s"] for r in rows if r["email"].startswith("n")} == {"a\rb"}
    gone = next(r for r in rows if r["email"] == "gone@example.com")
    assert gone["deleted_at"].endswith("Z") and gone["custom_fields.only_archived"] == "x"


async def test_json_values_render_as_orjson_writes_them(env: Env) -> None:
    """Many floats of every magnitude, read back as the API reads them, then written by
    orjson, against the SQL the COPY runs (PostgreSQL only; SQLite has no COPY path)."""
    if env.name != "postgresql":
        pytest.skip("the COPY rendering is PostgreSQL's")
    rnd = random.Random(7)
    values: list[Any] = [
        *(rnd.uniform(-1, 1) * 10 ** rnd.randint(-30, 30) for _ in range(3000)),
        *(rnd.uniform(-1, 1) * 10.0 ** rnd.randint(-320, 308) for _ in range(1000)),
        *(float(rnd.randint(2**53, 2**70)) for _ in range(500)),
        *(round(rnd.uniform(0, 100), rnd.randint(0, 4)) for _ in range(500)),
        *(float(10**e) for e in range(-12, 24)),
        *(rnd.randint(-(2**63), 2**64 - 1) for _ in range(200)),
        *(2**64 - 1, 2**63, -(2**63), 2**53 + 1, 5e-324, 1.7976931348623157e308),
    ]
    # Numbers as another writer than orjson may have stored them: trailing zeros, more
    # digits than a double holds, just inside and outside the range and length written
    # without the round trip through float8.
    written = [
        *("12.50", "100.00", "1.10", "10.0", "0.0", "-0.0", "0.10", "7.000"),
        *("0.0001", "0.00012", "0.00001", "-0.000012", "0.0000", "-0.0001"),
        *("12345678901234.5", "-1234567890123.4", "123456789012345.6", "999999999999999.9"),
        *("0.1000000000000000055511151231257827", "1.0000000000000001", "0.30000000000000004"),
        *("123456789012345.0", "1234567890123456.0", "-99999999999999.9", "9007199254740993.0"),
    ]
    document = orjson.dumps(values).decode()[:-1] + ", " + ", ".join(written) + "]"
    cell = pg_custom("k", env.app.state.engine.dialect)
    async with transaction(env.app.state.engine, write=False) as conn:
        stored = await conn.execute(text("SELECT CAST(:d AS jsonb)::text"), {"d": document})
        read_back = orjson.loads(stored.scalar_one())
        cells = (
            await conn.execute(
                text(
                    f"SELECT {cell} FROM jsonb_array_elements(CAST(:d AS jsonb)) "
                    "WITH ORDINALITY AS e(v, n), "
                    "LATERAL (SELECT jsonb_build_object('k', e.v) AS custom_fields) AS s "
                    "ORDER BY e.n"
                ),
                {"d": document},
            )
        ).scalars()
        compact = (
            await conn.execute(
                text("SELECT roster_json_compact(CAST(:d AS jsonb))"), {"d": document}
            )
        ).scalar_one()
    for i, rendered in enumerate(cells):
        assert rendered == orjson.dumps(read_back[i]).decode(), (i, values[i])
    assert compact == orjson.dumps(read_back).decode()


async def test_the_header_lists_every_key_written_by_any_path(env: Env) -> None:
    tenant_id, key = await env.tenant()
    _, other_key = await env.tenant()
    async with env.client(other_key) as other:
        await make_contact(other, custom_fields={"not_mine": 1})
    async with env.client(key) as http:
        created = await make_contact(http, custom_fields={"from_create": 1})
        patched = await http.patch(
            f"/v1/contacts/{created['id']}", json={"custom_fields": {"from_patch": "x"}}
        )
        assert patched.status_code == 200
        batch = await http.post(
            "/v1/contacts/batch",
            json={
                "contacts": [
                    {"email": "batch.only@example.com", "custom_fields": {"from_batch": 2}}
                ]
            },
        )
        assert batch.status_code == 200
        job = await import_csv(env, http, b"email,custom_fields.from_import\ni@example.com,yes\n")
        assert job["status"] == "completed", job
        started = await http.post(
            "/v1/contacts/bulk-actions",
            json={
                "filter": {"field": "email", "op": "eq", "value": "i@example.com"},
                "action": "set_fields",
                "params": {"custom_fields": {"from_bulk": 3}},
            },
        )
        assert started.status_code == 202, started.text
        bulk = await wait_job(env, http, f"/v1/jobs/{started.json()['id']}")
        assert bulk["status"] == "completed", bulk
        # A key no contact has any more keeps its (empty) column.
        removed = await http.patch(
            f"/v1/contacts/{created['id']}", json={"custom_fields": {"from_create": None}}
        )
        assert removed.status_code == 200
        # (Not "b@example.com": make_contact's random address ends in "b" one time in 16.)
        response = await http.get("/v1/contacts/export", params={"q": "batch.only@"})
        assert response.status_code == 200, response.text
    header = response.text.splitlines()[0].split(",")
    assert [h for h in header if h.startswith("custom_fields.")] == [
        "custom_fields.from_batch",
        "custom_fields.from_bulk",
        "custom_fields.from_create",
        "custom_fields.from_import",
        "custom_fields.from_patch",
    ]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["custom_fields.from_batch"] for r in rows] == ["2"]
    assert await stream.custom_keys(env.app.state.engine, tenant_id) == [
        "from_batch",
        "from_bulk",
        "from_create",
        "from_import",
        "from_patch",
    ]
