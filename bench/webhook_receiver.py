"""A webhook receiver for benchmarks, run as its own process: answers at once (or hangs on
/hang), and reports what arrived and when at GET /stats (how many on one path at GET /count)."""

from __future__ import annotations

import asyncio
import sys
import time

from aiohttp import web

arrivals: dict[str, float] = {}
counts: dict[str, int] = {}


async def receive(request: web.Request) -> web.Response:
    await request.read()
    now = time.time()
    counts[request.path] = counts.get(request.path, 0) + 1
    arrivals.setdefault(request.headers.get("webhook-id", ""), now)
    if request.path == "/hang":
        await asyncio.sleep(3600)
    return web.Response(text="ok")


async def stats(_: web.Request) -> web.Response:
    return web.json_response({"counts": counts, "arrivals": arrivals})


async def count(request: web.Request) -> web.Response:
    """How many arrived on one path: what the benchmark polls while it measures, so that
    polling costs the same small amount whatever has arrived (not a growing JSON document)."""
    return web.Response(text=str(counts.get(request.query.get("path", ""), 0)))


async def reset(_: web.Request) -> web.Response:
    arrivals.clear()
    counts.clear()
    return web.json_response({})


def main() -> None:
    app = web.Application()
    app.router.add_get("/stats", stats)
    app.router.add_get("/count", count)
    app.router.add_post("/reset", reset)
    app.router.add_post("/{tail:.*}", receive)
    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
