"""B7: webhook delivery rate, enqueue-to-delivery latency, and the cost of a hanging endpoint.

    python -m bench.webhooks [--engine postgresql|sqlite] [--events 100000]

Each figure is printed as one JSON line beside its same-run baseline: a bare aiohttp sender
that signs and posts the same payloads at the same concurrency, with no database.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import resource
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
from sqlalchemy import event, insert

from roster.config import Settings
from roster.events.outbox import emit_many
from roster.kit.db import create_engine, transaction
from roster.kit.heap import freeze_heap
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow
from roster.migrate import upgrade
from roster.models import events
from roster.tenants import service as tenants
from roster.webhooks import sender
from roster.webhooks.relay import Relay
from roster.webhooks.service import create as create_webhook
from roster.webhooks.service import update as update_webhook

PG_ADMIN = os.environ.get(
    "ROSTER_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CONCURRENCY = 64
WRITERS = 16  # transactions the latency phase's writer has in flight at once


def emit_line(**figure: Any) -> None:
    print(json.dumps({"scenario": "B7", **figure}), flush=True)


def p99(ordered: list[float]) -> float:
    """The 99th percentile of sorted latencies (ms, to 0.1), the latency phase's figure."""
    return round(ordered[int(len(ordered) * 0.99) - 1], 1)


def cpu_seconds() -> float:
    """CPU time (user + system) of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def receiver_stats(base: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as http, http.get(f"{base}/stats") as r:
        return dict(await r.json())


async def receiver_reset(base: str) -> None:
    async with aiohttp.ClientSession() as http, http.post(f"{base}/reset") as r:
        await r.read()


async def wait_count(base: str, path: str, count: int, limit: float = 600) -> None:
    """Poll the receiver's count of one path (a few bytes, one session), not its stats: the
    stats hold every arrival, and parsing them 20 times a second took CPU from the relay."""
    deadline = time.monotonic() + limit
    async with aiohttp.ClientSession() as http:
        while True:
            async with http.get(f"{base}/count", params={"path": path}) as r:
                if int(await r.text()) >= count:
                    return
            if time.monotonic() > deadline:
                raise SystemExit(f"receiver got too few on {path}")
            await asyncio.sleep(0.05)


class StatementTimings:
    """Wall time per statement text (first 70 characters), from cursor execute to result:
    round trip and server time together, as the relay waits for them."""

    def __init__(self, engine: Any) -> None:
        self.totals: dict[str, list[float]] = {}
        self.started: dict[int, float] = {}
        event.listen(engine.sync_engine, "before_cursor_execute", self.before)
        event.listen(engine.sync_engine, "after_cursor_execute", self.after)

    def before(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        self.started[id(cursor)] = time.perf_counter()

    def after(self, conn: Any, cursor: Any, statement: str, *_: Any) -> None:
        begun = self.started.pop(id(cursor), None)
        if begun is None:
            return
        key = " ".join(statement.split())[:70]
        entry = self.totals.setdefault(key, [0, 0.0, 0.0])
        elapsed = time.perf_counter() - begun
        entry[0] += 1
        entry[1] += elapsed
        entry[2] = max(entry[2], elapsed)

    def report(self, phase: str) -> None:
        print(f"statements of the {phase} phase:", file=sys.stderr)
        rows = sorted(self.totals.items(), key=lambda kv: -kv[1][1])
        self.totals = {}
        for key, (count, total, worst) in rows[:15]:
            print(
                f"{count:7d} calls {total:8.2f} s total {total / count * 1000:8.2f} ms mean "
                f"{worst * 1000:8.1f} ms max  {key}",
                file=sys.stderr,
            )


def payloads(n: int) -> list[tuple[str, bytes]]:
    body = {
        "type": "contact.updated",
        "created_at": "2026-11-23T00:00:00.000Z",
        "data": {
            "contact": {
                "id": str(uuid.uuid4()),
                "phone": "+14155550100",
                "tags": ["vip"],
                "version": 2,
            },
            "changed_fields": ["tags"],
        },
    }
    out = []
    for _ in range(n):
        message_id = "evt_" + uuid7().hex
        out.append((message_id, json.dumps({"id": message_id, **body}).encode()))
    return out


async def bare_sender(url: str, items: list[tuple[str, bytes]], secret: str) -> float:
    """The baseline: sign and post every payload at CONCURRENCY, nothing else."""
    gate = asyncio.Semaphore(CONCURRENCY)
    async with sender.make_session(
        allow_private=True, concurrency=CONCURRENCY, connect_timeout=5, timeout=30
    ) as session:

        async def one(message_id: str, body: bytes) -> None:
            async with gate:
                outcome = await sender.send(
                    session, url, [secret], message_id, body, allow_private=True
                )
                assert outcome.delivered, outcome

        started = time.perf_counter()
        await asyncio.gather(*(one(m, b) for m, b in items))
        return time.perf_counter() - started


async def prepare(
    engine_name: str, data_dir: Path, explain_ms: int | None = None
) -> tuple[str, Any]:
    if engine_name == "sqlite":
        path = data_dir / "b7.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return f"sqlite:///{path}", None
    name = os.environ.get("ROSTER_BENCH_DB") or f"roster_bench_b7_{os.getpid()}"
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    await admin.execute(f'CREATE DATABASE "{name}"')
    if explain_ms is not None:
        # Plans of slow statements, with their row counts and buffers, in the server's log.
        for setting, value in (
            ("session_preload_libraries", "auto_explain"),
            ("auto_explain.log_min_duration", str(explain_ms)),
            ("auto_explain.log_analyze", "on"),
            ("auto_explain.log_buffers", "on"),
        ):
            await admin.execute(f"ALTER DATABASE \"{name}\" SET {setting} = '{value}'")
    await admin.close()

    async def drop() -> None:
        conn = await asyncpg.connect(PG_ADMIN)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()

    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


async def emit_events(
    url: str, tenant: str, rate: int, seconds: float, out: str, per_contact: int = 1
) -> None:
    """The latency phase's writer, in its own process: commits ``rate`` events a second, 10 a
    transaction, up to ``WRITERS`` transactions at once (as the API's concurrent requests
    commit them while `roster worker` relays), each starting at its time on the schedule or
    as soon as a writer is free. Writes each event's enqueue time (taken before its commit)
    to ``out`` with the rate reached, from the first transaction to the last commit.

    Each run of ``per_contact`` events of a transaction is about one contact (1: every
    event about its own). Events about one contact are delivered to an endpoint one after
    another (per-contact order), so runs of them measure that chain, not the relay's delay."""
    engine = create_engine(url, pool_size=WRITERS)
    tenant_id = uuid.UUID(tenant)
    created: dict[str, float] = {}
    committed: dict[str, float] = {}
    per_batch = 10
    interval = per_batch / rate
    writers = asyncio.Semaphore(WRITERS)
    started = time.monotonic()

    async def batch(n: int) -> None:
        await asyncio.sleep(max(0.0, started + n * interval - time.monotonic()))
        async with writers:
            enqueued = time.time()
            async with transaction(engine, write=True) as conn:
                subjects = [uuid7() for _ in range(-(-per_batch // per_contact))]
                ids = await emit_many(
                    conn,
                    tenant_id,
                    [
                        ("contact.updated", {"contact": {"id": "x"}}, subjects[i // per_contact])
                        for i in range(per_batch)
                    ],
                )
            done = time.time()
            for event_id in ids:
                created["evt_" + event_id.hex] = enqueued
                committed["evt_" + event_id.hex] = done

    try:
        await asyncio.gather(*(batch(n) for n in range(int(seconds * rate / per_batch))))
        took = time.monotonic() - started
    finally:
        await engine.dispose()
    Path(out).write_text(
        json.dumps({"rate": len(created) / took, "created": created, "committed": committed})
    )


async def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "emit":
        url, tenant, rate, seconds, out, per_contact = sys.argv[2:8]
        await emit_events(url, tenant, int(rate), float(seconds), out, int(per_contact))
        return
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--latency-seconds", type=float, default=10.0)
    parser.add_argument(
        "--latency-rate",
        type=int,
        default=1000,
        help="events/s the latency phase commits (another process, 10 events a transaction)",
    )
    parser.add_argument(
        "--per-contact",
        type=int,
        default=1,
        choices=range(1, 11),
        metavar="1-10",
        help="events about one contact in each run of the latency phase's transactions "
        "(default 1: each event about its own contact; 10: all ten of a transaction, which "
        "per-contact order delivers one after another)",
    )
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the delivery-rate phase (to stderr)"
    )
    parser.add_argument("--skip-hang", action="store_true", help="stop before the hang figure")
    parser.add_argument(
        "--statements",
        action="store_true",
        help="time each statement of the delivery-rate phase by its text (to stderr)",
    )
    parser.add_argument(
        "--explain-slower-than",
        type=int,
        metavar="MS",
        help="PostgreSQL: auto_explain statements slower than MS (analyze, buffers) to its log",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database (PostgreSQL)")
    args = parser.parse_args()
    data_dir = Path("bench/data")
    data_dir.mkdir(parents=True, exist_ok=True)
    url, drop = await prepare(args.engine, data_dir, args.explain_slower_than)
    if args.keep:
        drop = None
    settings = Settings(
        database_url=url,
        data_dir=data_dir,
        webhooks_allow_private=True,
        webhook_concurrency=CONCURRENCY,
        # No per-endpoint limit below the relay's own: it claims up to four times
        # webhook_concurrency (twice the endpoint's cap per endpoint) and sends at most
        # webhook_concurrency at once.
        webhook_endpoint_concurrency=2 * CONCURRENCY,
        _env_file=None,
    )  # type: ignore[call-arg]
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-m", "bench.webhook_receiver", str(port)])
    base = f"http://127.0.0.1:{port}"
    engine = create_engine(settings.url, pool_size=20)
    try:
        await asyncio.sleep(1.0)
        await upgrade(engine)
        async with transaction(engine, write=True) as conn:
            tenant = await tenants.create_tenant(conn, "bench")
        from roster.auth.principal import Principal

        principal = Principal(
            tenant_id=tenant["id"], scopes=frozenset({"admin"}), credential_id=uuid7()
        )
        async with transaction(engine, write=True) as conn:
            hook = await create_webhook(
                conn, principal, {"url": f"{base}/fast", "events": ["*"]}, allow_private=True
            )
        n = args.events
        common = {"engine": args.engine, "events": n, "concurrency": CONCURRENCY}

        # Baseline: the bare sender.
        items = payloads(n)
        cpu = cpu_seconds()
        base_seconds = await bare_sender(f"{base}/base", items, hook["secret"])
        base_cpu = cpu_seconds() - cpu
        base_rate = n / base_seconds

        # Ours: the same number of committed events, relayed from the outbox.
        async with transaction(engine, write=True) as conn:
            now = utcnow()
            for start in range(0, n, 5000):
                await conn.execute(
                    insert(events),
                    [
                        {
                            "tenant_id": tenant["id"],
                            "id": uuid7(),
                            "type": "contact.updated",
                            "subject_id": uuid7(),
                            "created_at": now,
                            "data": json.loads(body)["data"],
                        }
                        for _, body in items[start : start + 5000]
                    ],
                )
        # As `roster relay` does once set up: full garbage collections no longer walk the
        # objects of a started process.
        freeze_heap()
        stop = asyncio.Event()
        profiler = cProfile.Profile() if args.profile else None
        timings = StatementTimings(engine) if args.statements else None
        async with Relay(engine, settings) as relay:
            started = time.perf_counter()
            cpu = cpu_seconds()
            if profiler:
                profiler.enable()
            runner = asyncio.create_task(relay.run(stop))
            await wait_count(base, "/fast", n)
            ours_seconds = time.perf_counter() - started
            ours_cpu = cpu_seconds() - cpu
            if timings:
                timings.report("delivery rate")
            if profiler:
                profiler.disable()
                stats = pstats.Stats(profiler, stream=sys.stderr)
                stats.sort_stats("tottime").print_stats(25)
                stats.sort_stats("cumulative").print_stats("roster|asyncio/tasks", 30)
            stop.set()
            await runner
        ours_rate = n / ours_seconds
        emit_line(
            figure="delivery rate (events/s)",
            ours=round(ours_rate),
            baseline=round(base_rate),
            ratio=round(ours_rate / base_rate, 3),
            target=">= 0.60",
            # This process's CPU per event (the relay's; the bare sender's), a figure the
            # other work on a shared machine moves less than the rates.
            cpu_us_per_event=round(ours_cpu / n * 1e6),
            baseline_cpu_us_per_event=round(base_cpu / n * 1e6),
            **common,
        )

        # Latency: events committed at --latency-rate by another process (as the API's
        # processes commit them while `roster worker` relays) while the relay runs here.
        await receiver_reset(base)
        freeze_heap()
        times = data_dir / f"b7_emitted_{os.getpid()}.json"
        stop = asyncio.Event()
        async with Relay(engine, settings) as relay:
            runner = asyncio.create_task(relay.run(stop))
            emitter = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.webhooks",
                "emit",
                settings.url,
                str(tenant["id"]),
                str(args.latency_rate),
                str(args.latency_seconds),
                str(times),
                str(args.per_contact),
            )
            await emitter.wait()
            emitted = json.loads(times.read_text())
            times.unlink()
            created: dict[str, float] = emitted["created"]
            await wait_count(base, "/fast", len(created))
            if timings:
                timings.report("latency")
            stop.set()
            await runner
        arrivals = (await receiver_stats(base))["arrivals"]
        latencies = sorted((arrivals[k] - v) * 1000 for k, v in created.items())
        # The same from the moment each commit returned to the writer: what the relay adds.
        after_commit = sorted((arrivals[k] - v) * 1000 for k, v in emitted["committed"].items())
        # And the writer's own part: from its enqueue time to its commit's return.
        writing = sorted((emitted["committed"][k] - v) * 1000 for k, v in created.items())
        emit_line(
            figure="enqueue-to-delivery latency (ms)",
            rate=round(emitted["rate"]),
            asked=args.latency_rate,
            per_contact=args.per_contact,
            p50=round(statistics.median(latencies), 1),
            p99=p99(latencies),
            from_commit_p50=round(statistics.median(after_commit), 1),
            from_commit_p99=p99(after_commit),
            writer_p99=p99(writing),
            target="p99 <= 100",
            engine=args.engine,
        )

        if args.skip_hang:
            return
        # A hanging endpoint beside the fast one: the fast one's rate should barely move.
        # Both rates are measured with the same settings (8 sends per endpoint), the fast
        # endpoint alone first, then beside the hanging one.
        hang_settings = settings.model_copy(
            update={
                "webhook_endpoint_concurrency": 8,
                "webhook_timeout": 30.0,
                "webhook_lease": 60.0,
            }
        )

        async def add_events() -> None:
            async with transaction(engine, write=True) as conn:
                now = utcnow()
                await conn.execute(
                    insert(events),
                    [
                        {
                            "tenant_id": tenant["id"],
                            "id": uuid7(),
                            "type": "contact.updated",
                            "subject_id": uuid7(),
                            "created_at": now,
                            "data": {"contact": {"id": "x"}},
                        }
                        for _ in range(n)
                    ],
                )

        async def fast_rate() -> float:
            await receiver_reset(base)
            stop = asyncio.Event()
            async with Relay(engine, hang_settings) as relay:
                started = time.perf_counter()
                runner = asyncio.create_task(relay.run(stop))
                await wait_count(base, "/fast", n)
                seconds = time.perf_counter() - started
                stop.set()
                for task in list(relay.inflight):
                    task.cancel()
                await runner
            return n / seconds

        # Alone, beside, beside, alone: each phase finds more rows in the tables than the
        # one before, so measured in this order that drift (and a checkpoint or autovacuum
        # passing through) weighs on both sides alike; each side is the mean of its two.
        # Before, one alone phase then one beside phase: the cut moved by ±0.1 between runs
        # of the same code, and the beside phase always ran on the larger tables.
        rates: dict[bool, list[float]] = {False: [], True: []}
        hang: dict[str, Any] | None = None
        for beside in (False, True, True, False):
            if beside and hang is None:
                async with transaction(engine, write=True) as conn:
                    hang = await create_webhook(
                        conn,
                        principal,
                        {"url": f"{base}/hang", "events": ["*"]},
                        allow_private=True,
                    )
            elif hang is not None:
                async with transaction(engine, write=True) as conn:
                    await update_webhook(
                        conn, principal, hang["id"], {"enabled": beside}, allow_private=True
                    )
            await add_events()
            rates[beside].append(await fast_rate())
        alone_rate = statistics.mean(rates[False])
        hang_rate = statistics.mean(rates[True])
        emit_line(
            figure="fast endpoint rate beside a hanging one (events/s, 8 per endpoint)",
            ours=round(hang_rate),
            baseline=round(alone_rate),
            cut=round(1 - hang_rate / alone_rate, 3),
            target="cut < 0.10",
            phases="alone, beside, beside, alone",
            beside_rates=[round(r) for r in rates[True]],
            alone_rates=[round(r) for r in rates[False]],
            **common,
        )
    finally:
        await engine.dispose()
        receiver.terminate()
        receiver.wait()
        if drop:
            await drop()


if __name__ == "__main__":
    asyncio.run(main())
