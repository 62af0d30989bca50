"""PostgreSQL: a relay refreshes the planner's statistics as the deliveries grow, counted from
what the statistics already describe."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text

from roster.kit.db import transaction
from tests.conftest import make_contact
from tests.webhooks.conftest import register, relay_for


async def test_a_started_relay_counts_growth_from_the_rows_already_analyzed(
    env, client, private_ok, receiver
):
    if env.name != "postgresql":
        pytest.skip("SQLite: the relay does not ANALYZE")
    await register(client, receiver)
    for _ in range(3):
        await make_contact(client)
    engine = env.app.state.engine
    async with relay_for(env) as relay:
        # The events reach the relay's pass when their commits are settled, which can take
        # more than one pass: tick until the deliveries exist rather than trusting one.
        for _ in range(100):
            await relay.tick()
            await relay.drain()
            async with transaction(engine, write=False) as conn:
                made = (
                    await conn.execute(text("SELECT count(*) FROM webhook_deliveries"))
                ).scalar_one()
            if made >= 3:
                break
            await asyncio.sleep(0.05)
        assert made >= 3
    async with transaction(engine, write=True) as conn:
        await conn.execute(text("ANALYZE webhook_deliveries"))
        known = (
            await conn.execute(
                text("SELECT reltuples FROM pg_class WHERE oid = 'webhook_deliveries'::regclass")
            )
        ).scalar_one()
    assert known >= 3
    async with relay_for(env) as restarted:
        # A restarted relay ANALYZEs again once the deliveries have doubled from there, not
        # after its first 100 (which, beside a large table, meant an ANALYZE every few
        # hundred events while it started).
        assert restarted._created_until_analyze == int(known)
