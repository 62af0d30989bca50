"""A second app on the same database with other settings, and a client for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI

from roster.app import create_app
from roster.config import Settings
from tests.conftest import Env


@asynccontextmanager
async def app_with(env: Env, **overrides: Any) -> AsyncIterator[FastAPI]:
    """An app on ``env``'s database with some settings changed, started and stopped."""
    values: dict[str, Any] = {
        "database_url": env.settings.database_url,
        "data_dir": env.settings.data_dir,
        "embedded_relay": False,
        "embedded_worker": False,
        **overrides,
    }
    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


def client_for(
    app: FastAPI,
    token: str | None = None,
    *,
    raise_app_exceptions: bool = False,
    address: str = "127.0.0.1",
    **headers: str,
) -> httpx.AsyncClient:
    """``raise_app_exceptions``: an error the app raises, even after its response, fails the
    request in the test instead of being dropped. ``address``: the client's, as the server
    would put it in the ASGI scope."""
    if token:
        headers["Authorization"] = f"Bearer {token}"
    transport = httpx.ASGITransport(
        app=app, raise_app_exceptions=raise_app_exceptions, client=(address, 40000)
    )
    return httpx.AsyncClient(transport=transport, base_url="http://roster.test", headers=headers)
