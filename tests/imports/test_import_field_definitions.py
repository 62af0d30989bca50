"""Imports apply the tenant's custom field definitions, as every other write does: cells are
text in a file, so a number or boolean field's cell is read as one, then validated."""

from __future__ import annotations

import httpx

from tests.conftest import Env
from tests.helpers.jobs import import_csv


async def test_typed_cells_are_converted_and_checked(env: Env, client: httpx.AsyncClient) -> None:
    for key, kind, extra in (
        ("seats", "number", {}),
        ("vip", "boolean", {}),
        ("plan", "enum", {"options": ["free", "pro"]}),
        ("renews", "date", {}),
    ):
        made = await client.post(
            "/v1/fields", json={"key": key, "label": key, "type": kind, **extra}
        )
        assert made.status_code == 201, made.text
    csv = (
        "phone,custom_fields.seats,custom_fields.vip,custom_fields.plan,custom_fields.renews,"
        "custom_fields.note\n"
        "+14155550501,12,yes,pro,2027-01-31,free text\n"
        "+14155550502,2.5,false,free,,\n"
        "+14155550503,many,true,pro,,\n"  # not a number
        "+14155550504,3,maybe,pro,,\n"  # not a boolean
        "+14155550505,3,true,gold,,\n"  # not an option
        "+14155550506,3,true,pro,31/01/2027,\n"  # not a date
    )
    job = await import_csv(env, client, csv)
    assert (job["created"], job["failed"]) == (2, 4), job
    found = await client.get("/v1/contacts/lookup", params={"phone": "+14155550501"})
    assert found.json()["custom_fields"] == {
        "seats": 12,
        "vip": True,
        "plan": "pro",
        "renews": "2027-01-31",
        "note": "free text",
    }
    second = await client.get("/v1/contacts/lookup", params={"phone": "+14155550502"})
    assert second.json()["custom_fields"] == {"seats": 2.5, "vip": False, "plan": "free"}
    errors = (await client.get(f"/v1/imports/{job['id']}/errors")).text
    for column in ("seats", "vip", "plan", "renews"):
        assert f"custom_fields.{column}" in errors, errors
