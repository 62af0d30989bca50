"""POST /v1/contacts/search: every field kind and op through the API, on both engines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.conftest import make_contact


async def ids(http: httpx.AsyncClient, expr: dict[str, Any] | None, **extra: Any) -> set[str]:
    body: dict[str, Any] = {"limit": 100, **extra}
    if expr is not None:
        body["filter"] = expr
    response = await http.post("/v1/contacts/search", json=body)
    assert response.status_code == 200, response.text
    return {c["id"] for c in response.json()["data"]}


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    body = {"field": field, "op": op}
    if value is not None:
        body["value"] = value
    return body


@pytest.fixture
async def people(client: httpx.AsyncClient) -> dict[str, dict[str, Any]]:
    jane = await make_contact(
        client,
        first_name="Jane",
        last_name="Doe",
        phone="+14155551234",
        email="Jane.Doe@Acme.com",
        company="Acme_Corp",
        status="customer",
        tags=["vip", "beta"],
        # Fixed in the past (never within the last 30 days, whatever the date of the run).
        custom_fields={"ltv": 5000, "plan": "pro", "renews": "2025-12-01", "vip": True},
        preferences={"sms": "opted_out"},
        handles={"telegram": "@JaneD"},
    )
    bob = await make_contact(
        client,
        first_name="Bob",
        email="bob@example.org",
        status="lead",
        country="CA",
        tags=["beta"],
        custom_fields={"ltv": 250.5, "plan": "free", "renews": "2026-01-15T10:00:00+02:00"},
    )
    cy = await make_contact(
        client,
        external_id="crm-3",
        name="Cy 100% Sure",
        custom_fields={"ltv": "9999", "vip": False},
        suppressed=True,
        suppressed_reason="bounced",
    )
    return {"jane": jane, "bob": bob, "cy": cy}


async def test_text_fields(client: httpx.AsyncClient, people: dict[str, Any]) -> None:
    jane, bob, cy = (people[k]["id"] for k in ("jane", "bob", "cy"))
    assert await ids(client, cond("email", "eq", "jane.doe@acme.COM")) == {jane}
    assert await ids(client, cond("email", "ends_with", "@ACME.com")) == {jane}
    assert await ids(client, cond("phone", "eq", "(415) 555-1234")) == {jane}
    assert await ids(client, cond("phone", "in", ["+1 415 555 1234", "+442079460000"])) == {jane}
    assert await ids(client, cond("phone", "neq", "+14155551234")) == {bob, cy}
    assert await ids(client, cond("first_name", "starts_with", "b")) == {bob}
    assert await ids(client, cond("company", "contains", "e_c")) == {jane}
    # _ and % in a value are literal characters, not wildcards.
    assert await ids(client, cond("company", "contains", "e%c")) == set()
    assert await ids(client, cond("name", "contains", "100%")) == {cy}
    assert await ids(client, cond("country", "eq", "ca")) == {bob}
    assert await ids(client, cond("status", "in", ["lead", "customer"])) == {jane, bob}
    # neq / not_in match contacts with no value at all.
    assert await ids(client, cond("status", "neq", "lead")) == {jane, cy}
    assert await ids(client, cond("status", "not_in", ["lead"])) == {jane, cy}
    assert await ids(client, cond("status", "exists")) == {jane, bob}
    assert await ids(client, cond("status", "not_exists")) == {cy}
    assert await ids(client, cond("handles.telegram", "eq", "@janed")) == {jane}
    assert await ids(client, cond("external_id", "eq", "crm-3")) == {cy}


async def test_booleans_preferences_dates(
    client: httpx.AsyncClient, people: dict[str, Any]
) -> None:
    jane, bob, cy = (people[k]["id"] for k in ("jane", "bob", "cy"))
    assert await ids(client, cond("suppressed", "eq", True)) == {cy}
    assert await ids(client, cond("suppressed", "neq", True)) == {jane, bob}
    assert await ids(client, cond("suppressed_reason", "eq", "bounced")) == {cy}
    assert await ids(client, cond("preferences.sms", "eq", "opted_out")) == {jane}
    assert await ids(client, cond("preferences.sms", "in", ["unknown"])) == {bob, cy}
    everyone = {jane, bob, cy}
    assert await ids(client, cond("created_at", "within_last", "1h")) == everyone
    assert await ids(client, cond("created_at", "not_within_last", "1h")) == set()
    assert await ids(client, cond("created_at", "gt", "2020-01-01")) == everyone
    assert await ids(client, cond("updated_at", "lt", "2020-01-01T00:00:00Z")) == set()
    created = people["bob"]["created_at"]
    assert await ids(client, cond("created_at", "eq", created)) == {bob}
    assert await ids(client, cond("created_at", "between", [created, created])) == {bob}


async def test_tags(client: httpx.AsyncClient, people: dict[str, Any]) -> None:
    jane, bob, cy = (people[k]["id"] for k in ("jane", "bob", "cy"))
    assert await ids(client, cond("tags", "has", "vip")) == {jane}
    assert await ids(client, cond("tags", "has_any", ["vip", "beta"])) == {jane, bob}
    assert await ids(client, cond("tags", "has_all", ["vip", "beta"])) == {jane}
    assert await ids(client, cond("tags", "has_all", ["beta", "beta"])) == {jane, bob}
    assert await ids(client, cond("tags", "has_none", ["vip"])) == {bob, cy}
    assert await ids(client, cond("tags", "exists")) == {jane, bob}
    assert await ids(client, cond("tags", "not_exists")) == {cy}


async def test_custom_fields_typed(client: httpx.AsyncClient, people: dict[str, Any]) -> None:
    jane, bob, cy = (people[k]["id"] for k in ("jane", "bob", "cy"))
    # Numbers numerically: the string "9999" is not a number.
    assert await ids(client, cond("custom_fields.ltv", "gte", 1000)) == {jane}
    assert await ids(client, cond("custom_fields.ltv", "lt", 1000)) == {bob}
    assert await ids(client, cond("custom_fields.ltv", "between", [250.5, 5000])) == {jane, bob}
    assert await ids(client, cond("custom_fields.ltv", "eq", 5000)) == {jane}
    assert await ids(client, cond("custom_fields.ltv", "eq", "9999")) == {cy}
    assert await ids(client, cond("custom_fields.ltv", "in", [250.5, 5000.0])) == {jane, bob}
    assert await ids(client, cond("custom_fields.plan", "contains", "PR")) == {jane}
    assert await ids(client, cond("custom_fields.plan", "neq", "pro")) == {bob, cy}
    assert await ids(client, cond("custom_fields.vip", "eq", True)) == {jane}
    assert await ids(client, cond("custom_fields.vip", "eq", False)) == {cy}
    assert await ids(client, cond("custom_fields.vip", "exists")) == {jane, cy}
    assert await ids(client, cond("custom_fields.vip", "not_exists")) == {bob}
    # Dates as dates: 2026-01-15T10:00+02:00 is 08:00 UTC.
    assert await ids(client, cond("custom_fields.renews", "gt", "2026-01-15T08:30:00Z")) == set()
    assert await ids(client, cond("custom_fields.renews", "lt", "2026-01-15T08:30:00Z")) == {
        jane,
        bob,
    }
    assert await ids(client, cond("custom_fields.renews", "gte", "2026-01-15T08:00:00Z")) == {bob}
    assert await ids(
        client, cond("custom_fields.renews", "between", ["2026-01-01", "2026-02-01"])
    ) == {bob}
    assert await ids(client, cond("custom_fields.renews", "within_last", "30d")) == set()
    # Relative ops against a date set from the run's own clock, so the answer never moves.
    recent = (datetime.now(UTC) - timedelta(days=2)).isoformat()
    response = await client.patch(f"/v1/contacts/{cy}", json={"custom_fields": {"renews": recent}})
    assert response.status_code == 200, response.text
    assert await ids(client, cond("custom_fields.renews", "within_last", "30d")) == {cy}
    assert await ids(client, cond("custom_fields.renews", "not_within_last", "30d")) == {
        jane,
        bob,
    }


async def test_groups_and_q(client: httpx.AsyncClient, people: dict[str, Any]) -> None:
    jane, bob, cy = (people[k]["id"] for k in ("jane", "bob", "cy"))
    expr = {
        "all": [
            {"field": "tags", "op": "has_any", "value": ["vip", "beta"]},
            {
                "any": [
                    {"field": "country", "op": "in", "value": ["US", "CA"]},
                    {"field": "email", "op": "ends_with", "value": "@acme.com"},
                ]
            },
            {"not": {"field": "preferences.sms", "op": "eq", "value": "opted_out"}},
        ]
    }
    assert await ids(client, expr) == {bob}
    assert await ids(client, {"not": expr}) == {jane, cy}
    assert await ids(client, {"all": []}) == {jane, bob, cy}
    assert await ids(client, {"any": []}) == set()
    assert await ids(client, None, q="ACME") == {jane}
    assert await ids(client, None, q="555 12") == {jane}
    assert await ids(client, {"field": "tags", "op": "has", "value": "beta"}, q="bob") == {bob}
    assert await ids(client, None) == {jane, bob, cy}


async def test_archived_contacts_drop_out(
    client: httpx.AsyncClient, people: dict[str, Any]
) -> None:
    bob = people["bob"]["id"]
    assert (await client.delete(f"/v1/contacts/{bob}")).status_code == 204
    assert bob not in await ids(client, cond("tags", "has", "beta"))
    assert (await client.post(f"/v1/contacts/{bob}/restore")).status_code == 200
    assert bob in await ids(client, cond("tags", "has", "beta"))


async def test_paging_sort_and_total(client: httpx.AsyncClient) -> None:
    made = [await make_contact(client, name=f"N{i:02d}", tags=["p"]) for i in range(7)]
    seen: list[str] = []
    cursor = None
    while True:
        body: dict[str, Any] = {
            "filter": cond("tags", "has", "p"),
            "sort": "name",
            "limit": 3,
            "include_total": True,
        }
        if cursor:
            body["cursor"] = cursor
        page = (await client.post("/v1/contacts/search", json=body)).json()
        assert page["total"] == 7
        seen += [c["name"] for c in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [c["name"] for c in made]
    bad = await client.post("/v1/contacts/search", json={"cursor": "garbage"})
    assert bad.status_code == 400
    assert (await client.post("/v1/contacts/search", json={"limit": 101})).status_code == 400


async def test_tenant_isolation_in_subqueries(env: Any, client: httpx.AsyncClient) -> None:
    mine = await make_contact(client, tags=["shared"])
    _, key = await env.tenant()
    async with env.client(key) as other:
        await make_contact(other, tags=["shared"])
        assert await ids(other, cond("tags", "has", "shared")) != {mine["id"]}
        assert mine["id"] not in await ids(other, cond("tags", "has", "shared"))
    assert await ids(client, cond("tags", "has", "shared")) == {mine["id"]}


async def test_read_scope_is_enough_and_needed(env: Any) -> None:
    tenant_id, _ = await env.tenant()
    reader = await env.key(tenant_id, ["contacts:read"])
    async with env.client(reader) as http:
        assert (await http.post("/v1/contacts/search", json={})).status_code == 200
    async with env.client() as anonymous:
        assert (await anonymous.post("/v1/contacts/search", json={})).status_code == 401


async def test_q_reads_as_the_listing_reads_it(
    client: httpx.AsyncClient, people: dict[str, Any]
) -> None:
    """``q`` of a search is the ``q`` of ``GET /v1/contacts``: a case-insensitive substring
    of name, first/last name, email or company, or of the phone's digits; the filter then
    narrows it, and both engines answer the same."""
    jane, bob, cy = (people[k]["id"] for k in ("jane", "bob", "cy"))
    assert await ids(client, None, q="doe") == {jane}
    assert await ids(client, None, q="  ACME_c ") == {jane}  # blanks around it dropped
    assert await ids(client, None, q="5551234") == {jane}
    assert await ids(client, None, q="(415) 555") == {jane}
    assert await ids(client, None, q="100%") == {cy}  # % is a character, not a wildcard
    assert await ids(client, None, q="example.org") == {bob}
    assert await ids(client, None, q="xqzvw") == set()
    beta = cond("tags", "has", "beta")
    assert await ids(client, beta, q="o") == {jane, bob}
    assert await ids(client, beta, q="bob") == {bob}
    assert await ids(client, {"not": beta}, q="sure") == {cy}
    assert await ids(client, cond("custom_fields.plan", "eq", "pro"), q="jane") == {jane}
    assert await ids(client, cond("custom_fields.plan", "eq", "pro"), q="bob") == set()
    listed = await client.get("/v1/contacts", params={"q": "o"})
    assert {c["id"] for c in listed.json()["data"]} == await ids(client, None, q="o")


async def test_q_pages_by_cursor_with_a_total(
    client: httpx.AsyncClient, people: dict[str, Any]
) -> None:
    made = [
        (await make_contact(client, first_name=f"Quinn{i}", tags=["many"]))["id"] for i in range(5)
    ]
    body: dict[str, Any] = {
        "q": "quinn",
        "filter": cond("tags", "has", "many"),
        "limit": 2,
        "include_total": True,
    }
    seen: list[str] = []
    while True:
        page = (await client.post("/v1/contacts/search", json=body)).json()
        assert page["total"] == 5
        seen += [c["id"] for c in page["data"]]
        if not page["has_more"]:
            break
        body["cursor"] = page["next_cursor"]
    assert seen == list(reversed(made))  # newest first, each once


async def test_a_segment_with_tags_beside_a_tag_and_q_in_the_listing(
    client: httpx.AsyncClient, people: dict[str, Any]
) -> None:
    """The listing reads a tag and ``q`` from that tag's rows; a segment's own tag test
    (a subquery of the same table) must still be its own."""
    jane, bob = people["jane"]["id"], people["bob"]["id"]
    made = await client.post(
        "/v1/segments",
        json={"name": "vip or beta", "filter": cond("tags", "has_any", ["vip", "nope"])},
    )
    assert made.status_code == 201, made.text
    segment = made.json()["id"]
    for q, expected in (("o", {jane}), ("bob", set())):
        listed = await client.get(
            "/v1/contacts", params={"segment_id": segment, "tag": "beta", "q": q}
        )
        assert listed.status_code == 200, listed.text
        assert {c["id"] for c in listed.json()["data"]} == expected
    assert bob  # bob has beta but not vip: outside the segment
