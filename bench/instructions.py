"""Work per request, counted in machine instructions: a figure the machine's load does not move.

    python -m bench.instructions [--small] [--engine sqlite|postgresql] [--kind list|post]
                                 [--requests 40]

Runs the app in a process of its own under valgrind's callgrind, with a client in the same
process (httpx over ASGI), against the bench database (``python -m bench`` builds it). After
30 requests to warm it up, callgrind counts the instructions of the next ``--requests``
(``callgrind_control`` switches the count on and off), every thread of the process included:
on SQLite that is the database's work too; on PostgreSQL the server's work is left out. Needs
``apt-get install valgrind``. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.__main__ import emit
from bench.setup import prepare

WARM_UP = 30


def _request(kind: str) -> tuple[str, str, dict[str, Any] | None]:
    if kind == "list":
        return "GET", "/v1/contacts?limit=50", None
    body = {
        "email": f"i{uuid.uuid4().hex}@bench.example",
        "first_name": "Bench",
        "last_name": "Writer",
        "tags": ["promo-eu", "vip-us"],
        "custom_fields": {"plan": "pro"},
    }
    return "POST", "/v1/contacts", body


def _until(path: Path) -> None:
    while not path.exists():
        time.sleep(0.05)


async def _child(url: str, key: str, kind: str, requests: int, signals: Path) -> None:
    """The measured process: warm up, say so, wait for the count to start, run, say so."""
    from roster.app import create_app
    from roster.config import Settings

    app = create_app(Settings(database_url=url, rate_limit="1000000000/minute"))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            headers = {"Authorization": f"Bearer {key}"}

            async def one() -> None:
                method, path, body = _request(kind)
                response = await http.request(method, path, headers=headers, json=body)
                assert response.status_code in (200, 201), response.text

            for _ in range(WARM_UP):
                await one()
            (signals / "ready").touch()
            await asyncio.to_thread(_until, signals / "go")
            for _ in range(requests):
                await one()
            (signals / "done").touch()
            await asyncio.to_thread(_until, signals / "exit")


def _wait(path: Path, proc: subprocess.Popen[bytes]) -> None:
    while not path.exists():
        if proc.poll() is not None:
            raise SystemExit(f"the measured process ended early ({proc.returncode})")
        time.sleep(0.2)


def _control(*args: str) -> None:
    subprocess.run(["callgrind_control", *args], check=True, capture_output=True)


def measure(url: str, key: str, kind: str, requests: int) -> int:
    """Instructions of ``requests`` requests, counted by callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        signals = Path(tmp)
        command = [
            "valgrind",
            "--tool=callgrind",
            "--instr-atstart=no",
            f"--callgrind-out-file={tmp}/out.%p",
            sys.executable,
            "-m",
            "bench.instructions",
            "--child",
            url,
            key,
            kind,
            str(requests),
            tmp,
        ]
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait(signals / "ready", proc)
            pid = str(proc.pid)
            _control("-i", "on", pid)
            _control("-z", pid)
            (signals / "go").touch()
            _wait(signals / "done", proc)
            _control("-d", pid)
            _control("-i", "off", pid)
            (signals / "exit").touch()
            proc.wait(120)
        finally:
            if proc.poll() is None:
                proc.kill()
        total = 0
        for dump in signals.glob("out.*.1"):
            for line in dump.read_text().splitlines():
                if line.startswith(("summary:", "totals:")):
                    total += int(line.split()[1])
                    break
        return total


async def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        url, key, kind, requests, signals = sys.argv[2:7]
        await _child(url, key, kind, int(requests), Path(signals))
        return
    parser = argparse.ArgumentParser(prog="python -m bench.instructions")
    parser.add_argument("--small", action="store_true", help="100k contacts per tenant")
    parser.add_argument("--engine", choices=["sqlite", "postgresql"], default="postgresql")
    parser.add_argument("--kind", choices=["list", "post"], default="list")
    parser.add_argument("--requests", type=int, default=40)
    args = parser.parse_args()
    db = await prepare(args.engine, 100_000 if args.small else 1_000_000)
    # Writes go to the third tenant, as B2's do, so the measured one stays as B1/B3 read it.
    key = db.key if args.kind == "list" else db.write_key
    total = measure(db.url, key, args.kind, args.requests)
    emit(
        {
            "scenario": "instructions",
            "engine": args.engine,
            "size": db.size,
            "what": "GET /v1/contacts?limit=50" if args.kind == "list" else "POST /v1/contacts",
            "requests": args.requests,
            "instructions_per_request": total // args.requests,
        }
    )


if __name__ == "__main__":
    asyncio.run(main())
