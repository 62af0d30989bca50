"""Every list filter of GET /v1/contacts, on both engines."""

from __future__ import annotations

import asyncio

from tests.conftest import make_contact


async def ids(client, **params) -> list[str]:
    response = await client.get("/v1/contacts", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    return [row["id"] for row in response.json()["data"]]


async def test_tag_all_and_any_tag(client):
    both = await make_contact(client, tags=["vip", "beta"])
    vip = await make_contact(client, tags=["vip"])
    beta = await make_contact(client, tags=["beta", "gamma"])
    await make_contact(client)
    assert set(await ids(client, tag=["vip", "beta"])) == {both["id"]}
    assert set(await ids(client, tag="vip")) == {both["id"], vip["id"]}
    assert set(await ids(client, any_tag=["vip", "gamma"])) == {both["id"], vip["id"], beta["id"]}
    assert set(await ids(client, tag="beta", any_tag=["gamma"])) == {beta["id"]}
    assert await ids(client, tag="nobody") == []


async def test_tag_filter_follows_tag_changes(client):
    contact = await make_contact(client, tags=["old"])
    await client.patch(f"/v1/contacts/{contact['id']}", json={"tags": ["new"]})
    assert await ids(client, tag="old") == []
    assert await ids(client, tag="new") == [contact["id"]]


async def test_status_country_source_suppressed(client):
    lead = await make_contact(client, status="lead", country="us", source="import")
    customer = await make_contact(client, status="customer", country="DE", suppressed=True)
    assert await ids(client, status="lead") == [lead["id"]]
    assert await ids(client, country="us") == [lead["id"]]
    assert await ids(client, country="DE") == [customer["id"]]
    assert await ids(client, source="import") == [lead["id"]]
    assert await ids(client, source="api") == [customer["id"]]
    assert await ids(client, suppressed="true") == [customer["id"]]
    assert await ids(client, suppressed="false") == [lead["id"]]


async def test_time_filters(client):
    first = await make_contact(client)
    await asyncio.sleep(0.01)
    second = await make_contact(client)
    cut = second["created_at"]
    assert await ids(client, created_after=first["created_at"]) == [second["id"]]
    assert await ids(client, created_before=cut) == [first["id"]]
    # Offsets other than Z are read as the instant they name.
    assert await ids(client, created_after="2000-01-01T02:00:00+02:00") == [
        second["id"],
        first["id"],
    ]
    await asyncio.sleep(0.01)
    await client.patch(f"/v1/contacts/{first['id']}", json={"company": "Acme"})
    assert await ids(client, updated_after=second["updated_at"]) == [first["id"]]


async def test_bad_timestamps_name_the_parameter(client):
    for name in ("created_after", "created_before", "updated_after"):
        for bad in ("yesterday", "2026-11-22", "2026-11-22T08:00:00", "2026-13-01T00:00:00Z"):
            response = await client.get("/v1/contacts", params={name: bad})
            assert response.status_code == 400, (name, bad)
            body = response.json()
            assert body["code"] == "invalid_request"
            assert body["errors"][0]["field"] == name


async def test_opted_out(client):
    out = await make_contact(client, preferences={"sms": "opted_out"})
    await make_contact(client, preferences={"sms": "opted_in", "email": "opted_out"})
    assert await ids(client, opted_out="sms") == [out["id"]]
    response = await client.get("/v1/contacts", params={"opted_out": "pigeon"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "opted_out"


async def test_custom_field_equality_is_typed(client):
    true_bool = await make_contact(client, custom_fields={"is_vip": True})
    true_text = await make_contact(client, custom_fields={"is_vip": "true"})
    false_bool = await make_contact(client, custom_fields={"is_vip": False})
    number = await make_contact(client, custom_fields={"ltv": 5000, "plan": "pro"})
    text_number = await make_contact(client, custom_fields={"ltv": "5000"})
    float_number = await make_contact(client, custom_fields={"ltv": 12.5})
    # (null in custom_fields removes a key, so a stored JSON null cannot be made over the API.)
    null = await make_contact(client, custom_fields={"plan": "null"})
    assert set(await ids(client, **{"custom_fields.is_vip": "true"})) == {
        true_bool["id"],
        true_text["id"],
    }
    assert await ids(client, **{"custom_fields.is_vip": "false"}) == [false_bool["id"]]
    assert set(await ids(client, **{"custom_fields.ltv": "5000"})) == {
        number["id"],
        text_number["id"],
    }
    assert await ids(client, **{"custom_fields.ltv": "12.5"}) == [float_number["id"]]
    assert await ids(client, **{"custom_fields.plan": "pro"}) == [number["id"]]
    # "null" finds the string "null", never a missing key.
    assert await ids(client, **{"custom_fields.ltv": "null"}) == []
    assert await ids(client, **{"custom_fields.plan": "null"}) == [null["id"]]
    assert await ids(client, **{"custom_fields.plan": "PRO"}) == []
    assert await ids(client, **{"custom_fields.plan": "pro", "custom_fields.ltv": "1"}) == []


async def test_custom_field_key_with_dots_and_quotes(client):
    dotted = await make_contact(client, custom_fields={"a.b": "x"})
    await make_contact(client, custom_fields={"a": {"b": "x"}})
    assert await ids(client, **{"custom_fields.a.b": "x"}) == [dotted["id"]]
    response = await client.get("/v1/contacts", params={'custom_fields.a"b': "x"})
    assert response.status_code == 400


async def test_archived_hidden_unless_include_deleted(client):
    kept = await make_contact(client, tags=["t"])
    gone = await make_contact(client, tags=["t"])
    assert (await client.delete(f"/v1/contacts/{gone['id']}")).status_code == 204
    assert await ids(client, tag="t") == [kept["id"]]
    assert await ids(client, tag="t", include_deleted="true") == [gone["id"], kept["id"]]
    response = await client.get("/v1/contacts", params={"include_deleted": "true"})
    archived = [r for r in response.json()["data"] if r["id"] == gone["id"]]
    assert archived[0]["deleted_at"] is not None
    await client.post(f"/v1/contacts/{gone['id']}/restore")
    assert set(await ids(client, tag="t")) == {kept["id"], gone["id"]}


async def test_unknown_and_malformed_parameters_are_refused(client):
    for params in ({"tags": "vip"}, {"list_id": "x"}, {"segment_id": "x"}, {"status": ["a", "b"]}):
        response = await client.get("/v1/contacts", params=params)
        assert response.status_code == 400, params
        assert response.json()["errors"][0]["field"] == next(iter(params))


async def test_bad_booleans_and_sorts(client):
    assert (await client.get("/v1/contacts", params={"suppressed": "maybe"})).status_code == 400
    assert (await client.get("/v1/contacts", params={"sort": "phone"})).status_code == 400


async def test_filters_never_cross_tenants(env, client):
    await make_contact(client, tags=["shared"], status="lead", email="jane.shared@example.com")
    _, key = await env.tenant()
    async with env.client(key) as other:
        assert await ids(other, tag="shared") == []
        assert await ids(other, status="lead") == []
        assert await ids(other, q="jane.shared") == []
        body = (await other.get("/v1/contacts", params={"include_total": "true"})).json()
        assert body["total"] == 0
