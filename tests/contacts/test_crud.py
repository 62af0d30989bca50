"""Creating, reading, updating, archiving and restoring contacts over HTTP."""

from __future__ import annotations

from tests.conftest import make_contact


async def test_create_returns_contact_location_and_etag(client):
    response = await client.post(
        "/v1/contacts",
        json={
            "first_name": " Jane ",
            "last_name": "Doe",
            "phone": "(415) 555-1234",
            "email": "Jane.Doe@Example.COM",
            "tags": ["vip", "beta", "vip"],
            "custom_fields": {"plan": "pro", "lifetime_value": 5000},
        },
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert response.headers["location"] == f"/v1/contacts/{body['id']}"
    assert response.headers["etag"] == '"1"'
    assert body["phone"] == "+14155551234"
    assert body["email"] == "Jane.Doe@example.com"
    assert body["name"] == "Jane Doe"
    assert body["first_name"] == "Jane"
    assert body["country"] == "US"
    assert body["tags"] == ["beta", "vip"]
    assert body["source"] == "api"
    assert body["version"] == 1
    assert body["preferences"]["sms"] == "unknown"
    assert body["handles"] == {
        "whatsapp": None,
        "viber": None,
        "rcs": None,
        "telegram": None,
        "messenger": None,
        "instagram": None,
    }
    assert body["created_at"].endswith("Z")
    got = await client.get(f"/v1/contacts/{body['id']}")
    assert got.status_code == 200
    assert got.json() == body
    assert got.headers["etag"] == '"1"'


async def test_patch_changes_only_given_fields_with_merge_semantics(client):
    c = await make_contact(
        client,
        first_name="Ann",
        last_name="Lee",
        company="Acme",
        tags=["a", "b"],
        custom_fields={"plan": "pro", "seats": 3},
        preferences={"sms": "opted_in"},
    )
    r = await client.patch(
        f"/v1/contacts/{c['id']}",
        json={
            "company": None,
            "tags": ["c"],
            "custom_fields": {"seats": None, "tier": 2},
            "preferences": {"email": "opted_out"},
            "job_title": "CTO",
        },
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["company"] is None
    assert body["first_name"] == "Ann"
    assert body["job_title"] == "CTO"
    assert body["tags"] == ["c"]
    assert body["custom_fields"] == {"plan": "pro", "tier": 2}
    assert body["preferences"]["sms"] == "opted_in"
    assert body["preferences"]["email"] == "opted_out"
    assert body["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert body["updated_at"] >= c["updated_at"]
    assert body["created_at"] == c["created_at"]


async def test_put_is_a_partial_update_like_patch(client):
    c = await make_contact(client, first_name="Ann", company="Acme")
    r = await client.put(f"/v1/contacts/{c['id']}", json={"company": "Beta"})
    assert r.status_code == 200
    assert r.json()["first_name"] == "Ann"
    assert r.json()["company"] == "Beta"


async def test_update_that_changes_nothing_bumps_nothing(client):
    c = await make_contact(client, first_name="Ann", phone="+14155550100", tags=["x"])
    r = await client.patch(
        f"/v1/contacts/{c['id']}",
        json={"first_name": " Ann ", "phone": "(415) 555-0100", "tags": ["x", "x"]},
    )
    assert r.status_code == 200
    assert r.json()["version"] == 1
    assert r.json()["updated_at"] == c["updated_at"]


async def test_if_match_stale_is_412_and_changes_nothing(client):
    c = await make_contact(client, company="Acme")
    await client.patch(f"/v1/contacts/{c['id']}", json={"company": "Beta"})
    stale = await client.patch(
        f"/v1/contacts/{c['id']}", json={"company": "Gamma"}, headers={"If-Match": '"1"'}
    )
    assert stale.status_code == 412
    assert stale.headers["content-type"] == "application/problem+json"
    assert stale.json()["code"] == "precondition_failed"
    assert (await client.get(f"/v1/contacts/{c['id']}")).json()["company"] == "Beta"
    fresh = await client.patch(
        f"/v1/contacts/{c['id']}", json={"company": "Gamma"}, headers={"If-Match": '"2"'}
    )
    assert fresh.status_code == 200
    assert fresh.json()["company"] == "Gamma"
    stale_delete = await client.delete(f"/v1/contacts/{c['id']}", headers={"If-Match": '"2"'})
    assert stale_delete.status_code == 412
    assert (await client.get(f"/v1/contacts/{c['id']}")).status_code == 200
    any_delete = await client.delete(f"/v1/contacts/{c['id']}", headers={"If-Match": "*"})
    assert any_delete.status_code == 204


async def test_archive_hides_and_restore_brings_back(client):
    c = await make_contact(client, phone="+14155550101")
    assert (await client.delete(f"/v1/contacts/{c['id']}")).status_code == 204
    assert (await client.get(f"/v1/contacts/{c['id']}")).status_code == 404
    archived = await client.get(f"/v1/contacts/{c['id']}", params={"include_deleted": "true"})
    assert archived.status_code == 200
    assert archived.json()["deleted_at"] is not None
    assert archived.json()["version"] == 2
    listed = (await client.get("/v1/contacts")).json()["data"]
    assert c["id"] not in [x["id"] for x in listed]
    assert (await client.delete(f"/v1/contacts/{c['id']}")).status_code == 204  # idempotent
    assert (await client.patch(f"/v1/contacts/{c['id']}", json={"company": "X"})).status_code == 404
    restored = await client.post(f"/v1/contacts/{c['id']}/restore")
    assert restored.status_code == 200
    assert restored.json()["deleted_at"] is None
    assert restored.json()["phone"] == "+14155550101"
    assert (await client.get(f"/v1/contacts/{c['id']}")).status_code == 200


async def test_restore_refused_when_an_identifier_was_taken_meanwhile(client):
    c = await make_contact(client, phone="+14155550102")
    await client.delete(f"/v1/contacts/{c['id']}")
    newer = await make_contact(client, phone="4155550102")  # archived phones are free again
    r = await client.post(f"/v1/contacts/{c['id']}/restore")
    assert r.status_code == 409
    assert r.json()["field"] == "phone"
    assert r.json()["conflicting_id"] == newer["id"]
    assert (await client.get(f"/v1/contacts/{c['id']}")).status_code == 404


async def test_name_rules(client):
    derived = await make_contact(client, first_name="Jane", last_name="Doe")
    assert derived["name"] == "Jane Doe"
    only_first = await make_contact(client, first_name="Jane")
    assert only_first["name"] == "Jane"
    given = await make_contact(client, name="  JD  ", first_name="Jane")
    assert given["name"] == "JD"
    r = await client.patch(f"/v1/contacts/{given['id']}", json={"first_name": "Janet"})
    assert r.json()["name"] == "JD"  # a given name is kept
    r = await client.patch(f"/v1/contacts/{given['id']}", json={"name": None})
    assert r.json()["name"] == "Janet"  # cleared: derived again
    r = await client.patch(f"/v1/contacts/{derived['id']}", json={"last_name": "Roe"})
    assert r.json()["name"] == "Jane Roe"
    assert (await make_contact(client, phone="+14155550103"))["name"] is None


async def test_phone_read_in_country_or_tenant_region(env):
    _, key = await env.tenant(region="DE")
    async with env.client(key) as http:
        uk = await make_contact(http, phone="020 7946 0958", country="gb")
        assert uk["phone"] == "+442079460958"
        assert uk["country"] == "GB"
        de = await make_contact(http, phone="030 901820")
        assert de["phone"] == "+4930901820"
        assert de["country"] == "DE"  # inferred from the phone
        us = await make_contact(http, phone="+1 415-555-0104", country="CA")
        assert us["country"] == "CA"  # a given country is kept
        lang = await make_contact(http, email="x@example.org", language="PT_br")
        assert lang["language"] == "pt-BR"


async def test_handles_are_normalised_and_unique(client):
    a = await make_contact(
        client, email="h1@example.com", handles={"whatsapp": "(415) 555-0105", "telegram": "@JaneD"}
    )
    assert a["handles"]["whatsapp"] == "+14155550105"
    assert a["handles"]["telegram"] == "janed"
    r = await client.post(
        "/v1/contacts", json={"email": "h2@example.com", "handles": {"whatsapp": "+14155550105"}}
    )
    assert r.status_code == 409
    assert r.json()["field"] == "handles.whatsapp"
    assert r.json()["conflicting_id"] == a["id"]
    cleared = await client.patch(f"/v1/contacts/{a['id']}", json={"handles": {"whatsapp": None}})
    assert cleared.json()["handles"]["whatsapp"] is None
    assert cleared.json()["handles"]["telegram"] == "janed"


async def test_identifier_conflicts_name_field_and_holder(client):
    a = await make_contact(
        client, phone="+14155550106", email="Dup@Example.com", external_id="crm-1"
    )
    for body, field in (
        ({"phone": "415.555.0106"}, "phone"),
        ({"email": "dup@EXAMPLE.com"}, "email"),
        ({"external_id": "crm-1"}, "external_id"),
    ):
        r = await client.post("/v1/contacts", json=body)
        assert r.status_code == 409, body
        problem = r.json()
        assert problem["code"] == "conflict"
        assert problem["type"] == "/problems/conflict"
        assert problem["field"] == field
        assert problem["conflicting_id"] == a["id"]
    b = await make_contact(client, phone="+14155550107")
    r = await client.patch(f"/v1/contacts/{b['id']}", json={"email": "DUP@example.com"})
    assert r.status_code == 409
    assert r.json()["field"] == "email"
    assert (await client.get(f"/v1/contacts/{b['id']}")).json()["email"] is None


async def test_lookup_by_each_identifier(client):
    a = await make_contact(
        client,
        phone="+14155550108",
        email="Look@Example.com",
        external_id="ext-9",
        handles={"viber": "+14155550199"},
    )
    for params in (
        {"phone": "(415) 555-0108"},
        {"email": "look@example.COM"},
        {"external_id": "ext-9"},
        {"handle": "viber:+1 415 555 0199"},
    ):
        r = await client.get("/v1/contacts/lookup", params=params)
        assert r.status_code == 200, params
        assert r.json()["id"] == a["id"]
        assert r.headers["etag"] == '"1"'
    assert (
        await client.get("/v1/contacts/lookup", params={"phone": "+14155550109"})
    ).status_code == 404
    assert (await client.get("/v1/contacts/lookup")).status_code == 400
    both = await client.get(
        "/v1/contacts/lookup", params={"phone": "+14155550108", "email": "look@example.com"}
    )
    assert both.status_code == 400
    assert (
        await client.get("/v1/contacts/lookup", params={"handle": "fax:123"})
    ).status_code == 400


async def test_upsert_creates_then_updates(client):
    r = await client.post("/v1/contacts/upsert", json={"phone": "415 555 0110", "first_name": "Up"})
    assert r.status_code == 201
    assert r.headers["location"] == f"/v1/contacts/{r.json()['id']}"
    first = r.json()
    r = await client.post("/v1/contacts/upsert", json={"phone": "+14155550110", "company": "Acme"})
    assert r.status_code == 200
    assert r.json()["id"] == first["id"]
    assert r.json()["company"] == "Acme"
    assert r.json()["first_name"] == "Up"
    assert r.json()["version"] == 2
    by_email = await client.post(
        "/v1/contacts/upsert",
        params={"match_on": "email"},
        json={"email": "UP@example.com", "phone": "+14155550110"},
    )
    # no contact has that email, and the phone belongs to another contact: 409, not a merge
    assert by_email.status_code == 409
    assert by_email.json()["field"] == "phone"
    missing = await client.post(
        "/v1/contacts/upsert", params={"match_on": "email"}, json={"phone": "+14155550110"}
    )
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "email"
    nothing = await client.post("/v1/contacts/upsert", json={"first_name": "X"})
    assert nothing.status_code == 422


async def test_concurrent_upserts_of_one_new_phone_make_one_contact(client):
    import asyncio

    responses = await asyncio.gather(
        *(
            client.post(
                "/v1/contacts/upsert", json={"phone": "+14155550111", "custom_fields": {f"k{i}": i}}
            )
            for i in range(10)
        )
    )
    assert sorted(r.status_code for r in responses).count(201) == 1
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    final = (await client.get("/v1/contacts/lookup", params={"phone": "+14155550111"})).json()
    assert final["custom_fields"] == {f"k{i}": i for i in range(10)}


async def test_tags_add_remove_and_counts(client):
    a = await make_contact(client, tags=["vip"])
    b = await make_contact(client, tags=["vip", "beta"])
    c = await make_contact(client, tags=["beta"])
    r = await client.post(f"/v1/contacts/{a['id']}/tags", json={"tags": ["beta", " vip ", "new"]})
    assert r.status_code == 200
    assert r.json()["tags"] == ["beta", "new", "vip"]
    assert r.json()["version"] == 2
    again = await client.post(f"/v1/contacts/{a['id']}/tags", json={"tags": ["vip"]})
    assert again.json()["version"] == 2  # nothing new: nothing bumped
    r = await client.delete(f"/v1/contacts/{b['id']}/tags/beta")
    assert r.json()["tags"] == ["vip"]
    r = await client.delete(f"/v1/contacts/{b['id']}/tags/absent")
    assert r.status_code == 200
    assert r.json()["version"] == 2
    await client.delete(f"/v1/contacts/{c['id']}")  # archived contacts are not counted
    counts = (await client.get("/v1/tags")).json()
    assert counts["data"] == [
        {"tag": "beta", "count": 1},
        {"tag": "new", "count": 1},
        {"tag": "vip", "count": 2},
    ]
    first = (await client.get("/v1/tags", params={"limit": 2})).json()
    assert [t["tag"] for t in first["data"]] == ["beta", "new"]
    assert first["has_more"] is True
    rest = (
        await client.get("/v1/tags", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [t["tag"] for t in rest["data"]] == ["vip"]
    assert rest["has_more"] is False
    assert rest["next_cursor"] is None
    too_many = await client.post(
        f"/v1/contacts/{a['id']}/tags", json={"tags": [f"t{i}" for i in range(98)]}
    )
    assert too_many.status_code == 422


async def test_list_pages_with_cursor_offset_and_total(client):
    made = [await make_contact(client, name=f"Person {i:02d}") for i in range(7)]
    r = await client.get("/v1/contacts", params={"limit": 3, "include_total": "true"})
    page = r.json()
    assert page["total"] == 7
    assert [c["id"] for c in page["data"]] == [c["id"] for c in reversed(made)][:3]
    seen = [c["id"] for c in page["data"]]
    while page["has_more"]:
        page = (
            await client.get("/v1/contacts", params={"limit": 3, "cursor": page["next_cursor"]})
        ).json()
        seen += [c["id"] for c in page["data"]]
    assert seen == [c["id"] for c in reversed(made)]
    by_name = (await client.get("/v1/contacts", params={"sort": "-name", "limit": 2})).json()
    assert [c["name"] for c in by_name["data"]] == ["Person 06", "Person 05"]
    nxt = (
        await client.get(
            "/v1/contacts", params={"sort": "-name", "limit": 2, "cursor": by_name["next_cursor"]}
        )
    ).json()
    assert [c["name"] for c in nxt["data"]] == ["Person 04", "Person 03"]
    paged = (
        await client.get("/v1/contacts", params={"sort": "name", "limit": 2, "page": 2})
    ).json()
    assert [c["name"] for c in paged["data"]] == ["Person 02", "Person 03"]
    offset = (
        await client.get("/v1/contacts", params={"sort": "name", "limit": 2, "offset": 5})
    ).json()
    assert [c["name"] for c in offset["data"]] == ["Person 05", "Person 06"]
    wrong_sort = await client.get(
        "/v1/contacts", params={"sort": "name", "cursor": by_name["next_cursor"]}
    )
    assert wrong_sort.status_code == 400


async def test_list_pagination_parameters_are_checked(client):
    for params in (
        {"limit": 0},
        {"limit": 101},
        {"cursor": "garbage!"},
        {"cursor": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
        {"page": 0},
        {"offset": -1},
        {"sort": "phone"},
        {"limit": "ten"},
    ):
        r = await client.get("/v1/contacts", params=params)
        assert r.status_code == 400, (params, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "invalid_request"
