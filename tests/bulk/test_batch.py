"""POST /v1/contacts/batch on both engines."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from roster.bulk import repository, statistics
from tests.conftest import Env, make_contact


async def test_batch_upsert_per_item_results(client: httpx.AsyncClient) -> None:
    existing = await make_contact(client, phone="+14155550101", first_name="Old")
    body = {
        "mode": "upsert",
        "match_on": "phone",
        "contacts": [
            {"phone": "+1 415 555 0102", "first_name": "New"},
            {"phone": "+14155550101", "first_name": "Updated", "tags": ["vip"]},
            {"phone": "not a phone"},
            {"phone": "+14155550103", "email": "bad@"},
            {"phone": "+14155550104", "unknown": 1},
        ],
    }
    response = await client.post("/v1/contacts/batch", json=body)
    assert response.status_code == 200, response.text
    out = response.json()
    assert (out["total"], out["created"], out["updated"], out["failed"]) == (5, 1, 1, 3)
    statuses = [(r["index"], r["status"]) for r in out["results"]]
    assert statuses == [(0, "created"), (1, "updated"), (2, "failed"), (3, "failed"), (4, "failed")]
    assert out["results"][1]["id"] == existing["id"]
    assert out["results"][2]["error"]["code"] == "validation_error"
    assert out["results"][2]["error"]["errors"][0]["field"] == "phone"
    assert {e["field"] for e in out["results"][3]["error"]["errors"]} == {"email"}
    assert out["results"][4]["error"]["errors"] == [
        {"field": "unknown", "message": "unknown field"}
    ]
    got = (await client.get(f"/v1/contacts/{existing['id']}")).json()
    assert got["first_name"] == "Updated" and got["tags"] == ["vip"] and got["version"] == 2
    created = (await client.get(f"/v1/contacts/{out['results'][0]['id']}")).json()
    assert created["phone"] == "+14155550102" and created["version"] == 1
    tags = (await client.get("/v1/tags")).json()["data"]
    assert tags == [{"tag": "vip", "count": 1}]


async def test_batch_same_identifier_twice(client: httpx.AsyncClient) -> None:
    items = [
        {"email": "Dup@Example.com", "first_name": "A", "tags": ["x"]},
        {"email": "dup@example.com", "last_name": "B", "tags": ["y"]},
    ]
    up = (await client.post("/v1/contacts/batch", json={"contacts": items})).json()
    assert [r["status"] for r in up["results"]] == ["created", "updated"]
    assert up["results"][0]["id"] == up["results"][1]["id"]
    got = (await client.get(f"/v1/contacts/{up['results'][0]['id']}")).json()
    assert (got["first_name"], got["last_name"], got["tags"]) == ("A", "B", ["y"])
    items = [{"phone": "+14155550199"}, {"phone": "+1 (415) 555-0199"}]
    made = await client.post("/v1/contacts/batch", json={"mode": "create", "contacts": items})
    results = made.json()["results"]
    assert [r["status"] for r in results] == ["created", "failed"]
    assert results[1]["error"]["code"] == "conflict"
    assert results[1]["error"]["field"] == "phone"
    assert results[1]["error"]["conflicting_id"] == results[0]["id"]


async def test_batch_items_that_change_nothing_are_unchanged(client: httpx.AsyncClient) -> None:
    # An item that matches a contact and would write nothing new reports `unchanged`: no
    # version bump, no event, as a PATCH that changes nothing.
    opted_out = await make_contact(client, phone="+14155550140", preferences={"sms": "opted_out"})
    items = [
        {"email": "same@example.com", "first_name": "Same", "tags": ["a"]},
        {"email": "same@example.com", "first_name": "Same"},
        {"email": "same@example.com", "last_name": "Later"},
        # A batch never relaxes an opt-out: with that undone, this item writes nothing.
        {"phone": "+14155550140", "preferences": {"sms": "opted_in"}},
    ]
    out = (await client.post("/v1/contacts/batch", json={"contacts": items})).json()
    assert [r["status"] for r in out["results"]] == ["created", "unchanged", "updated", "unchanged"]
    assert (out["total"], out["created"], out["updated"], out["unchanged"], out["failed"]) == (
        4,
        1,
        1,
        2,
        0,
    )
    assert out["results"][1]["id"] == out["results"][0]["id"]
    assert out["results"][3]["id"] == opted_out["id"]
    again = (await client.post("/v1/contacts/batch", json={"contacts": items[2:]})).json()
    assert [r["status"] for r in again["results"]] == ["unchanged", "unchanged"]
    assert (again["updated"], again["unchanged"]) == (0, 2)
    same = (await client.get(f"/v1/contacts/{out['results'][0]['id']}")).json()
    assert (same["version"], same["last_name"]) == (1, "Later")
    kept = (await client.get(f"/v1/contacts/{opted_out['id']}")).json()
    assert (kept["version"], kept["preferences"]["sms"]) == (1, "opted_out")
    updated = await client.get("/v1/events", params={"type": "contact.updated", "limit": 100})
    assert updated.json()["data"] == []


async def test_batch_identifier_held_by_another_contact(client: httpx.AsyncClient) -> None:
    other = await make_contact(client, email="taken@example.com")
    items = [
        {"phone": "+14155550150", "email": "taken@example.com"},
        {"phone": "+14155550151", "email": "free@example.com"},
    ]
    out = (await client.post("/v1/contacts/batch", json={"contacts": items})).json()
    assert [r["status"] for r in out["results"]] == ["failed", "created"]
    assert out["results"][0]["error"]["conflicting_id"] == other["id"]
    listed = (await client.get("/v1/contacts", params={"include_total": "true"})).json()
    assert listed["total"] == 2


async def test_batch_limits(client: httpx.AsyncClient) -> None:
    too_many = {"contacts": [{"phone": "+14155550100"}] * 1001}
    response = await client.post("/v1/contacts/batch", json=too_many)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "contacts"
    assert (await client.post("/v1/contacts/batch", json={"contacts": []})).status_code == 422
    bad_mode = {"mode": "merge", "contacts": [{"phone": "+14155550100"}]}
    assert (await client.post("/v1/contacts/batch", json=bad_mode)).status_code == 422
    full = {"contacts": [{"email": f"u{i}@example.com"} for i in range(1000)]}
    out = (await client.post("/v1/contacts/batch", json=full)).json()
    assert out["created"] == 1000


async def test_batch_needs_write_scope(env) -> None:  # type: ignore[no-untyped-def]
    _, key = await env.tenant(scopes=["contacts:read"])
    async with env.client(key) as http:
        response = await http.post("/v1/contacts/batch", json={"contacts": [{"phone": "+1"}]})
    assert response.status_code == 403


async def test_batches_refresh_the_statistics_as_the_tenant_grows(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After FIRST_ROWS contacts created by one tenant's batches, then twice as many, and
    so on, PostgreSQL's statistics are gathered again (see bulk.statistics); contacts
    updated do not count, and another tenant counts apart."""
    monkeypatch.setattr(statistics, "FIRST_ROWS", 3)
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("ANALYZE"):
            seen.append(statement)

    def batch(*emails: str) -> dict[str, Any]:
        return {"contacts": [{"email": f"{e}@example.com"} for e in emails]}

    _, key = await env.tenant()
    _, other_key = await env.tenant()
    engine = env.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        async with env.client(key) as http, env.client(other_key) as other:
            steps = [
                (http, batch("a", "b"), 0),  # 2 created
                (other, batch("a", "b"), 0),  # another tenant's 2
                (http, batch("a", "b", "c"), 1),  # 3 (2 updated): due at 3
                (http, batch("d", "e"), 1),  # 5: next at 6
                (http, batch("f"), 2),  # 6: due
                (other, batch("c"), 3),  # the other tenant's 3: due
            ]
            for http_client, body, analysed in steps:
                response = await http_client.post("/v1/contacts/batch", json=body)
                assert response.status_code == 200, response.text
                assert len(seen) == (analysed if env.name == "postgresql" else 0), body
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert set(seen) <= {repository.COLUMNS}


def test_growth_forgets_the_tenant_written_longest_ago(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(statistics, "FIRST_ROWS", 10)
    monkeypatch.setattr(statistics.Growth, "MAX_TENANTS", 2)
    growth = statistics.Growth()
    first, second, third = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    assert not growth.due(first, 9)
    assert not growth.due(second, 9)
    assert not growth.due(first, 0)  # first is now the most recent
    assert not growth.due(third, 1)  # second is forgotten
    assert growth.due(first, 1)  # 10
    assert not growth.due(second, 9)  # counted from 0 again
    assert growth.due(first, 30)  # 40: past 20, next at 80
    assert not growth.due(first, 39)
    assert growth.due(first, 1)
