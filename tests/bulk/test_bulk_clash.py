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


async def test_batch_decided_again_keeps_what_came_out_the_same(
    env: Env, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the batch's look-ahead and its turn another request creates a contact the
    batch would have created: decided again, that item updates it, and the contacts that
    came out the same are written as rendered ahead, with the same ids: every event holds
    the contact exactly as it is stored."""
    if env.name != "postgresql":
        pytest.skip("bulk writers take turns on PostgreSQL only")
    real_turn, real_rows = writer._take_turn, writer._rows
    turns: list[int] = []
    made: list[dict[str, Any]] = []
    rows_for: list[list[Any]] = []

    async def meanwhile(conn: Any, tenant_id: Any) -> None:
        if not turns:
            made.append(await make_contact(client, phone="+14155554001", last_name="Other"))
        turns.append(1)
        await real_turn(conn, tenant_id)

    async def rows(repo: Any, chunk: Any, now: Any = None) -> Any:
        rows_for.append(sorted(str(e.id) for e in chunk.entries if e.stored is None))
        return await real_rows(repo, chunk, now)

    real_render = writer._render_one
    rendered: list[Any] = []

    def render_one(entry: Any, *args: Any) -> Any:
        rendered.append(entry.id)
        return real_render(entry, *args)

    monkeypatch.setattr(writer, "_take_turn", meanwhile)
    monkeypatch.setattr(writer, "_rows", rows)
    monkeypatch.setattr(writer, "_render_one", render_one)
    items = [{"phone": f"+1415555{4000 + i:04d}", "first_name": f"N{i}"} for i in range(4)]
    response = await client.post("/v1/contacts/batch", json={"contacts": items})
    out = response.json()
    assert (out["created"], out["updated"], out["failed"]) == (3, 1, 0), out
    assert out["results"][1] == {"index": 1, "status": "updated", "id": made[0]["id"]}
    created = sorted(r["id"] for r in out["results"] if r["status"] == "created")
    # Decided twice; the contacts still new got the ids they were given ahead.
    assert len(rows_for) == 2 and set(created) <= set(rows_for[0]) and rows_for[1] == created
    # Rendered four times ahead, then only the contact that came out otherwise.
    assert len(rendered) == 5 and str(rendered[-1]) == made[0]["id"]
    feed = await _feed(client)
    for result in out["results"]:
        stored = (await client.get(f"/v1/contacts/{result['id']}")).json()
        mine = [e for e in feed if e["data"]["contact"]["id"] == result["id"]]
        kinds = [e["type"] for e in mine]
        if result["status"] == "created":
            assert kinds == ["contact.created"]
        else:
            assert kinds == ["contact.created", "contact.updated"]
            assert (stored["first_name"], stored["last_name"]) == ("N1", "Other")
        assert mine[-1]["data"]["contact"] == stored
