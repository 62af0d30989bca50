"""A chunk whose set-based insert hits a unique index (a concurrent writer took an
identifier between the load and the write) is written again alone in the tenant's turn
on PostgreSQL, then item by item, on both engines.

What the writer does is read from its statements (SQLAlchemy's ``before_cursor_execute``):
its loads of contacts by phone, and the tenant turns it takes. A concurrent writer is
played by leaving a load's phones out of its parameters, or by holding the tenant's turn
from another connection (PostgreSQL, seen waiting in ``pg_locks``)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import event

from roster.kit.db import create_engine
from tests.bulk.test_bulk_side_effects import _feed
from tests.conftest import Env, make_contact

# The writer's load of live contacts by phone: an array on PostgreSQL, an IN list on SQLite.
_PHONE_LOAD = re.compile(r"\bFROM contacts\b.*\bcontacts\.phone (= ANY|IN) \(", re.S)
_TURN = "roster.bulk:"


@dataclass
class _Seen:
    loads: list[int] = field(default_factory=list)  # phones asked for by each load
    turns: list[bool] = field(default_factory=list)  # each turn taken: True when alone


@contextmanager
def _writer_statements(env: Env, blind: Callable[[int], bool] | None = None) -> Iterator[_Seen]:
    """The bulk writer's loads by phone and turns, as its statements show them. A load of
    more than one phone whose number (from 1) ``blind`` holds for finds none of them, as
    if their contacts were not committed yet: its phones are left out of its parameters."""
    seen = _Seen()
    engine = env.app.state.engine.sync_engine

    def before(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> tuple[str, Any]:
        if many or not parameters:
            return statement, parameters
        values = list(parameters)
        if any(isinstance(v, str) and v.startswith(_TURN) for v in values):
            seen.turns.append("_shared(" not in statement)
        elif _PHONE_LOAD.search(statement):
            arrays = [i for i, v in enumerate(values) if isinstance(v, list)]
            phones = values[arrays[0]] if arrays else [v for v in values if _phone(v)]
            seen.loads.append(len(phones))
            if len(phones) > 1 and blind is not None and blind(len(seen.loads)):
                if arrays:
                    values[arrays[0]] = []
                else:
                    values = ["blind" if _phone(v) else v for v in values]
                return statement, type(parameters)(values)
        return statement, parameters

    event.listen(engine, "before_cursor_execute", before, retval=True)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _phone(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("+")


@asynccontextmanager
async def _chunk_under_way(
    env: Env, tenant_id: UUID, *, alone: bool = False
) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """Another connection holds the tenant's bulk lock as a chunk being written holds it
    (shared, until its transaction ends; or ``alone``), for as long as the block runs.
    Yields a wait for another writer to be waiting for its turn (``pg_locks``)."""
    engine = create_engine(env.settings.url)
    lock = "pg_advisory_xact_lock" if alone else "pg_advisory_xact_lock_shared"
    try:
        async with engine.connect() as conn:
            driver: Any = (await conn.get_raw_connection()).driver_connection

            async def waiter() -> None:
                for _ in range(500):
                    waiting = await driver.fetchval(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                        "AND NOT granted AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                    if waiting:
                        return
                    await asyncio.sleep(0.01)
                raise AssertionError("no writer waits for the tenant's turn")

            async with driver.transaction():
                await driver.execute(
                    f"SELECT {lock}(hashtextextended($1, 0))", f"{_TURN}{tenant_id}"
                )
                yield waiter
    finally:
        await engine.dispose()


async def test_clash_in_bulk_insert_redoes_item_by_item(
    env: Env, client: httpx.AsyncClient
) -> None:
    taken = await make_contact(client, phone="+14155559999")
    items: list[dict[str, Any]] = [
        {"phone": f"+1415555{2000 + i:04d}", "tags": ["x"]} for i in range(150)
    ]
    items.append({"phone": "+14155559999", "first_name": "Upd"})
    # The chunk's loads miss the existing holder, as if it had been written after them.
    with _writer_statements(env, blind=lambda n: True) as seen:
        response = await client.post("/v1/contacts/batch", json={"contacts": items})
    out = response.json()
    assert (out["created"], out["updated"], out["failed"]) == (150, 1, 0), out
    # PostgreSQL loads the batch ahead of its turn, then in it side by side twice and
    # once alone, before item by item; SQLite once.
    assert seen.loads in ([151] + [1] * 151, [151] * 4 + [1] * 151)
    assert (await client.get(f"/v1/contacts/{taken['id']}")).json()["first_name"] == "Upd"
    feed = await _feed(client)
    assert len([e for e in feed if e["type"] == "contact.created"]) == 151
    assert len([e for e in feed if e["type"] == "contact.updated"]) == 1


async def test_batch_decided_ahead_is_decided_again_when_a_contact_changed_before_its_turn(
    env: Env,
) -> None:
    if env.name != "postgresql":
        pytest.skip("bulk writers take turns on PostgreSQL only")
    tenant_id, key = await env.tenant()
    items = [{"phone": "+14155550001", "first_name": "Batch"}]
    items += [{"phone": f"+1415555{3000 + i:04d}"} for i in range(3)]
    async with env.client(key) as client:
        held = await make_contact(client, phone="+14155550001", last_name="Before")
        with _writer_statements(env) as seen:
            async with _chunk_under_way(env, tenant_id, alone=True) as waiting:
                post = asyncio.ensure_future(
                    client.post("/v1/contacts/batch", json={"contacts": items})
                )
                await waiting()
                # Between the batch's look-ahead and its turn, another request changes
                # the contact.
                patch = {"last_name": "Between"}
                changed = await client.patch(f"/v1/contacts/{held['id']}", json=patch)
                assert changed.status_code == 200, changed.text
            response = await asyncio.wait_for(post, timeout=10)
        out = response.json()
        assert (out["created"], out["updated"], out["failed"]) == (3, 1, 0), out
        assert out["results"][0] == {"index": 0, "status": "updated", "id": held["id"]}
        # Loaded ahead, then in its turn (side by side), once.
        assert (seen.loads, seen.turns) == ([4, 4], [False])
        after = (await client.get(f"/v1/contacts/{held['id']}")).json()
        # Both changes hold: the batch was decided again on the changed contact.
        assert (after["first_name"], after["last_name"], after["version"]) == (
            "Batch",
            "Between",
            3,
        )
        feed = await _feed(client)
    updated = [e for e in feed if e["type"] == "contact.updated"]
    assert [e["data"]["contact"]["version"] for e in updated] == [2, 3]


async def test_batch_decided_again_keeps_what_came_out_the_same(env: Env) -> None:
    """Between the batch's look-ahead and its turn another request creates a contact the
    batch would have created: decided again, that item updates it, and the contacts that
    came out the same are written as rendered ahead: every event holds the contact exactly
    as it is stored."""
    if env.name != "postgresql":
        pytest.skip("bulk writers take turns on PostgreSQL only")
    tenant_id, key = await env.tenant()
    items = [{"phone": f"+1415555{4000 + i:04d}", "first_name": f"N{i}"} for i in range(4)]
    async with env.client(key) as client:
        async with _chunk_under_way(env, tenant_id, alone=True) as waiting:
            post = asyncio.ensure_future(
                client.post("/v1/contacts/batch", json={"contacts": items})
            )
            await waiting()
            made = await make_contact(client, phone="+14155554001", last_name="Other")
        response = await asyncio.wait_for(post, timeout=10)
        out = response.json()
        assert (out["created"], out["updated"], out["failed"]) == (3, 1, 0), out
        assert out["results"][1] == {"index": 1, "status": "updated", "id": made["id"]}
        created = [r["id"] for r in out["results"] if r["status"] == "created"]
        assert len(set(created)) == 3 and made["id"] not in created
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
async def test_batch_that_clashed_is_written_again_set_based(env: Env, clashes: int) -> None:
    """Its first write clashed with another writer's contact: the batch is written again,
    set-based, side by side with the tenant's chunks under way; after a second clash,
    alone in the tenant's turn, which it gets only once those chunks have finished.
    Nothing is written item by item."""
    if env.name != "postgresql":
        pytest.skip("bulk writers take turns on PostgreSQL only")
    tenant_id, key = await env.tenant()
    items: list[dict[str, Any]] = [{"phone": f"+1415555{6000 + i:04d}"} for i in range(150)]
    items.append({"phone": "+14155556999", "first_name": "Upd"})
    async with env.client(key) as client:
        taken = await make_contact(client, phone="+14155556999")
        # The loads ahead and in the clashing turns miss the holder, as if not committed.
        with _writer_statements(env, blind=lambda n: n <= 1 + clashes) as seen:
            async with _chunk_under_way(env, tenant_id):
                post = asyncio.ensure_future(
                    client.post("/v1/contacts/batch", json={"contacts": items})
                )
                if clashes == 2:
                    for _ in range(500):
                        if True in seen.turns or post.done():
                            break
                        await asyncio.sleep(0.01)
                    assert seen.turns == [False, False, True]
                    await asyncio.sleep(0.3)
                    # Alone means after the chunk under way.
                    assert not post.done()
                else:
                    await asyncio.wait_for(asyncio.shield(post), timeout=5)
                    assert seen.turns == [False, False]
            response = await asyncio.wait_for(post, timeout=5)
        out = response.json()
        assert (out["created"], out["updated"], out["failed"]) == (150, 1, 0), out
        # Loaded ahead, then in each turn; never item by item.
        assert seen.loads == [151] * (2 + clashes)
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
