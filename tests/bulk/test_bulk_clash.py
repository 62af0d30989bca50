"""A chunk whose set-based insert hits a unique index (a concurrent writer took an
identifier between the load and the write) is written again alone in the tenant's turn
on PostgreSQL, then item by item, on both engines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from uuid import UUID

import httpx
import pytest

from roster.bulk import writer
from roster.kit.db import create_engine
from tests.bulk.test_bulk_side_effects import _feed
from tests.conftest import Env, make_contact


@asynccontextmanager
async def _chunk_under_way(env: Env, tenant_id: UUID) -> AsyncIterator[None]:
    """Another connection holds the tenant's bulk lock as a chunk being written holds it
    (shared, until its transaction ends), for as long as the block runs."""
    engine = create_engine(env.settings.url)
    try:
        async with engine.connect() as conn:
            driver: Any = (await conn.get_raw_connection()).driver_connection
            async with driver.transaction():
                await driver.execute(
                    "SELECT pg_advisory_xact_lock_shared(hashtextextended($1, 0))",
                    f"roster.bulk:{tenant_id}",
                )
                yield
    finally:
        await engine.dispose()


def _renders(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The ids of the contacts the writer renders (rows, timeline, events), in order."""
    real = writer._render_one
    rendered: list[Any] = []

    def render_one(entry: Any, *args: Any) -> Any:
        rendered.append(entry.id)
        return real(entry, *args)

    monkeypatch.setattr(writer, "_render_one", render_one)
    return rendered


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
    # PostgreSQL loads the batch ahead of its turn, then in it side by side twice and
    # once alone, before item by item; SQLite once.
    assert loads in ([151] + [1] * 151, [151] * 4 + [1] * 151)
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

    async def meanwhile(conn: Any, tenant_id: Any, alone: bool) -> None:
        # Between the batch's look-ahead and its turn, another request changes the contact.
        if not turns:
            patch = {"last_name": "Between"}
            changed = await client.patch(f"/v1/contacts/{held['id']}", json=patch)
            assert changed.status_code == 200, changed.text
        turns.append(1)
        await real(conn, tenant_id, alone)

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

    async def meanwhile(conn: Any, tenant_id: Any, alone: bool) -> None:
        if not turns:
            made.append(await make_contact(client, phone="+14155554001", last_name="Other"))
        turns.append(1)
        await real_turn(conn, tenant_id, alone)

    async def rows(repo: Any, chunk: Any, now: Any = None) -> Any:
        rows_for.append(sorted(str(e.id) for e in chunk.entries if e.stored is None))
        return await real_rows(repo, chunk, now)

    monkeypatch.setattr(writer, "_take_turn", meanwhile)
    monkeypatch.setattr(writer, "_rows", rows)
    rendered = _renders(monkeypatch)
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


async def test_batches_of_a_tenant_write_side_by_side(env: Env) -> None:
    """A batch does not wait for the tenant's other chunks under way."""
    if env.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    tenant_id, key = await env.tenant()
    items = [{"phone": f"+1415555{5000 + i:04d}"} for i in range(3)]
    async with env.client(key) as client, _chunk_under_way(env, tenant_id):
        post = client.post("/v1/contacts/batch", json={"contacts": items})
        response = await asyncio.wait_for(post, timeout=5)
    assert response.status_code == 200, response.text
    assert response.json()["created"] == 3


@pytest.mark.parametrize("clashes", [1, 2])
async def test_batch_that_clashed_is_written_again_set_based(
    env: Env, monkeypatch: pytest.MonkeyPatch, clashes: int
) -> None:
    """Its first write clashed with another writer's contact: the batch is written again,
    set-based, side by side with the tenant's chunks under way; after a second clash,
    alone in the tenant's turn, which it gets only once those chunks have finished.
    Nothing is written item by item, and only the contact that came out otherwise is
    rendered again."""
    if env.name != "postgresql":
        pytest.skip("bulk writers take turns on PostgreSQL only")
    tenant_id, key = await env.tenant()
    real_load, real_turn = writer._load, writer._take_turn
    loads: list[int] = []
    turns: list[bool] = []

    async def blind(repo: Any, items: list[writer.Item], **kw: Any) -> list[dict[str, Any]]:
        # The loads ahead and in the clashing turns miss the holder, as if not committed.
        loads.append(len(items))
        return [] if len(loads) <= 1 + clashes else await real_load(repo, items, **kw)

    async def turn(conn: Any, tenant: Any, alone: bool) -> None:
        turns.append(alone)
        await real_turn(conn, tenant, alone)

    monkeypatch.setattr(writer, "_load", blind)
    monkeypatch.setattr(writer, "_take_turn", turn)
    rendered = _renders(monkeypatch)
    items: list[dict[str, Any]] = [{"phone": f"+1415555{6000 + i:04d}"} for i in range(150)]
    items.append({"phone": "+14155556999", "first_name": "Upd"})
    async with env.client(key) as client:
        taken = await make_contact(client, phone="+14155556999")
        async with _chunk_under_way(env, tenant_id):
            post = asyncio.ensure_future(
                client.post("/v1/contacts/batch", json={"contacts": items})
            )
            if clashes == 2:
                for _ in range(500):
                    if True in turns or post.done():
                        break
                    await asyncio.sleep(0.01)
                assert turns == [False, False, True]
                await asyncio.sleep(0.3)
                # Alone means after the chunk under way.
                assert not post.done()
            else:
                await asyncio.wait_for(asyncio.shield(post), timeout=5)
                assert turns == [False, False]
        response = await asyncio.wait_for(post, timeout=5)
        out = response.json()
        assert (out["created"], out["updated"], out["failed"]) == (150, 1, 0), out
        # Loaded ahead, then in each turn; rendered once, and again only for the contact
        # that came out otherwise.
        assert loads == [151] * (2 + clashes)
        assert len(rendered) == 152 and str(rendered[-1]) == taken["id"]
        assert (await client.get(f"/v1/contacts/{taken['id']}")).json()["first_name"] == "Upd"
        feed = await _feed(client)
    assert len([e for e in feed if e["type"] == "contact.created"]) == 151
    assert len([e for e in feed if e["type"] == "contact.updated"]) == 1


async def test_concurrent_batches_sharing_people_make_each_person_once(env: Env) -> None:
    """Four batches at once, each creating or updating the same 200 people in its own
    order (and 50 of its own): every item succeeds, each person is created once and
    updated by the others, and the feed holds exactly those changes."""
    _, key = await env.tenant()
    shared = [f"+1415556{i:04d}" for i in range(200)]

    def batch(n: int) -> list[dict[str, Any]]:
        order = shared[n * 50 :] + shared[: n * 50]
        if n % 2:
            order.reverse()
        own = [{"phone": f"+1415557{n}{i:03d}"} for i in range(50)]
        return [{"phone": p, "last_name": f"B{n}"} for p in order] + own

    async with env.client(key) as client:
        posts = [client.post("/v1/contacts/batch", json={"contacts": batch(n)}) for n in range(4)]
        responses = await asyncio.wait_for(asyncio.gather(*posts), timeout=60)
        outs = [r.json() for r in responses]
        assert [r.status_code for r in responses] == [200] * 4, outs
        assert [o["failed"] for o in outs] == [0] * 4
        assert sum(o["created"] for o in outs) == 200 + 4 * 50
        assert sum(o["updated"] for o in outs) == 3 * 200
        listed = (await client.get("/v1/contacts", params={"include_total": "true"})).json()
        assert listed["total"] == 400
        feed = await _feed(client)
    kinds = [e["type"] for e in feed]
    assert (kinds.count("contact.created"), kinds.count("contact.updated")) == (400, 600)
