"""Bulk actions by filter, as jobs, on both engines."""

from __future__ import annotations

import httpx

from tests.conftest import Env, make_contact
from tests.helpers.jobs import all_contacts, wait_job

VIP = {"field": "tags", "op": "has", "value": "vip"}


async def _start(http: httpx.AsyncClient, body: dict) -> dict:  # type: ignore[type-arg]
    response = await http.post("/v1/contacts/bulk-actions", json=body)
    assert response.status_code == 202, response.text
    assert response.headers["location"] == f"/v1/jobs/{response.json()['id']}"
    return response.json()  # type: ignore[no-any-return]


async def test_tags_fields_and_archive(env: Env, client: httpx.AsyncClient) -> None:
    vips = [await make_contact(client, tags=["vip"], status="lead") for _ in range(3)]
    other = await make_contact(client, tags=["other"], status="lead")
    job = await _start(client, {"filter": VIP, "action": "add_tags", "params": {"tags": ["gold"]}})
    assert (job["kind"], job["total"]) == ("bulk_action", 3)
    done = await wait_job(env, client, f"/v1/jobs/{job['id']}")
    assert (done["status"], done["processed"], done["updated"]) == ("completed", 3, 3)
    # Again: every contact already has the tag, so none is updated (no version bump).
    job = await _start(client, {"filter": VIP, "action": "add_tags", "params": {"tags": ["gold"]}})
    done = await wait_job(env, client, f"/v1/jobs/{job['id']}")
    assert (done["status"], done["processed"], done["updated"]) == ("completed", 3, 0)
    people = {p["id"]: p for p in await all_contacts(client)}
    assert all(people[v["id"]]["tags"] == ["gold", "vip"] for v in vips)
    assert people[other["id"]]["tags"] == ["other"]

    both = {"all": [VIP, {"field": "status", "op": "eq", "value": "lead"}]}
    job = await _start(
        client,
        {
            "filter": both,
            "action": "set_fields",
            "params": {"status": "customer", "custom_fields": {"tier": "1"}},
        },
    )
    await wait_job(env, client, f"/v1/jobs/{job['id']}")
    job = await _start(
        client, {"filter": VIP, "action": "remove_tags", "params": {"tags": ["gold"]}}
    )
    await wait_job(env, client, f"/v1/jobs/{job['id']}")
    people = {p["id"]: p for p in await all_contacts(client)}
    for v in vips:
        assert people[v["id"]]["status"] == "customer"
        assert people[v["id"]]["custom_fields"] == {"tier": "1"}
        assert people[v["id"]]["tags"] == ["vip"] and people[v["id"]]["version"] == 4
    assert people[other["id"]]["status"] == "lead"
    tags = {t["tag"]: t["count"] for t in (await client.get("/v1/tags")).json()["data"]}
    assert tags == {"vip": 3, "other": 1}

    job = await _start(client, {"filter": VIP, "action": "archive"})
    done = await wait_job(env, client, f"/v1/jobs/{job['id']}")
    assert done["updated"] == 3
    assert [p["id"] for p in await all_contacts(client)] == [other["id"]]


async def test_bad_bulk_actions_are_refused_before_a_job(client: httpx.AsyncClient) -> None:
    cases = [
        (
            {"filter": {"field": "nope", "op": "eq", "value": "x"}, "action": "archive"},
            "filter.field",
        ),
        ({"filter": {"field": "name", "op": "gt", "value": "x"}, "action": "archive"}, "filter.op"),
        ({"action": "archive"}, "filter"),
        ({"filter": VIP, "action": "add_tags", "params": {}}, "params.tags"),
        ({"filter": VIP, "action": "set_fields", "params": {"phone": "+1"}}, "params.phone"),
        ({"filter": VIP, "action": "add_to_list", "params": {"list_id": "x"}}, "params.list_id"),
        ({"filter": VIP, "action": "remove_from_list", "params": {}}, "params.list_id"),
        ({"filter": VIP, "action": "explode"}, "action"),
    ]
    for body, field in cases:
        response = await client.post("/v1/contacts/bulk-actions", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["errors"][0]["field"] == field, response.json()


async def test_bulk_action_is_tenant_scoped(env: Env, client: httpx.AsyncClient) -> None:
    _, key = await env.tenant()
    async with env.client(key) as other:
        theirs = await make_contact(other, tags=["vip"])
        job = await _start(client, {"filter": VIP, "action": "archive"})
        done = await wait_job(env, client, f"/v1/jobs/{job['id']}")
        assert done["processed"] == 0
        assert (await other.get(f"/v1/contacts/{theirs['id']}")).status_code == 200
        assert (await other.get(f"/v1/jobs/{job['id']}")).status_code == 404
