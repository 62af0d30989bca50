"""Start Roster or the raw baseline app under uvicorn in a child process, and drive wrk."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UVICORN = [
    sys.executable,
    "-m",
    "uvicorn",
    "--host",
    "127.0.0.1",
    "--no-access-log",
    "--log-level",
    "warning",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


_PIDS: dict[str, int] = {}


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU the process has used so far (all its threads); with ``children``,
    that of its exited children it has waited for too."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[11]) + int(fields[12])
    if children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    """A memory figure of the process, from /proc (``VmRSS``, ``VmHWM``, ``RssAnon``, …)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


@contextmanager
def server(kind: str, url: str) -> Iterator[str]:
    """``kind`` "roster", "edge-off" (Roster without auth and rate limits, bench only) or
    "raw", serving the database at the SQLAlchemy ``url``."""
    port = _free_port()
    env = dict(os.environ)
    if kind in ("roster", "edge-off"):
        factory = "roster.app:create_app" if kind == "roster" else "bench.edge_off:create_app"
        args = [*UVICORN, "--port", str(port), "--factory", factory]
        env["ROSTER_DATABASE_URL"] = url
        # Rate limits are checked on every request but never refuse one: a refused request
        # is cheaper than a served one and would flatter the figure.
        env.setdefault("ROSTER_RATE_LIMIT", "1000000/second")
    else:
        args = [*UVICORN, "--port", str(port), "bench.raw_app:app"]
        env["RAW_DB_URL"] = url
    proc = subprocess.Popen(args, cwd=ROOT, env=env)
    _PIDS[f"http://127.0.0.1:{port}"] = proc.pid
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError(f"{kind} server did not start") from None
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


LUA = """
local paths = {}
local bodies = {}
local method = "%(method)s"
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
wrk.headers["Authorization"] = "Bearer %(key)s"
wrk.headers["Content-Type"] = "application/json"
local n = 0
math.randomseed(%(seed)d)
request = function()
  n = n + 1
  local path = paths[math.random(#paths)]
  local body = nil
  if method == "POST" then
    body = string.format('{"email": "w%%d-%%d-%%d@bench.example", "first_name": "Bench", ' ..
      '"last_name": "Writer", "tags": ["promo-eu", "vip-us"], "custom_fields": {"plan": "pro"}}',
      %(seed)d, n, math.random(1000000000))
  elseif method == "PATCH" then
    body = string.format('{"company": "Patched %%d", "custom_fields": {"seats": %%d}}', n, n)
  end
  return wrk.format(method, path, nil, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, ' ..
    '"p99_us": %%d, "errors": %%d, "non2xx": %%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout,
    e.status))
end
"""


def wrk(
    base: str, key: str, method: str, paths: list[str], seconds: int, conns: int, seed: int = 1
) -> dict[str, float]:
    """Run wrk against ``base`` for ``seconds``; req/s and latency percentiles."""
    with tempfile.TemporaryDirectory() as tmp:
        path_file = Path(tmp) / "paths.txt"
        path_file.write_text("\n".join(paths) + "\n")
        script = Path(tmp) / "script.lua"
        script.write_text(LUA % {"paths": path_file, "key": key, "method": method, "seed": seed})
        pid = _PIDS.get(base)
        cpu_before = cpu_seconds(pid) if pid else 0.0
        out = subprocess.run(
            ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "-s", str(script), base],
            capture_output=True,
            text=True,
            check=True,
            timeout=seconds + 60,
        ).stdout
        cpu = cpu_seconds(pid) - cpu_before if pid else 0.0
    line = next(x for x in out.splitlines() if x.startswith("RESULT "))
    raw = json.loads(line.removeprefix("RESULT "))
    return {
        # The server process's CPU per answered request: steadier than req/s on a shared
        # machine, and the figure B1's Python work shows up in.
        "cpu_us": round(cpu * 1e6 / raw["requests"], 1) if raw["requests"] else 0.0,
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "requests": raw["requests"],
        "errors": raw["errors"],
        "non2xx": raw["non2xx"],
    }
