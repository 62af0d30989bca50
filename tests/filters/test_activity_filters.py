"""`activity.last_at` and `activity.<type>.count` in filters, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.conftest import Env, make_contact
from tests.filters.test_search import ids


def _ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat().replace("+00:00", "Z")


async def _activity(http: httpx.AsyncClient, contact_id: str, kind: str, days: float) -> None:
    response = await http.post(
        f"/v1/contacts/{contact_id}/activities",
        json={"type": kind, "channel": "sms", "occurred_at": _ago(days)},
    )
    assert response.status_code == 201, response.text


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    out: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        out["value"] = value
    return out


async def test_last_at_and_counts(client: httpx.AsyncClient) -> None:
    recent = await make_contact(client, name="Recent")
    old = await make_contact(client, name="Old")
    never = await make_contact(client, name="Never")
    await _activity(client, recent["id"], "message.sent", 40)
    await _activity(client, recent["id"], "message.sent", 2)
    await _activity(client, recent["id"], "call.completed", 1)
    await _activity(client, old["id"], "message.sent", 90)
    # The contact's own events (created, updated, tags) are not interactions.
    await client.patch(f"/v1/contacts/{never['id']}", json={"status": "lead"})
    await client.post(f"/v1/contacts/{never['id']}/tags", json={"tags": ["x"]})

    last = "activity.last_at"
    assert await ids(client, cond(last, "within_last", "7d")) == {recent["id"]}
    assert await ids(client, cond(last, "not_within_last", "7d")) == {old["id"], never["id"]}
    assert await ids(client, cond(last, "within_last", "100d")) == {recent["id"], old["id"]}
    assert await ids(client, cond(last, "exists")) == {recent["id"], old["id"]}
    assert await ids(client, cond(last, "not_exists")) == {never["id"]}
    assert await ids(client, cond(last, "lt", _ago(30))) == {old["id"]}
    assert await ids(client, cond(last, "gte", _ago(30))) == {recent["id"]}
    assert await ids(client, cond(last, "between", [_ago(100), _ago(50)])) == {old["id"]}
    assert await ids(client, {"not": cond(last, "gt", _ago(30))}) == {old["id"], never["id"]}

    sent = "activity.message.sent.count"
    assert await ids(client, cond(sent, "eq", 2)) == {recent["id"]}
    assert await ids(client, cond(sent, "gte", 1)) == {recent["id"], old["id"]}
    assert await ids(client, cond(sent, "eq", 0)) == {never["id"]}
    assert await ids(client, cond(sent, "neq", 1)) == {recent["id"], never["id"]}
    assert await ids(client, cond(sent, "in", [0, 1])) == {old["id"], never["id"]}
    assert await ids(client, cond(sent, "between", [1, 1])) == {old["id"]}
    assert await ids(client, cond("activity.call.completed.count", "gt", 0)) == {recent["id"]}
    assert await ids(client, cond("activity.custom.none.count", "eq", 0)) == {
        recent["id"],
        old["id"],
        never["id"],
    }
    assert await ids(client, cond("activity.contact.updated.count", "gte", 1)) == {never["id"]}
    combined = {"all": [cond(sent, "gte", 1), cond(last, "not_within_last", "30d")]}
    assert await ids(client, combined) == {old["id"]}


async def test_activity_filters_in_segments_listing_and_exports(client: httpx.AsyncClient) -> None:
    active = await make_contact(client, email="active@example.com")
    await make_contact(client, email="quiet@example.com")
    await _activity(client, active["id"], "message.received", 3)
    expr = {"all": [cond("activity.last_at", "within_last", "30d")]}
    made = await client.post("/v1/segments", json={"name": "Active", "filter": expr})
    assert made.status_code == 201, made.text
    segment = made.json()["id"]
    got = (await client.get(f"/v1/segments/{segment}")).json()
    assert got["contact_count"] == 1
    listed = (await client.get("/v1/contacts", params={"segment_id": segment})).json()["data"]
    assert [c["id"] for c in listed] == [active["id"]]
    preview = await client.post("/v1/segments/preview", json={"filter": expr})
    assert preview.json()["count"] == 1
    exported = await client.post("/v1/contacts/export", json={"format": "ndjson", "filter": expr})
    assert exported.status_code == 200 and active["id"] in exported.text
    assert len(exported.text.splitlines()) == 1


async def test_activity_filters_are_tenant_scoped(env: Env, client: httpx.AsyncClient) -> None:
    mine = await make_contact(client)
    _, key = await env.tenant()
    async with env.client(key) as other:
        theirs = await make_contact(other)
        await _activity(other, theirs["id"], "message.sent", 1)
        expr = cond("activity.message.sent.count", "gte", 1)
        assert await ids(other, expr) == {theirs["id"]}
        assert await ids(client, expr) == set()
        assert await ids(client, cond("activity.last_at", "not_exists")) == {mine["id"]}
