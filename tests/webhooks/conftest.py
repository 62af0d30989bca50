from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from roster.webhooks.relay import Relay
from tests.webhooks.receiver import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    r = await Receiver().start()
    yield r
    await r.stop()


@pytest.fixture
def private_ok(env):
    """Let this test register loopback URLs (the receiver runs on 127.0.0.1)."""
    env.settings.webhooks_allow_private = True
    yield
    env.settings.webhooks_allow_private = False


def relay_for(env, **overrides) -> Relay:
    settings = env.settings.model_copy(
        update={
            "webhooks_allow_private": True,
            "webhook_retry_schedule": "0.2,0.4,0.6",
            "webhook_timeout": 3.0,
            **overrides,
        }
    )
    return Relay(env.app.state.engine, settings)


async def register(client, receiver, events=("*",), path="/hook"):
    """A webhook endpoint on the local receiver (201 checked); its body, secret included."""
    r = await client.post("/v1/webhooks", json={"url": receiver.url(path), "events": list(events)})
    assert r.status_code == 201, r.text
    return r.json()
