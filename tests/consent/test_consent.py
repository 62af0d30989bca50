"""Consent: preferences, the append-only history, suppression, the opt-out list, and the
rule that no contact write relaxes consent."""

from __future__ import annotations

from tests.conftest import make_contact


async def _history(http, contact_id):
    response = await http.get(f"/v1/contacts/{contact_id}/consent")
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def test_put_preferences_changes_channels_and_appends_history(client):
    contact = await make_contact(client, phone="+14155550101")
    response = await client.put(
        f"/v1/contacts/{contact['id']}/preferences",
        json={"preferences": {"sms": "opted_in"}, "source": "web_form:signup", "note": "n1"},
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "sms": "opted_in",
        "whatsapp": "unknown",
        "email": "unknown",
        "rcs": "unknown",
        "viber": "unknown",
        "voice": "unknown",
    }
    response = await client.put(
        f"/v1/contacts/{contact['id']}/preferences",
        json={"preferences": {"sms": "opted_out", "email": "opted_out"}, "source": "keyword:STOP"},
    )
    assert response.json()["sms"] == "opted_out"
    got = await client.get(f"/v1/contacts/{contact['id']}/preferences")
    assert got.json()["email"] == "opted_out"
    history = await _history(client, contact["id"])
    assert [(h["channel"], h["from"], h["to"], h["source"]) for h in history] == [
        ("email", "unknown", "opted_out", "keyword:STOP"),
        ("sms", "opted_in", "opted_out", "keyword:STOP"),
        ("sms", "unknown", "opted_in", "web_form:signup"),
    ]
    assert history[-1]["note"] == "n1"
    assert all(h["actor"] and h["at"].endswith("Z") for h in history)


async def test_actor_is_the_calling_credential(env):
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        contact = await make_contact(http)
        await http.put(
            f"/v1/contacts/{contact['id']}/preferences",
            json={"preferences": {"sms": "opted_out"}, "source": "x"},
        )
        keys = await env.key(tenant_id, ["contacts:read", "contacts:write"])
    async with env.client(keys) as other:
        await other.put(
            f"/v1/contacts/{contact['id']}/preferences",
            json={"preferences": {"sms": "opted_in"}, "source": "y"},
        )
        history = await _history(other, contact["id"])
    assert len(history) == 2
    assert history[0]["actor"] != history[1]["actor"]


async def test_put_preferences_requires_source_and_valid_states(client):
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}/preferences"
    assert (await client.put(url, json={"preferences": {"sms": "opted_in"}})).status_code == 422
    bad = await client.put(url, json={"preferences": {"sms": "maybe"}, "source": "x"})
    assert bad.status_code == 422
    bad = await client.put(url, json={"preferences": {"fax": "opted_in"}, "source": "x"})
    assert bad.status_code == 422
    bad = await client.put(url, json={"preferences": {}, "source": "x", "extra": 1})
    assert bad.status_code == 422
    assert await _history(client, contact["id"]) == []


async def test_history_has_no_edit_or_delete_route(client):
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}/consent"
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        response = await client.request(method, url, json={})
        assert response.status_code == 405, (method, response.status_code)


async def test_create_and_patch_write_history(client):
    contact = await make_contact(client, preferences={"email": "opted_in"})
    history = await _history(client, contact["id"])
    assert [(h["channel"], h["from"], h["to"], h["source"]) for h in history] == [
        ("email", "unknown", "opted_in", "contact.create")
    ]
    await client.patch(f"/v1/contacts/{contact['id']}", json={"preferences": {"sms": "opted_out"}})
    history = await _history(client, contact["id"])
    assert (history[0]["channel"], history[0]["to"], history[0]["source"]) == (
        "sms",
        "opted_out",
        "contact.update",
    )


async def test_patch_and_upsert_never_turn_opted_out_into_opted_in(client):
    contact = await make_contact(client, phone="+14155550102", preferences={"sms": "opted_out"})
    url = f"/v1/contacts/{contact['id']}"
    patched = await client.patch(url, json={"preferences": {"sms": "opted_in"}, "company": "A"})
    assert patched.status_code == 200
    assert patched.json()["preferences"]["sms"] == "opted_out"
    assert patched.json()["company"] == "A"  # the rest of the write applies
    upserted = await client.post(
        "/v1/contacts/upsert",
        json={"phone": "(415) 555-0102", "preferences": {"sms": "opted_in", "email": "opted_in"}},
    )
    assert upserted.status_code == 200
    assert upserted.json()["preferences"]["sms"] == "opted_out"
    assert upserted.json()["preferences"]["email"] == "opted_in"
    # Only the explicit consent with a source re-opts in.
    put = await client.put(
        f"{url}/preferences", json={"preferences": {"sms": "opted_in"}, "source": "double_opt_in"}
    )
    assert put.json()["sms"] == "opted_in"


async def test_suppression_is_recorded_and_only_lifted_explicitly(client):
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}"
    done = await client.patch(url, json={"suppressed": True, "suppressed_reason": "bounced"})
    assert done.json()["suppressed"] is True
    history = await _history(client, contact["id"])
    assert (history[0]["channel"], history[0]["from"], history[0]["to"], history[0]["note"]) == (
        "suppression",
        "not_suppressed",
        "suppressed",
        "bounced",
    )
    kept = await client.patch(url, json={"suppressed": False})
    assert kept.json()["suppressed"] is True
    assert kept.json()["suppressed_reason"] == "bounced"
    lifted = await client.put(
        f"{url}/preferences", json={"suppressed": False, "source": "support:ticket-12"}
    )
    assert lifted.status_code == 200
    after = (await client.get(url)).json()
    assert after["suppressed"] is False
    assert after["suppressed_reason"] is None
    history = await _history(client, contact["id"])
    assert (history[0]["to"], history[0]["source"]) == ("not_suppressed", "support:ticket-12")


async def test_history_paginates_newest_first(client):
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}/preferences"
    for i in range(5):
        state = "opted_in" if i % 2 == 0 else "opted_out"
        await client.put(url, json={"preferences": {"sms": state}, "source": f"s{i}"})
    seen = []
    cursor = None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await client.get(f"/v1/contacts/{contact['id']}/consent", params=params)).json()
        seen += [h["source"] for h in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == ["s4", "s3", "s2", "s1", "s0"]


async def test_optouts_lists_opted_out_contacts_by_channel_and_q(client):
    a = await make_contact(client, name="Alice Stop", preferences={"sms": "opted_out"})
    b = await make_contact(client, name="Bob Mail", preferences={"email": "opted_out"})
    await make_contact(client, name="Carol In", preferences={"sms": "opted_in"})
    archived = await make_contact(client, preferences={"sms": "opted_out"})
    await client.delete(f"/v1/contacts/{archived['id']}")
    all_ids = [c["id"] for c in (await client.get("/v1/optouts")).json()["data"]]
    assert sorted(all_ids) == sorted([a["id"], b["id"]])
    sms = (await client.get("/v1/optouts", params={"channel": "sms"})).json()["data"]
    assert [c["id"] for c in sms] == [a["id"]]
    q = (await client.get("/v1/optouts", params={"q": "bob"})).json()["data"]
    assert [c["id"] for c in q] == [b["id"]]
    assert (await client.get("/v1/optouts", params={"channel": "fax"})).status_code == 400


async def test_consent_routes_are_tenant_scoped(env, client):
    contact = await make_contact(client)
    _, other_key = await env.tenant()
    async with env.client(other_key) as other:
        for method, path in (
            ("GET", "preferences"),
            ("GET", "consent"),
        ):
            response = await other.request(method, f"/v1/contacts/{contact['id']}/{path}")
            assert response.status_code == 404
        response = await other.put(
            f"/v1/contacts/{contact['id']}/preferences",
            json={"preferences": {"sms": "opted_in"}, "source": "x"},
        )
        assert response.status_code == 404
        assert (await other.get("/v1/optouts")).json()["data"] == []


async def test_read_scope_cannot_put_preferences(env):
    tenant_id, key = await env.tenant()
    async with env.client(key) as http:
        contact = await make_contact(http)
    read_key = await env.key(tenant_id, ["contacts:read"])
    async with env.client(read_key) as reader:
        url = f"/v1/contacts/{contact['id']}/preferences"
        assert (await reader.get(url)).status_code == 200
        put = await reader.put(url, json={"preferences": {}, "source": "x"})
        assert put.status_code == 403


async def test_put_preferences_honours_if_match(client):
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}/preferences"
    got = await client.get(url)
    assert got.headers["etag"] == '"1"'
    body = {"preferences": {"sms": "opted_in"}, "source": "form"}
    stale = await client.put(url, json=body, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    assert (await client.get(url)).json()["sms"] == "unknown"
    fresh = await client.put(url, json=body, headers={"If-Match": '"1"'})
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"2"'
