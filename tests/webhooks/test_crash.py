"""A relay killed with SIGKILL mid-delivery loses no committed event."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import make_contact

pytestmark = pytest.mark.slow


def start_relay(env) -> subprocess.Popen[bytes]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ROSTER_")}
    environ.update(
        ROSTER_DATABASE_URL=env.settings.url,
        ROSTER_WEBHOOKS_ALLOW_PRIVATE="true",
        ROSTER_WEBHOOK_RETRY_SCHEDULE="0.2,0.2,0.2",
        ROSTER_WEBHOOK_TIMEOUT="2",
        ROSTER_WEBHOOK_LEASE="3",
        ROSTER_DATA_DIR=str(env.settings.data_dir),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "roster", "relay"],
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def test_kill_9_mid_delivery_loses_no_event(env, client, private_ok, receiver):
    # Slow answers keep deliveries in flight when the relay is killed.
    receiver.answer = lambda n, r: (200, {}, 0.3)
    hook = (await client.post("/v1/webhooks", json={"url": receiver.url(), "events": ["*"]})).json()
    made = [await make_contact(client) for _ in range(30)]
    first = start_relay(env)
    try:
        deadline = time.monotonic() + 120
        while len(receiver.received) < 5:
            assert time.monotonic() < deadline, first.stderr.read1(4096) if first.stderr else ""
            await asyncio.sleep(0.05)
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
    at_kill = len(receiver.received)
    assert at_kill < 30  # it really died mid-way
    # The killed relay's leases run out; a new relay sends what was not confirmed.
    second = start_relay(env)
    try:
        receiver.answer = lambda n, r: (200, {}, 0.0)
        deadline = time.monotonic() + 60
        wanted = {c["id"] for c in made}
        while {r.event["data"]["contact"]["id"] for r in receiver.received} != wanted:
            assert time.monotonic() < deadline, len(receiver.received)
            await asyncio.sleep(0.1)
    finally:
        second.terminate()
        second.wait(timeout=10)
    log = (await client.get(f"/v1/webhooks/{hook['id']}/deliveries", params={"limit": 100})).json()[
        "data"
    ]
    assert len(log) == 30
