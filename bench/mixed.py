"""B9: a mixed load, 80 % reads and 20 % writes, for minutes on end.

What it checks is that the service holds up over time, not how fast it is: no errors
(other than 429), the server's memory does not grow, and the latency of the last minute is
that of the first. There is no baseline; the figures are the first and last minute of the
same run. Memory is judged on the server's own resident memory (``RssAnon``); its whole RSS
is printed beside it (on SQLite it also holds the database file's pages it has read through
its memory map).

Choose ``--rate`` below what the server can serve with this mix (on 2 cores at 1M about
100 requests/s on SQLite, many more on PostgreSQL): past it, requests queue and time out,
and the run measures the queue.

The load is open: requests are sent at a fixed rate (``--rate``) whatever the answers
take, and each one's latency is counted from when it was due, so a server that falls behind
shows it in the percentiles instead of slowing the client down. Reads go to the measured
tenant (its 1M or 100k contacts); writes go to the bench's writes tenant, so that the data
B1 and B3 read stays as loaded:

=====  ============================================================================
share  request
=====  ============================================================================
40 %   ``GET /v1/contacts/{id}``, a random contact
15 %   ``GET /v1/contacts?tag=…`` (one of the 200 tags), first page
10 %   ``GET /v1/contacts?q=…`` (a name fragment)
 5 %   ``GET /v1/contacts?status=…&sort=name``
 5 %   ``GET /v1/contacts/lookup?email=…``
 5 %   ``GET /v1/contacts/{id}`` of a contact this run created (read after write)
 8 %   ``POST /v1/contacts``
 7 %   ``PATCH /v1/contacts/{id}`` of a contact this run created
 3 %   ``POST /v1/contacts/batch`` of 20 upserts
 2 %   ``DELETE /v1/contacts/{id}`` (archive) of a contact this run created
=====  ============================================================================
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections import Counter, defaultdict, deque
from typing import Any

import aiohttp
import orjson
from sqlalchemy import text

from bench import servers
from bench.generate import FIRST, LAST, STATUSES, TAGS
from bench.setup import BenchDB
from roster.kit.db import create_engine, transaction

WARM_UP = 15.0
RSS_EVERY = 5.0
RETIRE = 10.0
# Connections the client keeps open at most; requests beyond them wait in the client, and
# their wait counts in their latency.
CONNECTIONS = 64
# The targets (BENCHMARKS.md, B9).
RSS_GROWTH = 0.10
P99_GROWTH = 1.2


def _rss_mb(pid: int) -> tuple[float, float]:
    """The process's resident memory and the part of it that is its own (``RssAnon``):
    without the file pages it maps (SQLite reads its file through a memory map, whose
    pages are the OS's page cache and grow as more of the file is read)."""
    return servers.rss_kb(pid) / 1024, servers.rss_kb(pid, "RssAnon") / 1024


def _p(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Load:
    """The requests of one run, drawn from a seeded generator."""

    def __init__(self, ids: list[str], emails: list[str], seed: int = 9):
        self.rnd = random.Random(seed)
        self.ids = ids
        self.emails = emails
        self.created: list[str] = []  # live contacts this run created (writes tenant)
        # Contacts taken out of ``created`` to be archived once the requests that may still
        # be reading or changing them are done (RETIRE seconds later).
        self.retired: deque[tuple[float, str]] = deque()
        self.n = 0
        kinds: list[tuple[str, int]] = [
            ("get", 40),
            ("tag", 15),
            ("q", 10),
            ("status", 5),
            ("lookup", 5),
            ("get_own", 5),
            ("create", 8),
            ("patch", 7),
            ("batch", 3),
            ("archive", 2),
        ]
        self.kinds = [k for k, _ in kinds]
        self.weights = [w for _, w in kinds]

    def _person(self) -> dict[str, Any]:
        self.n += 1
        first, last = self.rnd.choice(FIRST), self.rnd.choice(LAST)
        return {
            "first_name": first,
            "last_name": last,
            "email": f"b9-{uuid.uuid4().hex[:12]}@bench.example",
            "tags": self.rnd.sample(TAGS, self.rnd.randint(0, 3)),
            "custom_fields": {"plan": self.rnd.choice(["free", "pro"]), "seats": self.n},
        }

    def next(self) -> tuple[str, str, str, Any]:
        """(kind, method, path, body); the writes tenant's kinds fall back to a create
        until this run has created contacts to read, change and archive."""
        rnd = self.rnd
        kind = rnd.choices(self.kinds, self.weights)[0]
        if kind in ("get_own", "patch", "archive") and len(self.created) < 50:
            kind = "create"
        if kind == "get":
            return kind, "GET", f"/v1/contacts/{rnd.choice(self.ids)}", None
        if kind == "tag":
            return kind, "GET", f"/v1/contacts?tag={rnd.choice(TAGS)}&limit=50", None
        if kind == "q":
            name = rnd.choice(LAST)
            start = rnd.randrange(max(1, len(name) - 3))
            return kind, "GET", f"/v1/contacts?q={name[start : start + 4]}&limit=50", None
        if kind == "status":
            status = rnd.choice(STATUSES)
            return kind, "GET", f"/v1/contacts?status={status}&sort=name&limit=50", None
        if kind == "lookup":
            return kind, "GET", f"/v1/contacts/lookup?email={rnd.choice(self.emails)}", None
        if kind == "get_own":
            return kind, "GET", f"/v1/contacts/{rnd.choice(self.created)}", None
        if kind == "create":
            return kind, "POST", "/v1/contacts", self._person()
        if kind == "patch":
            body = {"company": f"Changed {self.n}", "custom_fields": {"score": rnd.random()}}
            self.n += 1
            return kind, "PATCH", f"/v1/contacts/{rnd.choice(self.created)}", body
        if kind == "batch":
            items = [self._person() for _ in range(20)]
            return kind, "POST", "/v1/contacts/batch", {"mode": "upsert", "contacts": items}
        # archive: taken out of the pool now, archived once nothing else can be reading or
        # changing it (a request sent before would otherwise meet a 404).
        now = time.perf_counter()
        self.retired.append((now, self.created.pop(rnd.randrange(len(self.created)))))
        if self.retired[0][0] > now - RETIRE:
            return "create", "POST", "/v1/contacts", self._person()
        return kind, "DELETE", f"/v1/contacts/{self.retired.popleft()[1]}", None


async def sample_emails(db: BenchDB, n: int = 20000) -> list[str]:
    engine = create_engine(db.url)
    tenant = db.tenant_id if db.engine_name == "postgresql" else db.tenant_id.hex
    async with transaction(engine, write=False) as conn:
        rows = await conn.execute(
            text(
                "SELECT email FROM contacts WHERE tenant_id = :t AND email IS NOT NULL "
                "AND deleted_at IS NULL LIMIT :n"
            ),
            {"t": tenant, "n": n},
        )
        emails = [r[0] for r in rows]
    await engine.dispose()
    return emails


async def run(db: BenchDB, ids: list[str], seconds: int, rate: float) -> list[dict[str, Any]]:
    """The run's figures: one per minute, then the summary against the targets."""
    if seconds < 120:
        raise ValueError("B9 compares its first and last minute: run it for 120 s or more")
    load = Load(ids, await sample_emails(db))
    # minute → latencies (ms); minute → status counts; minute → RSS samples
    latencies: dict[int, list[float]] = defaultdict(list)
    statuses: dict[int, Counter[str]] = defaultdict(Counter)
    rss: dict[int, list[tuple[float, float]]] = defaultdict(list)  # (all, own) MB
    failures: Counter[str] = Counter()
    by_kind: dict[str, list[float]] = defaultdict(list)  # kind → latencies (ms), measured
    with servers.server("roster", db.url) as base:
        pid = servers._PIDS[base]
        # aiohttp: httpx's client costs more CPU per request than this rate leaves on 2
        # cores, and a client that falls behind measures itself.
        session = aiohttp.ClientSession(
            base,
            connector=aiohttp.TCPConnector(limit=CONNECTIONS),
            timeout=aiohttp.ClientTimeout(total=30),
        )
        auth = {
            "reads": {"Authorization": f"Bearer {db.key}"},
            "writes": {"Authorization": f"Bearer {db.write_key}"},
        }
        started = time.perf_counter()
        end = started + WARM_UP + seconds
        tasks: set[asyncio.Task[None]] = set()

        def minute_of(at: float) -> int:
            """-1 in the warm-up, then 0, 1, … for each measured minute."""
            return -1 if at < started + WARM_UP else int((at - started - WARM_UP) // 60)

        async def one(due: float, kind: str, method: str, path: str, body: Any) -> None:
            headers = auth["reads" if method == "GET" and kind != "get_own" else "writes"]
            try:
                async with session.request(method, path, json=body, headers=headers) as r:
                    status = str(r.status)
                    data = await r.read()
                if kind == "create" and r.status == 201:
                    load.created.append(orjson.loads(data)["id"])
                if kind == "batch" and r.status == 200 and orjson.loads(data)["failed"]:
                    failures[f"batch items failed: {data[:120]!r}"] += 1
                if r.status >= 400 and r.status != 429:
                    failures[f"{kind} {status}: {data[:120]!r}"] += 1
            except (aiohttp.ClientError, TimeoutError) as exc:
                status = type(exc).__name__
                failures[f"{kind} {status}"] += 1
            minute = minute_of(due)
            took = (time.perf_counter() - due) * 1000
            latencies[minute].append(took)
            statuses[minute][status] += 1
            if minute >= 0:
                by_kind[kind].append(took)

        async def sample_rss() -> None:
            while time.perf_counter() < end:
                rss[minute_of(time.perf_counter())].append(_rss_mb(pid))
                await asyncio.sleep(RSS_EVERY)

        client_cpu = time.process_time()
        sampler = asyncio.ensure_future(sample_rss())
        interval = 1.0 / rate
        due = started
        while due < end:
            now = time.perf_counter()
            if due > now:
                await asyncio.sleep(due - now)
            task = asyncio.ensure_future(one(due, *load.next()))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            due += interval
        await asyncio.gather(*tasks)
        await sampler
        await session.close()
        client_cpu = time.process_time() - client_cpu
        elapsed = time.perf_counter() - started
    figures: list[dict[str, Any]] = []
    minutes = sorted(m for m in latencies if m >= 0 and m < seconds // 60)
    for m in minutes:
        counts = statuses[m]
        figures.append(
            {
                "scenario": "B9",
                "figure": "minute",
                "minute": m + 1,
                "requests": sum(counts.values()),
                "p50_ms": round(_p(latencies[m], 0.50), 1),
                "p99_ms": round(_p(latencies[m], 0.99), 1),
                "rss_mb": round(sum(r[0] for r in rss[m]) / len(rss[m]), 1),
                "own_rss_mb": round(sum(r[1] for r in rss[m]) / len(rss[m]), 1),
                "statuses": dict(sorted(counts.items())),
            }
        )
    first, last = figures[0], figures[-1]
    growth = last["own_rss_mb"] / first["own_rss_mb"] - 1
    errors = sum(failures.values())
    figures.append(
        {
            "scenario": "B9",
            "figure": "summary",
            "engine": db.engine_name,
            "size": db.size,
            "rate_per_s": rate,
            "minutes": len(minutes),
            "requests": sum(sum(c.values()) for c in statuses.values()),
            "errors_other_than_429": errors,
            "rss_first_minute_mb": first["rss_mb"],
            "rss_last_minute_mb": last["rss_mb"],
            # The target is read on the process's own memory, where a leak would show.
            "own_rss_first_minute_mb": first["own_rss_mb"],
            "own_rss_last_minute_mb": last["own_rss_mb"],
            "own_rss_growth": round(growth, 3),
            "p99_first_minute_ms": first["p99_ms"],
            "p99_last_minute_ms": last["p99_ms"],
            "p99_last_over_first": round(last["p99_ms"] / first["p99_ms"], 3),
            "met": errors == 0
            and growth < RSS_GROWTH
            and last["p99_ms"] <= P99_GROWTH * first["p99_ms"],
            "first_failures": dict(failures.most_common(5)),
            "p99_ms_by_request": {k: round(_p(v, 0.99), 1) for k, v in sorted(by_kind.items())},
            # Near one core, the client itself was the bound: the figures measure it too.
            "client_cpu_share": round(client_cpu / elapsed, 2),
        }
    )
    return figures
