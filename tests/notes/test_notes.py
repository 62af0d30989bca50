"""Notes on a contact: create, list (newest first, paginated), edit, delete, scoping."""

from __future__ import annotations

from tests.conftest import make_contact


async def test_note_crud(client):
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}/notes"
    created = await client.post(url, json={"body": "  Called, wants a demo ", "author": "ana"})
    assert created.status_code == 201, created.text
    note = created.json()
    assert note["body"] == "Called, wants a demo"
    assert note["author"] == "ana"
    assert created.headers["location"] == f"{url}/{note['id']}"
    edited = await client.patch(f"{url}/{note['id']}", json={"body": "Demo booked"})
    assert edited.status_code == 200
    assert edited.json()["body"] == "Demo booked"
    assert edited.json()["author"] == "ana"
    listed = (await client.get(url)).json()
    assert [n["body"] for n in listed["data"]] == ["Demo booked"]
    assert (await client.delete(f"{url}/{note['id']}")).status_code == 204
    assert (await client.get(url)).json()["data"] == []
    assert (await client.delete(f"{url}/{note['id']}")).status_code == 404
    assert (await client.patch(f"{url}/{note['id']}", json={"body": "x"})).status_code == 404


async def test_note_validation(client):
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}/notes"
    assert (await client.post(url, json={"body": ""})).status_code == 422
    assert (await client.post(url, json={"body": "   "})).status_code == 422
    assert (await client.post(url, json={"body": "x" * 10_001})).status_code == 422
    assert (await client.post(url, json={"body": "x", "id": "y"})).status_code == 422
    note = (await client.post(url, json={"body": "x"})).json()
    assert note["author"] is None
    assert (await client.patch(f"{url}/{note['id']}", json={"body": None})).status_code == 422


async def test_notes_paginate_newest_first(client):
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}/notes"
    for i in range(5):
        await client.post(url, json={"body": f"n{i}"})
    seen, cursor = [], None
    while True:
        page = (
            await client.get(url, params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        ).json()
        seen += [n["body"] for n in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == ["n4", "n3", "n2", "n1", "n0"]


async def test_notes_of_another_contact_or_tenant_are_not_found(env, client):
    a = await make_contact(client)
    b = await make_contact(client)
    note = (await client.post(f"/v1/contacts/{a['id']}/notes", json={"body": "x"})).json()
    wrong = f"/v1/contacts/{b['id']}/notes/{note['id']}"
    assert (await client.patch(wrong, json={"body": "y"})).status_code == 404
    assert (await client.delete(wrong)).status_code == 404
    _, key = await env.tenant()
    async with env.client(key) as other:
        url = f"/v1/contacts/{a['id']}/notes"
        assert (await other.get(url)).status_code == 404
        assert (await other.post(url, json={"body": "x"})).status_code == 404
        assert (await other.delete(f"{url}/{note['id']}")).status_code == 404


async def test_notes_need_a_live_contact_to_write_but_stay_readable(client):
    contact = await make_contact(client)
    url = f"/v1/contacts/{contact['id']}/notes"
    await client.post(url, json={"body": "kept"})
    await client.delete(f"/v1/contacts/{contact['id']}")
    assert (await client.post(url, json={"body": "x"})).status_code == 404
    assert [n["body"] for n in (await client.get(url)).json()["data"]] == ["kept"]
