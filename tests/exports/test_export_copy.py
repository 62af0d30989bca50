"""The CSV export's PostgreSQL COPY: filters written into the statement as literals match
what the bound queries match, for values built to break quoting; NUL is refused before the
response starts; the export reads one snapshot; a reader that leaves early frees its
connection."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, literal, select

from roster.errors import InvalidRequest
from roster.exports import stream
from roster.kit.db import transaction
from roster.models import contacts
from tests.conftest import Env, make_contact
from tests.helpers.jobs import import_csv

# Quotes, backslashes (alone, before a quote, doubled, at the end), SQL comment and
# statement ends, placeholders of every paramstyle, LIKE wildcards and escapes, JSON and
# array syntax, dollar quoting, non-BMP and combining characters, a line separator.
NASTY = [
    "O'Brien",
    "''",
    "back\\slash",
    "\\'",
    "\\\\",
    "end\\",
    'dq "x" \\"',
    "x'); DROP TABLE contacts; --",
    "a' OR '1'='1",
    "$1 $2 :p %s %(p)s ?",
    "100% _under_ %%",
    '["a", "b"]',
    '{"k": 1}',
    "$$ $tag$ E'\\x41'",
    "é✓𝄞 \u2028 x",
]


def _ids_of_csv(body: bytes) -> list[str]:
    return sorted(r["id"] for r in csv.DictReader(io.StringIO(body.decode(), newline="")))


async def _both_formats(http: httpx.AsyncClient, method: str, **kw: Any) -> list[str]:
    """The ids a CSV export gives (COPY on PostgreSQL), checked against NDJSON's (bound
    parameters on both engines)."""
    if method == "GET":
        got = await http.get("/v1/contacts/export", params={**kw, "format": "csv"})
        nd = await http.get("/v1/contacts/export", params={**kw, "format": "ndjson"})
    else:
        got = await http.post("/v1/contacts/export", json={**kw, "format": "csv"})
        nd = await http.post("/v1/contacts/export", json={**kw, "format": "ndjson"})
    assert got.status_code == 200 and nd.status_code == 200, (got.text, nd.text)
    ids = _ids_of_csv(got.content)
    lines = nd.content.split(b"\n")[:-1]  # (a U+2028 in a value is no line end)
    assert ids == sorted(json.loads(line)["id"] for line in lines), kw
    return ids


async def test_filters_with_values_built_to_break_quoting(client: httpx.AsyncClient) -> None:
    made = []
    for i, value in enumerate(NASTY):
        made.append(
            await make_contact(
                client,
                email=f"n{i}@example.com",
                first_name=value,
                company=f"co {value}",
                tags=[value.strip() or "blank", f"t{i}"],
                custom_fields={"k": value, "n": i, "nested": {"v": value}},
            )
        )
    await make_contact(client, email="other@example.com", first_name="Other", tags=["z"])
    for i, value in enumerate(NASTY):
        want = [made[i]["id"]]
        tag = value.strip() or "blank"
        # List filters (query string).
        assert await _both_formats(client, "GET", tag=tag) == want, value
        assert await _both_formats(client, "GET", **{"custom_fields.k": value}) == want, value
        # Filter expressions (JSON body).
        for expr in (
            {"field": "first_name", "op": "eq", "value": value},
            {"field": "first_name", "op": "in", "value": [value, "nobody"]},
            {"field": "company", "op": "ends_with", "value": value},
            {"field": "tags", "op": "has_all", "value": [tag, f"t{i}"]},
            {"field": "custom_fields.k", "op": "eq", "value": value},
            {
                "all": [
                    {"field": "custom_fields.n", "op": "eq", "value": i},
                    {"not": {"field": "first_name", "op": "neq", "value": value}},
                ]
            },
        ):
            assert await _both_formats(client, "POST", filter=expr) == want, (value, expr)
    # Dates, activity counts and list membership, with a value built to break quoting.
    expr = {
        "all": [
            {"field": "created_at", "op": "within_last", "value": "30d"},
            {"field": "updated_at", "op": "gte", "value": "2000-01-01T00:00:00+02:00"},
            {"field": "activity.email.count", "op": "lt", "value": 1},
            {"field": "lists", "op": "has_none", "value": [str(uuid.uuid4())]},
            {"field": "custom_fields.nested", "op": "exists"},
            {"field": "company", "op": "not_in", "value": NASTY},
        ]
    }
    assert await _both_formats(client, "POST", filter=expr) == sorted(m["id"] for m in made)
    # A search whose words hold the quotes matches on both paths alike.
    for value in ("O'Brien", "back\\slash", "100% _under_"):
        ids = await _both_formats(client, "GET", q=value)
        assert made[[n.startswith(value) for n in NASTY].index(True)]["id"] in ids, value
    # A segment whose stored filter holds them.
    segment = await client.post(
        "/v1/segments",
        json={"name": "S", "filter": {"field": "custom_fields.k", "op": "in", "value": NASTY}},
    )
    assert segment.status_code == 201, segment.text
    everyone = sorted(m["id"] for m in made)
    assert await _both_formats(client, "POST", segment_id=segment.json()["id"]) == everyone
    assert await _both_formats(client, "GET", segment_id=segment.json()["id"]) == everyone


async def test_literals_read_back_as_written(env: Env) -> None:
    """The dialect's literal rendering, run by the database, gives back the very value."""
    if env.name != "postgresql":
        pytest.skip("only PostgreSQL's COPY needs literal SQL")
    engine = env.app.state.engine
    values: list[Any] = [*NASTY, 2**70, -1.5e-300, True]
    async with transaction(engine, write=False) as conn:
        for value in values:
            sql = stream.literal_sql(select(literal(value)), conn.dialect)
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            got = await raw.fetchval(sql)
            assert (float(got) if isinstance(value, float) else got) == value, sql


async def test_nul_is_refused_before_the_response_starts(
    env: Env, client: httpx.AsyncClient
) -> None:
    # The request guard refuses NUL on both engines (kit.jsonguard); below it, the COPY's
    # literal rendering refuses it too, for any caller (PostgreSQL holds no NUL in text).
    await make_contact(client, email="a@example.com", tags=["x"])
    for fmt in ("csv", "ndjson"):
        for body, field in (
            ({"filter": {"field": "first_name", "op": "eq", "value": "a\u0000b"}}, "filter.value"),
            (
                {"filter": {"field": "custom_fields.k", "op": "eq", "value": "a\u0000b"}},
                "filter.value",
            ),
            (
                {"filter": {"field": "tags", "op": "has_any", "value": ["x", "\u0000"]}},
                "filter.value[1]",
            ),
        ):
            response = await client.post("/v1/contacts/export", json={**body, "format": fmt})
            assert response.status_code == 422, response.text
            assert response.json()["errors"][0]["field"] == field
            assert "NUL" in response.json()["errors"][0]["message"]
        for params in ({"tag": "a\x00b"}, {"custom_fields.k": "a\x00b"}, {"status": "a\x00"}):
            response = await client.get("/v1/contacts/export", params={**params, "format": fmt})
            assert response.status_code == 400, response.text
    if env.name == "postgresql":
        where = contacts.c.first_name == "a\x00b"
        with pytest.raises(InvalidRequest, match="NUL"):
            stream.csv_stream(env.app.state.engine, uuid.uuid4(), where)


async def _many(env: Env, http: httpx.AsyncClient, n: int) -> None:
    lines = "".join(f"e{i}@example.com,{'x' * 200},{i}\n" for i in range(n))
    job = await import_csv(env, http, f"email,company,custom_fields.i\n{lines}".encode())
    assert job["status"] == "completed" and job["created"] == n, job


async def test_the_export_is_one_snapshot(env: Env) -> None:
    """Writes committed after the COPY started are not in it (PostgreSQL; SQLite reads
    batches, each its own transaction)."""
    if env.name != "postgresql":
        pytest.skip("one COPY, one snapshot: PostgreSQL")
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        await _many(env, http, 3000)
        export = stream.csv_stream(env.app.state.engine, tenant_id, contacts.c.deleted_at.is_(None))
        received = b""
        async for chunk in export:
            received += chunk
            if received.count(b"\n") > 1:
                break  # a row came: the COPY runs
        late = await make_contact(http, email="late@example.com")
        async for chunk in export:
            received += chunk
    ids = _ids_of_csv(received)
    assert len(ids) == 3000 and late["id"] not in ids


async def test_a_reader_that_leaves_frees_the_connection(env: Env) -> None:
    if env.name != "postgresql":
        pytest.skip("the COPY's connection: PostgreSQL")
    engine = env.app.state.engine
    tenant_id, key = await env.tenant()
    invalidated: list[object] = []

    def count(*_: object) -> None:
        invalidated.append(_)

    async with env.client(key) as http:
        await _many(env, http, 3000)
        event.listen(engine.sync_engine.pool, "invalidate", count)
        for _ in range(3):
            export = stream.csv_stream(engine, tenant_id, contacts.c.deleted_at.is_(None))
            async for _chunk in export:
                break  # the header; the COPY fills its queue and waits
            await export.aclose()
        event.remove(engine.sync_engine.pool, "invalidate", count)
        # The COPY was cancelled on the server; its connection went back to the pool whole.
        assert engine.pool.checkedout() == 0 and invalidated == []
        response = await http.get("/v1/contacts/export")
        assert response.status_code == 200
        assert len(_ids_of_csv(response.content)) == 3000


@contextmanager
def _statements(engine: Any) -> Iterator[list[str]]:
    """The statements ``engine`` runs through SQLAlchemy while the block runs."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


def _copied(statements: list[str]) -> bool:
    """Whether the statements set up an export's COPY (its transaction's settings)."""
    return any("set_config('statement_timeout'" in s for s in statements)


def _batched(statements: list[str]) -> bool:
    """Whether the statements read contacts in id-ordered batches."""
    return any(
        "FROM contacts" in s and "ORDER BY contacts.id" in s and "LIMIT" in s for s in statements
    )


async def test_exports_past_the_copy_share_are_read_in_batches_alike(env: Env) -> None:
    """Each COPY export holds a pooled connection; past the pool's share the next ones are
    read in batches (no connection held between them), and give the same bytes. Which way
    an export went shows in the statements it ran: the COPY's transaction settings, or
    contacts read in batches."""
    if env.name != "postgresql":
        pytest.skip("COPY exports: PostgreSQL")
    engine = env.app.state.engine
    tenant_id, key = await env.tenant()
    room = stream.copy_room(engine)
    held: list[Any] = []
    async with env.client(key) as http:
        await _many(env, http, 500)
        await make_contact(http, email="o'brien@example.com", tags=["a,b", 'q"t'])
        with _statements(engine) as first_ran:
            first = await http.get("/v1/contacts/export", params={"format": "csv"})
        try:
            # Exports that take every COPY there is room for, each holding its connection.
            while stream.copy_room(engine) > 0:
                export = stream.csv_stream(engine, tenant_id, contacts.c.deleted_at.is_(None))
                await anext(export)  # its header: the export has taken its COPY
                held.append(export)
            with _statements(engine) as second_ran:
                second = await http.get("/v1/contacts/export", params={"format": "csv"})
        finally:
            for export in held:
                await export.aclose()
    assert _copied(first_ran) and not _batched(first_ran)
    assert _batched(second_ran) and not _copied(second_ran)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    # Every COPY gave its room back when it ended.
    assert len(held) == room and stream.copy_room(engine) == room
