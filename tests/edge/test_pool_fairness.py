"""The connection pool serves waiters first come, first served, and a waiter that gives up
leaves no connection behind (on both engines, through real connections)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.exc import TimeoutError as PoolTimeout

from roster.kit.db import create_engine
from tests.conftest import Env


async def test_a_returned_connection_goes_to_the_waiter_not_to_a_newcomer(env: Env) -> None:
    engine = create_engine(env.settings.url, pool_size=1, pool_timeout=5)  # 2 connections
    try:
        first, second = await engine.connect(), await engine.connect()
        order: list[str] = []

        async def waiter() -> None:
            async with engine.connect():
                order.append("waiter")
                await asyncio.sleep(0.05)

        waiting = asyncio.create_task(waiter())
        await asyncio.sleep(0.1)  # it waits: both connections are out
        assert order == []
        await first.close()
        # Asked again at once, as a request's next unit of work does: the connection just
        # returned is the waiter's, so this one waits its turn behind it.
        async with engine.connect():
            order.append("newcomer")
        await waiting
        assert order == ["waiter", "newcomer"]
        await second.close()
    finally:
        await engine.dispose()


async def test_a_waiter_that_times_out_takes_nothing_with_it(env: Env) -> None:
    engine = create_engine(env.settings.url, pool_size=1, pool_timeout=0.2)
    try:
        held = [await engine.connect(), await engine.connect()]
        with pytest.raises(PoolTimeout):
            await engine.connect()
        for conn in held:
            await conn.close()
        # Both connections can be taken again: none went to the waiter that gave up.
        again = [await engine.connect(), await engine.connect()]
        assert engine.pool.checkedout() == 2  # type: ignore[attr-defined]
        for conn in again:
            await conn.close()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()
