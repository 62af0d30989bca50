"""A contact's page: list memberships, duplicates and merge, the personal-data download,
editing notes, and custom fields typed by their definitions."""

from __future__ import annotations

import json
import re
import uuid

from tests.conftest import Env, make_contact
from tests.console.helpers import post_form, signed_in, token_of


async def test_memberships_are_added_and_removed_on_the_contact_page(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        contact = await make_contact(api, first_name="Mia")
        vip = (await api.post("/v1/lists", json={"name": "VIP <b>"})).json()
        other = (await api.post("/v1/lists", json={"name": "Other"})).json()
    url = f"/console/contacts/{contact['id']}"
    async with signed_in(env, key) as http:
        page = await http.get(url)
        lists = page.text.split('id="lists-heading"', 1)[1].split("</section>", 1)[0]
        assert "In no list" in lists and 'id="join-list"' in lists
        assert "VIP &lt;b&gt;" in lists and "<b>" not in lists
        joined = await post_form(http, url, url + "/lists", {"list_id": vip["id"]})
        assert joined.status_code == 303
        page = await http.get(url)
        lists = page.text.split('id="lists-heading"', 1)[1].split("</section>", 1)[0]
        assert f'href="/console/lists/{vip["id"]}"' in lists
        # A list the contact is in is no longer offered.
        choices = lists.split('id="join-list"', 1)[1]
        assert vip["id"] not in choices and other["id"] in choices
        # Unknown list ids name nothing.
        for bad in (str(uuid.uuid4()), "not-an-id"):
            missing = await post_form(http, url, url + "/lists", {"list_id": bad})
            assert missing.status_code == 404
        removed = await post_form(http, url, f"{url}/lists/{vip['id']}/remove", {})
        assert removed.status_code == 303
    async with env.client(key) as api:
        members = (await api.get(f"/v1/lists/{vip['id']}/members")).json()
    assert members["data"] == []


async def test_duplicates_preview_then_merge(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        kept = await make_contact(api, first_name="Ann", phone="+14155550199", tags=["a"])
        # Its phone as the other's WhatsApp handle makes a likely duplicate.
        dup = await make_contact(
            api,
            first_name="Annie",
            company="Acme",
            handles={"whatsapp": "+14155550199"},
            tags=["b"],
        )
        listed = (await api.post("/v1/lists", json={"name": "Dup's list"})).json()
        await api.post(f"/v1/lists/{listed['id']}/members", json={"contact_ids": [dup["id"]]})
    url = f"/console/contacts/{kept['id']}"
    async with signed_in(env, key) as http:
        page = await http.get(url)
        # Duplicates are looked for on demand: a link, swapped in place by htmx.
        assert f'hx-get="{url}/duplicates"' in page.text
        fragment = await http.get(url + "/duplicates", headers={"HX-Request": "true"})
        assert fragment.status_code == 200 and "<html" not in fragment.text
        assert f'href="/console/contacts/{dup["id"]}"' in fragment.text
        dups = (await http.get(url + "/duplicates")).text
        assert "<title>Possible duplicates of Ann" in dups and "phone" in dups
        link = re.search(r'href="(/console/contacts/[^"]+/merge\?duplicate=[^"]+)"', dups)
        assert link
        preview = await http.get(link.group(1))
        assert preview.status_code == 200
        assert "nothing has changed yet" in preview.text
        # The merged record: the survivor's name, the duplicate's company and phone, tags
        # combined, and the list it would join.
        company = preview.text.split(">Company</th>", 1)[1].split("</tr>", 1)[0]
        assert "Acme" in company and "(changes)" in company
        assert "a, b" in preview.text.split(">Tags</th>", 1)[1].split("</tr>", 1)[0]
        assert "Dup&#39;s list" in preview.text
        async with env.client(key) as api:
            # The preview is a dry run: nothing changed.
            still = (await api.get(f"/v1/contacts/{kept['id']}")).json()
            assert still["company"] is None
            assert (await api.get(f"/v1/contacts/{dup['id']}")).status_code == 200
        merged = await http.post(
            url + "/merge",
            data={"csrf_token": token_of(preview.text), "duplicate_id": dup["id"]},
        )
        assert merged.status_code == 303
        after = await http.get(merged.headers["location"])
        assert "Merged." in after.text
        none_left = await http.get(url + "/duplicates")
        assert "No other contact shares" in none_left.text
        assert f'href="/console/lists/{listed["id"]}"' in after.text
    async with env.client(key) as api:
        body = (await api.get(f"/v1/contacts/{kept['id']}")).json()
        assert body["company"] == "Acme" and body["tags"] == ["a", "b"]
        assert (await api.get(f"/v1/contacts/{dup['id']}")).status_code == 404


async def test_merge_refuses_unknown_and_foreign_duplicates(env: Env):
    _, key = await env.tenant()
    _, other_key = await env.tenant()
    async with env.client(key) as api:
        kept = await make_contact(api)
    async with env.client(other_key) as api:
        theirs = await make_contact(api, first_name="Theirs")
    url = f"/console/contacts/{kept['id']}"
    async with signed_in(env, key) as http:
        assert (await http.get(f"/console/contacts/{theirs['id']}/duplicates")).status_code == 404
        for dup in (theirs["id"], str(uuid.uuid4()), "nope"):
            preview = await http.get(url + "/merge", params={"duplicate": dup})
            assert preview.status_code == 404 and "Theirs" not in preview.text
        assert (await http.get(url + "/merge")).status_code == 404
        forged = await post_form(http, url, url + "/merge", {"duplicate_id": theirs["id"]})
        assert forged.status_code == 404
    async with env.client(other_key) as api:
        assert (await api.get(f"/v1/contacts/{theirs['id']}")).status_code == 200


async def test_the_personal_data_download_is_the_apis_export(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        contact = await make_contact(api, first_name="Pia")
        await api.post(f"/v1/contacts/{contact['id']}/notes", json={"body": "kept note"})
        expected = (await api.get(f"/v1/contacts/{contact['id']}/export")).json()
    url = f"/console/contacts/{contact['id']}"
    async with signed_in(env, key) as http:
        page = await http.get(url)
        assert f'href="{url}/personal-data" download' in page.text
        response = await http.get(url + "/personal-data")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="contact-{contact["id"]}.json"'
    )
    body = json.loads(response.content)
    assert body["contact"] == expected["contact"]
    assert [n["body"] for n in body["notes"]] == ["kept note"]
    assert set(body) == set(expected)


async def test_a_note_is_edited(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        contact = await make_contact(api)
        note = (
            await api.post(f"/v1/contacts/{contact['id']}/notes", json={"body": "first draft"})
        ).json()
    url = f"/console/contacts/{contact['id']}"
    action = f"{url}/notes/{note['id']}/edit"
    async with signed_in(env, key) as http:
        page = await http.get(url)
        assert f'action="{action}"' in page.text
        empty = await post_form(http, url, action, {"body": "   "})
        assert empty.status_code == 422
        assert f'id="n-edit-error-{note["id"]}"' in empty.text and "<details open>" in empty.text
        saved = await post_form(http, url, action, {"body": "second <i>draft</i>"})
        assert saved.status_code == 303
        page = await http.get(url)
        assert "second &lt;i&gt;draft&lt;/i&gt;" in page.text and "first draft" not in page.text
        missing = await post_form(http, url, f"{url}/notes/{uuid.uuid4()}/edit", {"body": "x"})
        assert missing.status_code == 404
    async with env.client(key) as api:
        notes = (await api.get(f"/v1/contacts/{contact['id']}/notes")).json()["data"]
    assert [n["body"] for n in notes] == ["second <i>draft</i>"]


async def test_custom_fields_are_typed_by_their_definitions(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        for body in (
            {"key": "seats", "label": "Seats", "type": "number"},
            {"key": "renews", "label": "Renews on", "type": "date"},
            {"key": "paid", "label": "Paid", "type": "boolean"},
            {"key": "plan", "label": "Plan", "type": "enum", "options": ["free", "pro"]},
        ):
            assert (await api.post("/v1/fields", json=body)).status_code == 201
        contact = await make_contact(
            api, first_name="Cy", custom_fields={"seats": 3, "paid": True, "legacy": {"a": 1}}
        )
    url = f"/console/contacts/{contact['id']}"
    base = {"first_name": "Cy", "email": contact["email"]}
    shown = {"cf_shown": ["seats", "renews", "paid", "plan"]}
    async with signed_in(env, key) as http:
        form = await http.get(url + "/edit")
        assert re.search(r'<input id="cf-seats" name="cf.seats" type="number" value="3"', form.text)
        assert 'id="cf-renews" name="cf.renews" type="date"' in form.text
        assert re.search(
            r'type="checkbox" id="cf-paid" name="cf.paid" value="true" checked', form.text
        )
        assert '<select id="cf-plan" name="cf.plan"' in form.text and ">pro</option>" in form.text
        assert "legacy" in form.text  # a field without a definition is shown, not edited
        bad = await post_form(
            http,
            url + "/edit",
            url + "/edit",
            {**base, **shown, "cf.seats": "many", "cf.renews": "2026-02-30", "cf.plan": "gold"},
        )
        assert bad.status_code == 422
        for name in ("seats", "renews", "plan"):
            assert f'id="e-cf-{name}"' in bad.text, name
        assert 'value="many"' in bad.text  # as typed, to correct
        assert "must be a number" in bad.text.split('id="e-cf-seats"', 1)[1][:200]
        huge = await post_form(
            http, url + "/edit", url + "/edit", {**base, **shown, "cf.seats": "1" + "0" * 20}
        )
        assert huge.status_code == 422
        assert "an integer must lie between" in huge.text.split('id="e-cf-seats"', 1)[1][:200]
        # The paid box is unticked: false; a blank seats removes the field.
        good = await post_form(
            http,
            url + "/edit",
            url + "/edit",
            {**base, **shown, "cf.seats": "", "cf.renews": "2027-01-31", "cf.plan": "pro"},
        )
        assert good.status_code == 303, good.text
        created = await post_form(
            http,
            "/console/contacts/new",
            "/console/contacts/new",
            {"email": "typed@example.com", **shown, "cf.seats": "12", "cf.paid": "true"},
        )
        assert created.status_code == 303, created.text
    async with env.client(key) as api:
        body = (await api.get(f"/v1/contacts/{contact['id']}")).json()
        new = (await api.get(created.headers["location"].replace("/console", "/v1"))).json()
    assert body["custom_fields"] == {
        "renews": "2027-01-31",
        "paid": False,
        "plan": "pro",
        "legacy": {"a": 1},
    }
    assert new["custom_fields"] == {"seats": 12, "paid": True}


async def test_a_read_only_key_sees_none_of_the_new_write_controls(env: Env):
    tenant_id, admin = await env.tenant()
    reader = await env.key(tenant_id, ["contacts:read"])
    async with env.client(admin) as api:
        contact = await make_contact(api, first_name="Same", company="Co")
        same = await make_contact(api, first_name="Same", company="Co")
        listed = (await api.post("/v1/lists", json={"name": "L"})).json()
        await api.post(f"/v1/lists/{listed['id']}/members", json={"contact_ids": [contact["id"]]})
        note = (await api.post(f"/v1/contacts/{contact['id']}/notes", json={"body": "n"})).json()
    url = f"/console/contacts/{contact['id']}"
    async with signed_in(env, reader) as http:
        page = await http.get(url)
        assert page.status_code == 200
        dups = await http.get(url + "/duplicates")
        assert f'href="/console/contacts/{same["id"]}"' in dups.text
        assert "/merge" not in dups.text
        assert f'href="/console/lists/{listed["id"]}"' in page.text
        for control in ("/merge", "/remove", "Edit note", 'id="join-list"'):
            assert control not in page.text, control
        assert "/personal-data" in page.text
        assert (await http.get(url + "/personal-data")).status_code == 200
        assert (await http.get(f"{url}/merge?duplicate={same['id']}")).status_code == 403
        token = token_of(page.text)
        forged = [
            await http.post(url + "/lists", data={"csrf_token": token, "list_id": listed["id"]}),
            await http.post(f"{url}/lists/{listed['id']}/remove", data={"csrf_token": token}),
            await http.post(url + "/merge", data={"csrf_token": token, "duplicate_id": same["id"]}),
            await http.post(
                f"{url}/notes/{note['id']}/edit", data={"csrf_token": token, "body": "x"}
            ),
        ]
        for response in forged:
            assert response.status_code == 403 and "contacts:write" in response.text
    async with env.client(admin) as api:
        members = (await api.get(f"/v1/lists/{listed['id']}/members")).json()["data"]
        assert [m["id"] for m in members] == [contact["id"]]
        assert (await api.get(f"/v1/contacts/{same['id']}")).status_code == 200
        notes = (await api.get(f"/v1/contacts/{contact['id']}/notes")).json()["data"]
        assert notes[0]["body"] == "n"
