"""The connection pool serves waiters first come, first served, a waiter that gives up
leaves no connection behind, and connections beyond the pool's size are kept while they are
used (on both engines, through real connections)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import TimeoutError as PoolTimeout

from roster.kit.db import create_engine, single_read
from roster.models import api_keys
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


async def _take_and_return(engine: Any, count: int) -> None:
    held = [await engine.connect() for _ in range(count)]
    for conn in held:
        await conn.close()


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


def _short_lived_pool(env: Env) -> tuple[Any, list[object]]:
    """A pool of one (two with the overflow) whose idle extra closes after 0.2 s, and the
    driver connections it has closed."""
    engine = create_engine(env.settings.url, pool_size=1, pool_timeout=5)
    engine.pool.idle_lifetime = 0.2  # type: ignore[attr-defined]
    closed: list[object] = []
    event.listen(engine.sync_engine, "close", lambda dbapi, record: closed.append(dbapi))
    return engine, closed


async def test_connections_beyond_the_pool_size_close_once_idle_long_enough(env: Env) -> None:
    engine, closed = _short_lived_pool(env)
    try:
        await _take_and_return(engine, 2)
        await _take_and_return(engine, 1)  # too soon: both stay
        assert engine.pool.checkedin() == 2  # type: ignore[attr-defined]
        await asyncio.sleep(0.3)
        # One is used again (the most recently used one); the other has been idle for
        # longer than its lifetime, beyond the pool's size: it is closed.
        await _take_and_return(engine, 1)
        assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
        assert len(closed) == 1
        # And it can be opened again: the pool still allows two.
        await _take_and_return(engine, 2)
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert engine.pool.checkedin() == 2  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


# A read by id as ``single_read`` makes it: after SQLAlchemy's first run, straight from
# the pool, outside any greenlet when an idle connection is at hand.
_COUNT = select(func.count()).select_from(api_keys)


def _counted(row: dict[str, Any] | None) -> bool:
    return row is not None and list(row) == ["count_1"] and isinstance(row["count_1"], int)


def _is_closed(dbapi: Any) -> bool:
    driver = dbapi.driver_connection
    if hasattr(driver, "is_closed"):  # asyncpg
        return bool(driver.is_closed())
    return driver._connection is None  # aiosqlite


async def test_a_read_straight_from_the_pool_closes_long_idle_connections_too(env: Env) -> None:
    engine, closed = _short_lived_pool(env)
    try:
        assert _counted(await single_read(engine, _COUNT, {}))  # SQLAlchemy's way
        await _take_and_return(engine, 2)
        await asyncio.sleep(0.3)
        # Taken and given back outside a greenlet: the other connection, idle beyond the
        # pool's size for longer than its lifetime, is closed (which is I/O) all the same.
        assert _counted(await single_read(engine, _COUNT, {}))
        for _ in range(50):
            if closed and _is_closed(closed[0]):
                break
            await asyncio.sleep(0.01)
        assert len(closed) == 1
        assert _is_closed(closed[0])  # really closed, not just asked to be
        assert engine.pool.checkedin() == 1  # type: ignore[attr-defined]
        await _take_and_return(engine, 2)  # and the pool may open it again
        assert engine.pool.checkedin() == 2  # type: ignore[attr-defined]
    finally:
        await engine.dispose()


async def test_a_read_straight_from_the_pool_replaces_an_invalidated_connection(
    env: Env,
) -> None:
    engine = create_engine(env.settings.url, pool_size=1, pool_timeout=5)
    opened: list[object] = []
    event.listen(engine.sync_engine, "connect", lambda dbapi, record: opened.append(dbapi))
    try:
        assert _counted(await single_read(engine, _COUNT, {}))
        conn = await engine.connect()
        await conn.invalidate()  # as after a failed statement: its record has no connection
        await conn.close()
        assert _counted(await single_read(engine, _COUNT, {}))
        assert len(opened) == 2  # connecting anew is I/O: done in a greenlet
    finally:
        await engine.dispose()
