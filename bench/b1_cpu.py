"""B1 in-process: CPU time per GET /v1/contacts/{id}, Roster against the raw app.

    python -m bench.b1_cpu [--engine sqlite|postgresql] [--size 100000] [--requests 3000]

Each app is driven straight through ASGI (no HTTP server, no load generator), the requests
``--concurrency`` at a time, in this process, and its CPU time (``time.process_time``) per
request is printed beside the raw app's, the two run alternately ``--rounds`` times. CPU per
request moves much less with a shared machine's load than req/s does, so this is the figure
to compare commits by; ``python -m bench B1`` gives the served req/s and latency. On
PostgreSQL the database server's own CPU is not counted (it is the same SQL for both).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
from typing import Any

import uvloop

from bench.__main__ import sample_ids
from bench.setup import prepare


async def _lifespan(app: Any) -> tuple[asyncio.Queue[dict[str, str]], asyncio.Task[None]]:
    inbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    await inbox.put({"type": "lifespan.startup"})
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    return inbox, task


async def measure(kind: str, url: str, key: str, ids: list[str], n: int, conc: int) -> float:
    os.environ["ROSTER_DATABASE_URL"] = url
    os.environ["RAW_DB_URL"] = url
    os.environ.setdefault("ROSTER_RATE_LIMIT", "1000000/second")
    if kind == "raw":
        from bench import raw_app

        app: Any = raw_app.app
    else:
        from roster.app import create_app

        app = create_app()
    inbox, task = await _lifespan(app)
    headers = [(b"host", b"bench"), (b"authorization", b"Bearer " + key.encode())]
    rng = random.Random(1)

    async def call(path: str) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 1),
            "server": ("127.0.0.1", 80),
        }
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app(scope, receive, send)
        assert sent[0]["status"] == 200, sent

    async def worker(count: int) -> None:
        for _ in range(count):
            await call(f"/v1/contacts/{rng.choice(ids)}")

    await asyncio.gather(*(worker(50) for _ in range(conc)))  # warm-up
    started = time.process_time()
    await asyncio.gather(*(worker(n // conc) for _ in range(conc)))
    cpu = time.process_time() - started
    await inbox.put({"type": "lifespan.shutdown"})
    await task
    if kind == "raw":
        await raw_app.db.close()
    return cpu * 1e6 / (n // conc * conc)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    db = await prepare(args.engine, args.size)
    ids = await sample_ids(db, 5000)
    for _ in range(args.rounds):
        figures = {
            kind: await measure(kind, db.url, db.key, ids, args.requests, args.concurrency)
            for kind in ("roster", "raw")
        }
        line = {
            "scenario": "B1-cpu",
            "engine": args.engine,
            "size": args.size,
            "ours_cpu_us_per_req": round(figures["roster"], 1),
            "baseline_cpu_us_per_req": round(figures["raw"], 1),
            "ratio": round(figures["raw"] / figures["roster"], 3),
            "load_average": round(os.getloadavg()[0], 2),
        }
        print(json.dumps(line), flush=True)


if __name__ == "__main__":
    uvloop.run(main())
