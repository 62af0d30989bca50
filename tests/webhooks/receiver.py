"""A real local HTTP server that receives webhooks and answers as a test tells it to."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def event(self) -> dict[str, Any]:
        import json

        return json.loads(self.body)


@dataclass
class Receiver:
    """``answer(request_number, received) -> (status, headers, delay)`` decides each reply."""

    answer: Callable[[int, Received], tuple[int, dict[str, str], float]] = lambda n, r: (
        200,
        {},
        0.0,
    )
    received: list[Received] = field(default_factory=list)
    runner: web.AppRunner | None = None
    port: int = 0

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def start(self) -> Receiver:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        if self.runner:
            await self.runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        got = Received(request.path, dict(request.headers), await request.read(), time.time())
        self.received.append(got)
        status, headers, delay = self.answer(len(self.received), got)
        if delay:
            await asyncio.sleep(delay)
        return web.Response(status=status, headers=headers, text="ok")

    async def wait_for(self, count: int, relay: Any = None, within: float = 20.0) -> None:
        """Drive the relay (when given) until ``count`` requests arrived."""
        deadline = time.monotonic() + within
        while len(self.received) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"received {len(self.received)} of {count}")
            if relay is not None:
                await relay.tick()
            await asyncio.sleep(0.02)
