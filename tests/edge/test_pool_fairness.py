"""The connection pool serves waiters first come, first served, a waiter that gives up
leaves no connection behind, and connections beyond the pool's size are kept while they are
used (on both engines, through real connections and Roster's unit of work, which takes its
place in line at ``roster.kit.fairpool``'s gate)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import pytest
from sqlalchemy import event, literal_column, select

from roster.errors import Unavailable
from roster.kit import fairpool
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


def _short_lived_pool(env: Env) -> tuple[Any, list[object], list[object]]:
    """A pool of one (two under load) whose idle extra closes after 0.2 s, and the driver
    connections it has opened and closed."""
    engine = create_engine(env.settings.url, pool_size=1, pool_timeout=5, idle_lifetime=0.2)
    opened: list[object] = []
    closed: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda dbapi, record: opened.append(dbapi))
    event.listen(engine.sync_engine, "close", lambda dbapi, record: closed.append(dbapi))
    return engine, opened, closed


async def test_connections_beyond_the_pool_size_close_once_idle_long_enough(env: Env) -> None:
    engine, opened, closed = _short_lived_pool(env)
    try:
        await _take_and_return(engine, 2)
        await _take_and_return(engine, 1)  # too soon: both stay open
        assert (len(opened), closed) == (2, [])
        await asyncio.sleep(0.3)
        # One is taken again (the most recently used one); the other has been idle for
        # longer than its lifetime, beyond the pool's size: it is closed.
        await _take_and_return(engine, 1)
        assert len(closed) == 1
        # It stays in the pool as an entry without a connection: the idle gauge
        # (roster_db_pool_connections_idle) counts the open one only.
        assert engine.pool.checkedin() == 2  # type: ignore[attr-defined]
        assert fairpool.idle_connections(engine) == 1
        # And it opens again when needed: the pool still allows two.
        await _take_and_return(engine, 2)
        assert len(opened) == 3
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


# A statement ``single_read`` runs on a connection straight from the pool.
_ONE = select(literal_column("1").label("one"))


async def _really_closed(dbapi: Any) -> bool:
    driver = dbapi.driver_connection
    if hasattr(driver, "is_closed"):  # asyncpg
        return bool(driver.is_closed())
    try:  # aiosqlite
        await driver.execute_fetchall("SELECT 1")
    except ValueError:
        return True
    return False


async def test_a_read_straight_from_the_pool_closes_long_idle_connections_too(env: Env) -> None:
    engine, opened, closed = _short_lived_pool(env)
    try:
        assert await single_read(engine, _ONE, {}) == {"one": 1}
        await _take_and_return(engine, 2)
        await asyncio.sleep(0.3)
        # The other connection, idle beyond the pool's size for longer than its lifetime,
        # is closed when the read takes its own.
        assert await single_read(engine, _ONE, {}) == {"one": 1}
        assert len(closed) == 1
        assert await _really_closed(closed[0])  # really closed, not just asked to be
        await _take_and_return(engine, 2)  # and the pool may open it again
        assert len(opened) == 3
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
