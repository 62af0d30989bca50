"""The connection pool serves waiters first come, first served, a waiter that gives up
leaves no connection behind, and connections beyond the pool's size are kept while they are
used (on both engines, through real connections and Roster's unit of work and direct reads,
which take their place in line at ``roster.kit.fairpool``'s gate)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from sqlalchemy import event, literal_column, select

from roster.errors import Unavailable
from roster.kit.db import create_engine, single_read, transaction
from tests.conftest import Env


async def test_a_returned_connection_goes_to_the_waiter_not_to_a_newcomer(env: Env) -> None:
    engine = create_engine(env.settings.url, pool_size=1, pool_timeout=5)  # 2 connections
    try:
        first, second = await _hold(engine), await _hold(engine)
        order: list[str] = []

        async def waiter() -> None:
            async with transaction(engine, write=False):
                order.append("waiter")
                await asyncio.sleep(0.05)

        waiting = asyncio.create_task(waiter())
        await asyncio.sleep(0.1)  # it waits: both connections are out
        assert order == []
        await first.aclose()
        # Asked again at once, as a request's next unit of work does: the connection just
        # returned is the waiter's, so this one waits its turn behind it.
        async with transaction(engine, write=False):
            order.append("newcomer")
        await waiting
        assert order == ["waiter", "newcomer"]
        await second.aclose()
    finally:
        await engine.dispose()


async def test_a_waiter_that_times_out_takes_nothing_with_it(env: Env) -> None:
    engine = create_engine(env.settings.url, pool_size=1, pool_timeout=0.2)
    try:
        held = [await _hold(engine), await _hold(engine)]
        with pytest.raises(Unavailable):
            async with transaction(engine, write=False):
                pass
        for unit in held:
            await unit.aclose()
        # Both connections can be taken again: none went to the waiter that gave up.
        again = [await _hold(engine), await _hold(engine)]
        assert engine.pool.checkedout() == 2  # type: ignore[attr-defined]
        for unit in again:
            await unit.aclose()
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def _hold(engine: Any) -> contextlib.AsyncExitStack:
    """A unit of work that holds its connection until closed."""
    stack = contextlib.AsyncExitStack()
    await stack.enter_async_context(transaction(engine, write=False))
    return stack


async def _take_and_return(engine: Any, count: int) -> None:
    held = [await _hold(engine) for _ in range(count)]
    for unit in held:
        await unit.aclose()


async def test_connections_beyond_the_pool_size_are_kept_while_in_use(env: Env) -> None:
    engine = create_engine(env.settings.url, pool_size=1, pool_timeout=5)  # 2 connections
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda dbapi, record: opened.append(dbapi))
    try:
        for _ in range(5):
            await _take_and_return(engine, 2)
        # The second connection came back to a pool with one idle each time: it was kept,
        # not closed and opened again.
        assert len(opened) == 2
        assert engine.pool.checkedin() == 2  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


# A statement ``single_read`` runs on a connection straight from the pool.
_ONE = select(literal_column("1").label("one"))


async def test_a_read_straight_from_the_pool_waits_its_turn_too(env: Env) -> None:
    engine = create_engine(env.settings.url, pool_size=1, pool_timeout=5)  # 2 connections
    try:
        first, second = await _hold(engine), await _hold(engine)
        order: list[str] = []

        async def read() -> None:
            assert await single_read(engine, _ONE, {}) == {"one": 1}
            order.append("read")

        reading = asyncio.create_task(read())
        await asyncio.sleep(0.1)  # it waits: both connections are out
        assert order == []
        await first.aclose()
        async with transaction(engine, write=False):
            order.append("newcomer")
        await reading
        assert order == ["read", "newcomer"]
        await second.aclose()
    finally:
        await engine.dispose()


async def test_a_read_straight_from_the_pool_replaces_an_invalidated_connection(
    env: Env,
) -> None:
    engine = create_engine(env.settings.url, pool_size=1, pool_timeout=5)
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda dbapi, record: opened.append(dbapi))
    try:
        assert await single_read(engine, _ONE, {}) == {"one": 1}
        conn = await engine.connect()
        await conn.invalidate()  # as after a failed statement: its record has no connection
        await conn.close()
        assert await single_read(engine, _ONE, {}) == {"one": 1}
        assert len(opened) == 2
    finally:
        await engine.dispose()
