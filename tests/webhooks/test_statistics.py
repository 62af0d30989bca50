"""PostgreSQL: a relay refreshes the planner's statistics as the deliveries grow, counted from
what the statistics already describe."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text

from roster.kit.db import transaction
from tests.webhooks.conftest import register, relay_for


async def _events(client: Any, n: int) -> None:
    """``n`` contact.created events (batches of at most 1,000 contacts)."""
    while n > 0:
        size = min(n, 1000)
        items = [{"email": f"stat-{uuid.uuid4().hex}@example.com"} for _ in range(size)]
        response = await client.post("/v1/contacts/batch", json={"contacts": items})
        assert response.status_code == 200, response.text
        assert response.json()["created"] == size
        n -= size


async def _relay_all(engine: Any, relay: Any) -> None:
    """Pass until every committed event is sequenced (with its deliveries), and sent."""
    for _ in range(200):
        await relay.tick()
        await relay.drain()
        async with transaction(engine, write=False) as conn:
            left = (
                await conn.execute(text("SELECT count(*) FROM events WHERE seq IS NULL"))
            ).scalar_one()
        if left == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{left} events still unsequenced")


@contextmanager
def _analyzed(engine: Any) -> Iterator[list[str]]:
    """The ANALYZE statements of the deliveries run on ``engine`` while the block runs."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("ANALYZE") and "webhook_deliveries" in statement:
            seen.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)


async def test_a_started_relay_counts_growth_from_the_rows_already_analyzed(
    env, client, private_ok, receiver
):
    if env.name != "postgresql":
        pytest.skip("SQLite: the relay does not ANALYZE")
    await register(client, receiver)
    engine = env.app.state.engine
    await _events(client, 300)
    async with relay_for(env) as relay:
        await _relay_all(engine, relay)
    async with transaction(engine, write=True) as conn:
        await conn.execute(text("ANALYZE webhook_deliveries"))
        known = int(
            (
                await conn.execute(
                    text(
                        "SELECT reltuples FROM pg_class WHERE oid = 'webhook_deliveries'::regclass"
                    )
                )
            ).scalar_one()
        )
    assert known >= 300
    with _analyzed(engine) as analyzed:
        async with relay_for(env) as restarted:
            # A restarted relay does not ANALYZE after its first 100 events (which, beside a
            # large table, meant an ANALYZE every few hundred events while it started)...
            await _events(client, 150)
            await _relay_all(engine, restarted)
            await asyncio.sleep(0.2)
            assert analyzed == []
            # ...but once it has sequenced as many events as the statistics described (the
            # tables may have doubled), it ANALYZEs both; past 1,000 first, the deliveries.
            # The ANALYZE runs beside the loop: it is awaited on exit.
            await _events(client, min(known, 1000) - 150)
            await _relay_all(engine, restarted)
    both = "ANALYZE webhook_deliveries, events"
    assert analyzed == [both if known <= 1000 else "ANALYZE webhook_deliveries"]
