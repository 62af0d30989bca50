"""A chunk whose set-based insert hits a unique index (a concurrent writer took an
identifier between the load and the write) is redone item by item, on both engines."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from roster.bulk import writer
from tests.bulk.test_bulk_side_effects import _feed
from tests.conftest import Env, make_contact


async def test_clash_in_bulk_insert_redoes_item_by_item(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = await make_contact(client, phone="+14155559999")
    real = writer._load
    loads: list[int] = []

    async def blind(repo: Any, items: list[writer.Item], **kw: Any) -> list[dict[str, Any]]:
        # The chunk's load misses the existing holder, as if it had been written after it.
        loads.append(len(items))
        return [] if len(items) > 1 else await real(repo, items, **kw)

    monkeypatch.setattr(writer, "_load", blind)
    items: list[dict[str, Any]] = [
        {"phone": f"+1415555{2000 + i:04d}", "tags": ["x"]} for i in range(150)
    ]
    items.append({"phone": "+14155559999", "first_name": "Upd"})
    response = await client.post("/v1/contacts/batch", json={"contacts": items})
    out = response.json()
    assert (out["created"], out["updated"], out["failed"]) == (150, 1, 0), out
    # PostgreSQL loads the batch twice (ahead of its turn, then in it), SQLite once.
    assert loads in ([151] + [1] * 151, [151, 151] + [1] * 151)
    assert (await client.get(f"/v1/contacts/{taken['id']}")).json()["first_name"] == "Upd"
    feed = await _feed(client)
    assert len([e for e in feed if e["type"] == "contact.created"]) == 151
    assert len([e for e in feed if e["type"] == "contact.updated"]) == 1


async def test_batch_decided_ahead_is_decided_again_when_a_contact_changed_before_its_turn(
    env: Env, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    if env.name != "postgresql":
        pytest.skip("bulk writers take turns on PostgreSQL only")
    held = await make_contact(client, phone="+14155550001", last_name="Before")
    real = writer._take_turn
    turns: list[int] = []

    async def meanwhile(conn: Any, tenant_id: Any) -> None:
        # Between the batch's look-ahead and its turn, another request changes the contact.
        if not turns:
            patch = {"last_name": "Between"}
            changed = await client.patch(f"/v1/contacts/{held['id']}", json=patch)
            assert changed.status_code == 200, changed.text
        turns.append(1)
        await real(conn, tenant_id)

    monkeypatch.setattr(writer, "_take_turn", meanwhile)
    items = [{"phone": "+14155550001", "first_name": "Batch"}]
    items += [{"phone": f"+1415555{3000 + i:04d}"} for i in range(3)]
    response = await client.post("/v1/contacts/batch", json={"contacts": items})
    out = response.json()
    assert (out["created"], out["updated"], out["failed"]) == (3, 1, 0), out
    assert out["results"][0] == {"index": 0, "status": "updated", "id": held["id"]}
    after = (await client.get(f"/v1/contacts/{held['id']}")).json()
    # Both changes hold: the batch was decided again on the changed contact.
    assert (after["first_name"], after["last_name"], after["version"]) == ("Batch", "Between", 3)
    feed = await _feed(client)
    updated = [e for e in feed if e["type"] == "contact.updated"]
    assert [e["data"]["contact"]["version"] for e in updated] == [2, 3]
