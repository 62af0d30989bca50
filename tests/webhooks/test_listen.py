"""PostgreSQL: a relay in a process of its own is woken by the commits of other processes
(LISTEN/NOTIFY), not only by its poll."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from roster.kit.db import create_engine
from roster.webhooks.relay import RELAY_IDLE_LOCK, Relay
from tests.conftest import make_contact
from tests.helpers.apps import app_with, client_for
from tests.webhooks.conftest import register


async def _until_heard(driver: Any, heard: list[str]) -> None:
    """Round trips on the listening connection (each delivers what was sent before it)
    until a notification arrived, for at most about a second."""
    for _ in range(100):
        if heard:
            return
        await driver.execute("SELECT 1")
        await asyncio.sleep(0.01)


async def test_an_idle_relay_of_its_own_is_woken_by_commits_elsewhere(
    env, client, private_ok, receiver
):
    if env.name != "postgresql":
        pytest.skip("SQLite: one process relays, woken in-process")
    await register(client, receiver)
    # The relay's engine is not the API's: the API's commits cannot wake it in-process, and
    # it polls once an hour, so only a notification can bring it each new event.
    engine = create_engine(env.settings.url)
    settings = env.settings.model_copy(
        update={"webhooks_allow_private": True, "relay_interval": 3600.0}
    )
    stop = asyncio.Event()
    sent = []
    try:
        async with Relay(engine, settings) as relay:
            running = asyncio.create_task(relay.run(stop))
            for n in range(1, 4):
                sent.append((await make_contact(client))["id"])
                await receiver.wait_for(n)
            stop.set()
            relay.wake.set()
            await running
    finally:
        await engine.dispose()
    assert [r.event["data"]["contact"]["id"] for r in receiver.received] == sent


async def test_a_busy_relay_lets_writers_commit_without_notifying(env, client):
    """No relay holds the idle lock: the trigger takes it shared and sends nothing."""
    if env.name != "postgresql":
        pytest.skip("PostgreSQL only")
    engine = create_engine(env.settings.url)
    try:
        async with engine.connect() as listener:
            driver = (await listener.get_raw_connection()).driver_connection
            heard: list[str] = []
            await driver.add_listener("roster_events", lambda *a: heard.append(a[2]))
            await make_contact(client)
            # A round trip on the listening connection delivers what was sent before it.
            await driver.execute("SELECT 1")
            assert heard == []
            # Held, as an idle relay holds it: the next commit notifies.
            await driver.execute(f"SELECT pg_advisory_lock({RELAY_IDLE_LOCK})")
            await make_contact(client)
            await _until_heard(driver, heard)
            assert heard == ["roster_events"]
            await driver.execute(f"SELECT pg_advisory_unlock({RELAY_IDLE_LOCK})")
            await listener.invalidate()
    finally:
        await engine.dispose()


async def test_a_process_with_its_own_relay_wakes_it_without_notifying(env):
    """A server that relays in-process wakes its relay at commit; only processes without
    one (a worker, a server with the embedded relay off) notify the others."""
    if env.name != "postgresql":
        pytest.skip("PostgreSQL only")
    _, key = await env.tenant()
    engine = create_engine(env.settings.url)
    try:
        async with engine.connect() as listener:
            driver = (await listener.get_raw_connection()).driver_connection
            heard: list[str] = []
            await driver.add_listener("roster_events", lambda *a: heard.append(a[2]))
            # Held, as an idle relay of another process holds it.
            await driver.execute(f"SELECT pg_advisory_lock({RELAY_IDLE_LOCK})")
            async with (
                app_with(env, embedded_relay=True) as relaying,
                client_for(relaying, key) as http,
            ):
                await make_contact(http)
            await driver.execute("SELECT 1")
            assert heard == []
            async with env.client(key) as http:  # the suite's app has no relay of its own
                await make_contact(http)
            await _until_heard(driver, heard)
            assert heard == ["roster_events"]
            await driver.execute(f"SELECT pg_advisory_unlock({RELAY_IDLE_LOCK})")
            await listener.invalidate()
    finally:
        await engine.dispose()
