"""The console's contact pages do what the API does, through the same services."""

from __future__ import annotations

import re

from tests.conftest import Env, make_contact
from tests.console.helpers import post_form, signed_in, token_of


def _contact_id(location: str) -> str:
    found = re.fullmatch(r"/console/contacts/([0-9a-f-]{36})", location)
    assert found, location
    return found.group(1)


async def test_an_empty_tenant_is_taught_how_to_add_contacts(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        page = await http.get("/console/contacts")
    assert "No contacts yet" in page.text
    assert 'href="/console/contacts/new"' in page.text and "roster import" in page.text


async def test_create_shows_field_errors_beside_the_fields_and_keeps_what_was_typed(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        bad = await post_form(
            http,
            "/console/contacts/new",
            "/console/contacts/new",
            {"first_name": "Ann", "phone": "12", "email": "not-an-email"},
        )
        assert bad.status_code == 422
        assert 'value="12"' in bad.text  # the phone as typed, to correct
        assert 'id="e-phone"' in bad.text and 'id="e-email"' in bad.text
        assert 'aria-invalid="true"' in bad.text
        created = await post_form(
            http,
            "/console/contacts/new",
            "/console/contacts/new",
            {"first_name": "Ann", "last_name": "Lee", "phone": "(415) 555-0132", "tags": "vip, b"},
        )
        assert created.status_code == 303
        contact_id = _contact_id(created.headers["location"])
        page = await http.get(created.headers["location"])
        assert "+14155550132" in page.text and "Ann Lee" in page.text
        assert '<span class="tag">vip</span>' in page.text
        # The same phone again is a conflict, shown beside the phone with a link.
        again = await post_form(
            http, "/console/contacts/new", "/console/contacts/new", {"phone": "+1 415 555 0132"}
        )
        assert again.status_code == 422
        assert "Another contact already has this phone." in again.text
        assert f"/console/contacts/{contact_id}" in again.text


async def test_edit_changes_and_clears_fields(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        contact = await make_contact(api, first_name="Bo", company="Acme")
    url = f"/console/contacts/{contact['id']}"
    async with signed_in(env, key) as http:
        form = await http.get(url + "/edit")
        assert 'value="Acme"' in form.text
        data = {"first_name": "Bob", "company": "", "email": contact["email"]}
        response = await post_form(http, url + "/edit", url + "/edit", data)
        assert response.status_code == 303
        bad = await post_form(http, url + "/edit", url + "/edit", {**data, "country": "ZZ"})
        assert bad.status_code == 422 and 'id="e-country"' in bad.text
    async with env.client(key) as api:
        body = (await api.get(f"/v1/contacts/{contact['id']}")).json()
    assert body["first_name"] == "Bob" and body["company"] is None


async def test_search_filters_sort_paging_and_total(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        for n in range(27):
            await make_contact(api, first_name=f"Person{n:02d}", tags=["many"])
        await make_contact(api, first_name="Zed", tags=["vip"], country="DE", status="lead")
    async with signed_in(env, key) as http:
        found = await http.get("/console/contacts", params={"q": "zed"})
        assert "Zed" in found.text and "Person01" not in found.text
        tagged = await http.get("/console/contacts", params={"tag": "vip", "country": "de"})
        assert "Zed" in tagged.text and "Person01" not in tagged.text
        status = await http.get("/console/contacts", params={"status": "lead", "q": ""})
        assert "Zed" in status.text and "Person01" not in status.text
        none = await http.get("/console/contacts", params={"q": "nobody-at-all"})
        assert "No contact matches" in none.text
        first = await http.get("/console/contacts", params={"tag": "many", "sort": "name"})
        assert "Person00" in first.text and "Person26" not in first.text
        assert "Count all" in first.text
        following = re.search(r'rel="next" href="([^"]+)"', first.text)
        assert following
        second = await http.get(following.group(1).replace("&amp;", "&"))
        assert "Person26" in second.text and "Person00" not in second.text
        counted = await http.get("/console/contacts", params={"tag": "many", "total": "1"})
        assert "27 contacts in all" in counted.text
        bad = await http.get("/console/contacts", params={"opted_out": "pigeon"})
        assert bad.status_code == 400 and "opted_out" in bad.text


async def test_tags_are_added_and_removed_inline(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        contact = await make_contact(api, tags=["old"])
    url = f"/console/contacts/{contact['id']}"
    async with signed_in(env, key) as http:
        token = token_of((await http.get(url)).text)
        added = await http.post(
            url + "/tags",
            data={"tag": "new, vip"},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
        assert added.status_code == 200
        assert added.text.startswith('<div id="tags"') and "<html" not in added.text
        assert '<span class="tag">vip</span>' in added.text
        removed = await http.post(
            url + "/tags/remove",
            data={"tag": "old"},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
        assert '<span class="tag">old</span>' not in removed.text
    async with env.client(key) as api:
        assert (await api.get(f"/v1/contacts/{contact['id']}")).json()["tags"] == ["new", "vip"]


async def test_archive_restore_and_erase(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        contact = await make_contact(api, first_name="Gone")
    url = f"/console/contacts/{contact['id']}"
    async with signed_in(env, key) as http:
        archived = await post_form(http, url, url + "/archive", {})
        assert archived.status_code == 303
        page = await http.get(url)
        assert "Archived on" in page.text and "/restore" in page.text
        assert "Gone" not in (await http.get("/console/contacts")).text
        assert (await post_form(http, url, url + "/restore", {})).status_code == 303
        assert "Gone" in (await http.get("/console/contacts")).text
        confirm = await http.get(url + "/erase")
        assert "cannot be undone" in confirm.text and "opt-outs" in confirm.text
        erased = await post_form(http, url + "/erase", url + "/erase", {})
        assert erased.status_code == 303
        assert "Erased contact" in (await http.get(url)).text
    async with env.client(key) as api:
        body = (await api.get(f"/v1/contacts/{contact['id']}?include_deleted=true")).json()
    assert body.get("first_name") is None


async def test_opting_out_of_sms_records_the_history(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        contact = await make_contact(api, phone="+14155550177")
    url = f"/console/contacts/{contact['id']}"
    async with signed_in(env, key) as http:
        missing = await post_form(
            http, url, url + "/consent", {"channel": "sms", "state": "opted_out", "source": ""}
        )
        assert missing.status_code == 422 and 'id="c-source-error"' in missing.text
        response = await post_form(
            http,
            url,
            url + "/consent",
            {"channel": "sms", "state": "opted_out", "source": "phone call", "note": "asked"},
        )
        assert response.status_code == 303
        page = await http.get(url)
    history = page.text.split('id="history-heading"', 1)[1]
    assert "phone call" in history and "asked" in history and "opted out" in history
    async with env.client(key) as api:
        body = (await api.get(f"/v1/contacts/{contact['id']}/consent")).json()
    assert body["data"][0]["source"] == "phone call" and body["data"][0]["to"] == "opted_out"


async def test_the_history_names_the_key_that_made_a_change(env: Env):
    _, admin = await env.tenant()
    async with env.client(admin) as api:
        contact = await make_contact(api, phone="+14155550178")
        scopes = ["contacts:read", "contacts:write"]
        made = await api.post("/v1/api-keys", json={"name": "Front <b>desk</b>", "scopes": scopes})
        assert made.status_code == 201, made.text
    url = f"/console/contacts/{contact['id']}"
    async with signed_in(env, made.json()["key"]) as http:
        form = {"channel": "sms", "state": "opted_out", "source": "call", "note": ""}
        assert (await post_form(http, url, url + "/consent", form)).status_code == 303
        page = await http.get(url)
    history = page.text.split('id="history-heading"', 1)[1].split("</table>", 1)[0]
    assert "Front &lt;b&gt;desk&lt;/b&gt;" in history
    assert made.json()["id"] not in history


async def test_notes_are_added_and_deleted(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        contact = await make_contact(api)
    url = f"/console/contacts/{contact['id']}"
    async with signed_in(env, key) as http:
        empty = await post_form(http, url, url + "/notes", {"body": "  "})
        assert empty.status_code == 422 and 'id="n-error"' in empty.text
        assert (
            await post_form(http, url, url + "/notes", {"body": "Called <b>"})
        ).status_code == 303
        page = await http.get(url)
        assert "Called &lt;b&gt;" in page.text
        action = re.search(r'action="(/console/contacts/[^"]+/notes/[^"]+/delete)"', page.text)
        assert action
        assert (await post_form(http, url, action.group(1), {})).status_code == 303
        assert "Called" not in (await http.get(url)).text


async def test_the_timeline_is_newest_first_filtered_and_paged(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        contact = await make_contact(api)
        for n in range(22):
            added = await api.post(
                f"/v1/contacts/{contact['id']}/activities",
                json={
                    "type": "message.sent" if n % 2 else "call.completed",
                    "channel": "sms" if n % 2 else "voice",
                    "summary": f"event-{n:02d}",
                    "occurred_at": f"2026-01-01T00:00:{n:02d}Z",
                },
            )
            assert added.status_code == 201, added.text
    url = f"/console/contacts/{contact['id']}"
    async with signed_in(env, key) as http:
        page = await http.get(url)
        timeline = page.text.split('id="timeline-heading"', 1)[1]
        assert timeline.index("event-21") < timeline.index("event-20")
        older = re.search(r'rel="next" href="([^"]+)"', timeline)
        assert older
        rest = await http.get(older.group(1).replace("&amp;", "&"))
        assert "event-00" in rest.text.split('id="timeline-heading"', 1)[1]
        sms = await http.get(url, params={"channel": "sms"})
        part = sms.text.split('id="timeline-heading"', 1)[1]
        assert "event-21" in part and "event-20" not in part
        calls = await http.get(url, params={"type": "call.*"})
        part = calls.text.split('id="timeline-heading"', 1)[1]
        assert "event-20" in part and "event-21" not in part


async def test_export_these_contacts_takes_the_lists_filters(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        await make_contact(api, first_name="Kept", tags=["x"])
        await make_contact(api, first_name="Left")
    async with signed_in(env, key) as http:
        listing = await http.get("/console/contacts", params={"tag": "x"})
        link = re.search(r'href="(/console/contacts/export\?[^"]*format=csv)"', listing.text)
        assert link
        csv = await http.get(link.group(1).replace("&amp;", "&"))
        assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
        assert "Kept" in csv.text and "Left" not in csv.text
        ndjson = await http.get("/console/contacts/export", params={"format": "ndjson"})
        assert ndjson.text.count("\n") == 2
