"""A hung database: it accepts connections and reads what it is sent but never answers.

A TCP proxy in front of PostgreSQL plays the hung server when switched to "black hole":
requests are answered 503 with Retry-After within the engine's bounds (connect, pool and
ping timeouts), and once the proxy forwards again the same app serves without a restart.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from urllib.parse import urlsplit

import pytest

from tests.conftest import Env
from tests.helpers.apps import app_with, client_for


class BlackHoleProxy:
    """Forwards 127.0.0.1:<port> to the database until switched to swallowing everything."""

    def __init__(self, host: str, port: int) -> None:
        self.target = (host, port)
        self.black_hole = False
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> BlackHoleProxy:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: object) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(coro)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.black_hole:
            # Accept, read and drop: the client waits for an answer that never comes.
            await self._drain(reader)
            writer.close()
            return
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self._spawn(self._pipe(reader, up_writer))
        await self._pipe(up_reader, writer)

    async def _drain(self, reader: asyncio.StreamReader) -> None:
        while await reader.read(65536):
            pass

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if not self.black_hole:
                    writer.write(data)
                    await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()


async def test_hung_database_is_503_then_recovers(env: Env) -> None:
    if env.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite has no server to hang")
    _, key = await env.tenant()
    url = urlsplit(env.settings.url)
    async with BlackHoleProxy(url.hostname or "127.0.0.1", url.port or 5432) as proxy:
        through_proxy = url._replace(netloc=f"{url.username}@127.0.0.1:{proxy.port}").geturl()
        async with (
            app_with(env, database_url=through_proxy) as app,
            client_for(app, key) as http,
        ):
            # A warm pool of live connections, and a contact read by id, whose read takes a
            # pooled connection without the liveness ping once it has run (kit.db.single_read).
            made = await http.post("/v1/contacts", json={"email": f"{uuid.uuid4().hex}@ex.com"})
            assert made.status_code == 201
            by_id = f"/v1/contacts/{made.json()['id']}"
            warm = await asyncio.gather(
                *(http.get("/v1/contacts") for _ in range(4)), http.get(by_id), http.get(by_id)
            )
            assert [r.status_code for r in warm] == [200] * 6

            proxy.black_hole = True
            for _ in range(2):  # pooled connections first, then fresh ones
                # The read by id alone first, so that it takes a pooled connection (in the
                # first round): its read is bounded like the ping (1 s), then tried again on
                # a pinged connection. A guard against hanging, not a measurement: without
                # the bound it would wait for the statement timeout (11 s).
                started = time.monotonic()
                alone = await http.get(by_id)
                assert time.monotonic() - started < 6
                started = time.monotonic()
                hung = await asyncio.gather(
                    http.get("/v1/contacts"),
                    http.post("/v1/contacts", json={"email": f"{uuid.uuid4().hex}@example.com"}),
                    http.get("/readyz"),
                    *(http.get("/v1/contacts") for _ in range(3)),
                    http.get(by_id),
                )
                # The engine's bounds are 2 s (pool) + 1 s (ping) + 2 s (connect).
                assert time.monotonic() - started < 8
                for r in [alone, *hung]:
                    assert r.status_code == 503, r.text
                    assert r.headers["content-type"] == "application/problem+json"
                    assert r.json()["code"] == "unavailable"
                    assert int(r.headers["retry-after"]) >= 1
                assert (await http.get("/healthz")).status_code == 200

            proxy.black_hole = False
            made = await http.post(
                "/v1/contacts", json={"email": f"{uuid.uuid4().hex}@example.com"}
            )
            assert made.status_code == 201, made.text
            again = await asyncio.gather(
                *(http.get("/v1/contacts") for _ in range(6)), http.get(by_id), http.get(by_id)
            )
            assert [r.status_code for r in again] == [200] * 8
