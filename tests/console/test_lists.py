"""The console's lists: create, see the members page by page, remove one, and add the
contacts ticked on the contacts list."""

from __future__ import annotations

import re
import uuid

from tests.conftest import Env, make_contact
from tests.console.helpers import post_form, signed_in, token_of


def _list_id(location: str) -> str:
    found = re.match(r"/console/lists/([0-9a-f-]{36})", location)
    assert found, location
    return found.group(1)


async def test_a_list_is_created_with_field_errors_beside_the_fields(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        empty = await http.get("/console/lists")
        assert empty.status_code == 200 and "No lists yet" in empty.text
        assert 'href="/console/lists"' in empty.text  # the nav link
        blank = await post_form(http, "/console/lists", "/console/lists", {"name": "  "})
        assert blank.status_code == 422 and 'id="e-name"' in blank.text
        created = await post_form(
            http,
            "/console/lists",
            "/console/lists",
            {"name": "Newsletter <b>", "description": "Monthly"},
        )
        assert created.status_code == 303
        list_id = _list_id(created.headers["location"])
        page = await http.get(created.headers["location"])
        assert "Newsletter &lt;b&gt;" in page.text and "Monthly" in page.text
        assert "No one is in this list yet" in page.text
        again = await post_form(
            http, "/console/lists", "/console/lists", {"name": "Newsletter <b>"}
        )
        assert again.status_code == 422 and "A list already has this name." in again.text
        assert 'value="Newsletter &lt;b&gt;"' in again.text
        index = await http.get("/console/lists")
        assert f'href="/console/lists/{list_id}"' in index.text
    async with env.client(key) as api:
        body = (await api.get(f"/v1/lists/{list_id}")).json()
    assert body["name"] == "Newsletter <b>" and body["description"] == "Monthly"


async def test_members_are_paged_and_removed(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        listed = (await api.post("/v1/lists", json={"name": "Many"})).json()
        ids = [(await make_contact(api, first_name=f"Member{n:02d}"))["id"] for n in range(27)]
        added = await api.post(f"/v1/lists/{listed['id']}/members", json={"contact_ids": ids})
        assert added.json()["added"] == 27
    url = f"/console/lists/{listed['id']}"
    async with signed_in(env, key) as http:
        first = await http.get(url)
        assert "(27)" in first.text
        names = set(re.findall(r"Member\d\d", first.text))
        assert len(names) == 25
        more = re.search(r'rel="next" href="([^"]+)"', first.text)
        assert more
        second = await http.get(more.group(1).replace("&amp;", "&"))
        rest = set(re.findall(r"Member\d\d", second.text))
        assert len(rest) == 2 and not rest & names
        removed = await post_form(http, url, f"{url}/members/{ids[0]}/remove", {})
        assert removed.status_code == 303
        assert "(26)" in (await http.get(url)).text
        # A contact of no one's, or a list of no one's, is a 404.
        missing = await post_form(http, url, f"{url}/members/{uuid.uuid4()}/remove", {})
        assert missing.status_code == 404
    async with env.client(key) as api:
        members = (await api.get(f"/v1/lists/{listed['id']}/members?limit=100")).json()
    assert ids[0] not in {m["id"] for m in members["data"]} and len(members["data"]) == 26


async def test_contacts_ticked_on_the_contacts_list_are_added(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        ann = await make_contact(api, first_name="Ann")
        bob = await make_contact(api, first_name="Bob")
        cy = await make_contact(api, first_name="Cy")
        listed = (await api.post("/v1/lists", json={"name": "Chosen"})).json()
        await api.post(f"/v1/lists/{listed['id']}/members", json={"contact_ids": [bob["id"]]})
    async with signed_in(env, key) as http:
        page = await http.get("/console/contacts")
        assert 'action="/console/lists/selection"' in page.text
        assert f'id="sel-{ann["id"]}" name="contact_id" value="{ann["id"]}"' in page.text
        assert f'<label for="sel-{ann["id"]}"' in page.text
        assert "Add selected to list" in page.text
        response = await http.post(
            "/console/lists/selection",
            data={
                "csrf_token": token_of(page.text),
                "list_id": listed["id"],
                "contact_id": [ann["id"], bob["id"]],
            },
        )
        assert response.status_code == 303
        shown = await http.get(response.headers["location"])
        assert "Added 1 contact; 1 was already in the list" in shown.text
        nothing = await http.post(
            "/console/lists/selection",
            data={"csrf_token": token_of(page.text), "list_id": listed["id"]},
        )
        assert "No contact was chosen" in (await http.get(nothing.headers["location"])).text
        for bad in (str(uuid.uuid4()), "not-an-id"):
            missing = await http.post(
                "/console/lists/selection",
                data={"csrf_token": token_of(page.text), "list_id": bad, "contact_id": cy["id"]},
            )
            assert missing.status_code == 404
        malformed = await http.post(
            "/console/lists/selection",
            data={"csrf_token": token_of(page.text), "list_id": listed["id"], "contact_id": "x"},
        )
        assert malformed.status_code == 400
    async with env.client(key) as api:
        members = (await api.get(f"/v1/lists/{listed['id']}/members")).json()["data"]
    assert {m["id"] for m in members} == {ann["id"], bob["id"]}


async def test_a_read_only_key_sees_lists_but_no_write_controls(env: Env):
    tenant_id, admin = await env.tenant()
    reader = await env.key(tenant_id, ["contacts:read"])
    async with env.client(admin) as api:
        contact = await make_contact(api, first_name="Rae")
        listed = (await api.post("/v1/lists", json={"name": "Readable"})).json()
        await api.post(f"/v1/lists/{listed['id']}/members", json={"contact_ids": [contact["id"]]})
    url = f"/console/lists/{listed['id']}"
    async with signed_in(env, reader) as http:
        index = await http.get("/console/lists")
        page = await http.get(url)
        contacts = await http.get("/console/contacts")
        assert index.status_code == page.status_code == contacts.status_code == 200
        assert "Readable" in index.text and "Rae" in page.text
        assert "New list" not in index.text and 'name="name"' not in index.text
        assert "/remove" not in page.text
        assert "/lists/selection" not in contacts.text and 'name="contact_id"' not in contacts.text
        token = token_of(page.text)
        forged = [
            await http.post("/console/lists", data={"csrf_token": token, "name": "Evil"}),
            await http.post(f"{url}/members/{contact['id']}/remove", data={"csrf_token": token}),
            await http.post(
                "/console/lists/selection",
                data={"csrf_token": token, "list_id": listed["id"], "contact_id": contact["id"]},
            ),
        ]
        for response in forged:
            assert response.status_code == 403 and "contacts:write" in response.text
        # Without the form's token a write is refused before anything else.
        assert (await http.post("/console/lists", data={"name": "Evil"})).status_code == 403
    async with env.client(admin) as api:
        names = [r["name"] for r in (await api.get("/v1/lists")).json()["data"]]
        members = (await api.get(f"/v1/lists/{listed['id']}/members")).json()["data"]
    assert names == ["Readable"] and [m["id"] for m in members] == [contact["id"]]


async def test_another_tenants_list_is_a_404_page(env: Env):
    _, key = await env.tenant()
    _, other_key = await env.tenant()
    async with env.client(other_key) as api:
        theirs = (await api.post("/v1/lists", json={"name": "Theirs"})).json()
        their_contact = await make_contact(api, first_name="Hidden")
        await api.post(
            f"/v1/lists/{theirs['id']}/members", json={"contact_ids": [their_contact["id"]]}
        )
    async with env.client(key) as api:
        mine = await make_contact(api, first_name="Mine")
    url = f"/console/lists/{theirs['id']}"
    async with signed_in(env, key) as http:
        for path in (url, f"/console/lists/{uuid.uuid4()}", "/console/lists/not-an-id"):
            response = await http.get(path)
            assert response.status_code == 404, path
            assert "Page not found" in response.text and "Theirs" not in response.text
        assert "Theirs" not in (await http.get("/console/lists")).text
        page = await http.get("/console/lists")
        token = token_of(page.text)
        forged = [
            await http.post(
                f"{url}/members/{their_contact['id']}/remove", data={"csrf_token": token}
            ),
            await http.post(
                "/console/lists/selection",
                data={"csrf_token": token, "list_id": theirs["id"], "contact_id": mine["id"]},
            ),
            await http.post(
                f"/console/contacts/{mine['id']}/lists",
                data={"csrf_token": token, "list_id": theirs["id"]},
            ),
            await http.post(
                f"/console/contacts/{their_contact['id']}/lists/{theirs['id']}/remove",
                data={"csrf_token": token},
            ),
        ]
        for response in forged:
            assert response.status_code == 404
    async with env.client(other_key) as api:
        members = (await api.get(f"/v1/lists/{theirs['id']}/members")).json()["data"]
    assert [m["id"] for m in members] == [their_contact["id"]]
