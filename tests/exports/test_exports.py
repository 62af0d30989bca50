"""Streaming exports on both engines, and an export re-imported into a fresh tenant."""

from __future__ import annotations

import csv
import io
import json

import httpx

from tests.conftest import Env, make_contact
from tests.helpers.jobs import all_contacts, import_csv

COMPARED = (
    "first_name",
    "last_name",
    "name",
    "phone",
    "email",
    "external_id",
    "company",
    "job_title",
    "status",
    "country",
    "language",
    "avatar_url",
    "source",
    "tags",
    "custom_fields",
    "handles",
    "preferences",
    "suppressed",
    "suppressed_reason",
)


async def _people(http: httpx.AsyncClient) -> None:
    await make_contact(
        http,
        phone="+14155550130",
        first_name="Ada",
        last_name="Lovelace",
        email="Ada@Example.com",
        company='Engines, "Analytical"',
        tags=["vip", "math"],
        custom_fields={"city": "London", "note": "line one\nline two"},
        handles={"telegram": "ada_l", "whatsapp": "+14155550130"},
        preferences={"sms": "opted_in", "email": "opted_out"},
        status="active",
        language="en-GB",
    )
    await make_contact(http, email="bob@example.com", name="Bob B", country="DE", status="lead")
    await make_contact(
        http, external_id="crm-42", suppressed=True, suppressed_reason="bounced", source="crm"
    )


async def test_csv_and_ndjson_with_filters(client: httpx.AsyncClient) -> None:
    await _people(client)
    archived = await make_contact(client, email="gone@example.com")
    assert (await client.delete(f"/v1/contacts/{archived['id']}")).status_code == 204
    response = await client.get("/v1/contacts/export", params={"format": "csv"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3
    header = response.text.splitlines()[0].split(",")
    assert header[-2:] == ["custom_fields.city", "custom_fields.note"]
    ada = next(r for r in rows if r["phone"] == "+14155550130")
    assert ada["tags"] == "math,vip" and ada["custom_fields.note"] == "line one\nline two"
    assert ada["handles.telegram"] == "ada_l" and ada["preferences.sms"] == "opted_in"
    nd = await client.get("/v1/contacts/export", params={"format": "ndjson", "status": "lead"})
    assert nd.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in nd.text.splitlines()]
    assert [line["email"] for line in lines] == ["bob@example.com"]
    tagged = await client.get("/v1/contacts/export", params={"format": "ndjson", "tag": "vip"})
    assert [json.loads(x)["phone"] for x in tagged.text.splitlines()] == ["+14155550130"]
    everyone = await client.get(
        "/v1/contacts/export", params={"format": "ndjson", "include_deleted": "true"}
    )
    assert len(everyone.text.splitlines()) == 4
    posted = await client.post(
        "/v1/contacts/export",
        json={
            "format": "ndjson",
            "filter": {"all": [{"field": "country", "op": "eq", "value": "de"}]},
        },
    )
    assert [json.loads(x)["email"] for x in posted.text.splitlines()] == ["bob@example.com"]
    bad = await client.post(
        "/v1/contacts/export", json={"filter": {"field": "x", "op": "eq", "value": "1"}}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "filter.field"
    assert (await client.get("/v1/contacts/export", params={"format": "xml"})).status_code == 400


async def test_export_is_tenant_scoped_and_batched(env: Env, client: httpx.AsyncClient) -> None:
    items = [{"email": f"b{i}@example.com"} for i in range(1000)]
    for _ in range(3):
        assert (
            await client.post("/v1/contacts/batch", json={"contacts": items})
        ).status_code == 200
        items = [{"email": i["email"].replace("@", "x@")} for i in items]
    _, key = await env.tenant()
    async with env.client(key) as other:
        await make_contact(other, email="other@example.com")
        mine = await other.get("/v1/contacts/export", params={"format": "ndjson"})
        assert [json.loads(x)["email"] for x in mine.text.splitlines()] == ["other@example.com"]
    body = (await client.get("/v1/contacts/export")).text
    ids = [r["id"] for r in csv.DictReader(io.StringIO(body))]
    assert len(ids) == len(set(ids)) == 3000  # more than one 2,000-row batch, no repeats


async def test_export_reimports_to_the_same_contacts(env: Env, client: httpx.AsyncClient) -> None:
    await _people(client)
    exported = (await client.get("/v1/contacts/export")).content
    _, key = await env.tenant()
    async with env.client(key) as fresh:
        job = await import_csv(env, fresh, exported)
        assert (job["status"], job["created"], job["failed"]) == ("completed", 3, 0), job
        before = {p["id"]: p for p in await all_contacts(client)}
        after = await all_contacts(fresh)
        by_identity = {(p["phone"], p["email"], p["external_id"]): p for p in after}
        assert len(by_identity) == 3
        for original in before.values():
            copy = by_identity[(original["phone"], original["email"], original["external_id"])]
            assert {k: copy[k] for k in COMPARED} == {k: original[k] for k in COMPARED}
        # Importing the same file again changes nothing and creates nothing.
        job = await import_csv(env, fresh, exported)
        assert (job["created"], job["updated"], job["skipped"], job["failed"]) == (0, 0, 3, 0)
        assert [p["version"] for p in await all_contacts(fresh)] == [1, 1, 1]
