"""The SDK against the real app: ``AsyncRoster`` through httpx's ASGI transport, and
``Roster`` against a live server (uvicorn in a thread, on the test's database)."""

from __future__ import annotations

import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from roster.app import create_app
from roster.config import Settings
from roster_client import AsyncRoster, Retries
from tests.cli.test_serve import free_port
from tests.conftest import Env
from tests.webhooks.conftest import private_ok

BASE = "http://roster.test"


async def no_wait(seconds: float) -> None:
    """A retry's pause, skipped: what is tested is that it retries, not how long."""


def sdk_for(app: FastAPI, key: str, **options: Any) -> AsyncRoster:
    options.setdefault("sleep", no_wait)
    transport = options.pop("transport", None) or httpx.ASGITransport(app=app)
    return AsyncRoster(BASE, key, transport=transport, **options)


@pytest.fixture
async def key(env: Env) -> str:
    _, created = await env.tenant()
    return created


@pytest.fixture
async def roster(env: Env, key: str) -> AsyncIterator[AsyncRoster]:
    async with sdk_for(env.app, key, retries=Retries(max_retries=2)) as client:
        yield client


@contextmanager
def live_server(env: Env, **overrides: Any) -> Iterator[str]:
    """A real HTTP server (uvicorn, its own thread and event loop) on ``env``'s database;
    its URL. Its embedded worker runs jobs."""
    values: dict[str, Any] = {
        "database_url": env.settings.database_url,
        "data_dir": env.settings.data_dir,
        "embedded_relay": False,
        "embedded_worker": True,
        **overrides,
    }
    app = create_app(Settings(_env_file=None, **values))  # type: ignore[call-arg]
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, name="sdk-live-server", daemon=True)
    thread.start()
    for _ in range(600):
        if server.started or not thread.is_alive():
            break
        time.sleep(0.05)
    assert server.started, "the server did not start"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)


__all__ = ["private_ok"]
