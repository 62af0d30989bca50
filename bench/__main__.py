"""python -m bench [B1 B2 B3 B9 B10] [--small] [--engine sqlite|postgresql|both] [--size N]
                 [--cases ...] [--minutes N] [--rate R] [--rounds N]

Prints one JSON line per figure. Sizes: 1M contacts per tenant by default (two tenants),
--small 100k. The bench database is kept between runs (--reload rebuilds it, --drop removes
it). Never part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from bench import b3, b10, mixed, servers
from bench.setup import BenchDB, drop_database, prepare
from roster.kit.db import create_engine, transaction


def emit(figure: dict[str, Any]) -> None:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    figure = {**figure, "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ"), "commit": commit}
    print(json.dumps(figure), flush=True)


async def sample_ids(db: BenchDB, n: int = 20000, tenant: uuid.UUID | None = None) -> list[str]:
    engine = create_engine(db.url)
    wanted = tenant or db.tenant_id
    async with transaction(engine, write=False) as conn:
        tenant_arg = wanted if db.engine_name == "postgresql" else wanted.hex
        rows = (
            await conn.execute(
                text("SELECT id FROM contacts WHERE tenant_id = :t AND deleted_at IS NULL"),
                {"t": tenant_arg},
            )
        ).all()
    await engine.dispose()
    ids = [str(r[0]) if db.engine_name == "postgresql" else str(uuid.UUID(r[0])) for r in rows]
    random.Random(1).shuffle(ids)
    return ids[:n]


def ratio_figure(
    scenario: str, db: BenchDB, what: str, raw: dict[str, float], ours: dict[str, float]
) -> None:
    emit(
        {
            "scenario": scenario,
            "engine": db.engine_name,
            "size": db.size,
            "what": what,
            "baseline_rps": raw["rps"],
            "ours_rps": ours["rps"],
            "ratio_rps": round(ours["rps"] / raw["rps"], 3) if raw["rps"] else None,
            "baseline_p99_ms": raw["p99_ms"],
            "ours_p99_ms": ours["p99_ms"],
            "ratio_p99": round(ours["p99_ms"] / raw["p99_ms"], 3) if raw["p99_ms"] else None,
            "baseline_non2xx": raw["non2xx"] + raw["errors"],
            "ours_non2xx": ours["non2xx"] + ours["errors"],
            "baseline_cpu_us_per_req": raw["cpu_us"],
            "ours_cpu_us_per_req": ours["cpu_us"],
            "ratio_cpu": round(raw["cpu_us"] / ours["cpu_us"], 3) if ours["cpu_us"] else None,
        }
    )


def b1(db: BenchDB, ids: list[str], seconds: int) -> None:
    paths = [f"/v1/contacts/{i}" for i in ids]
    results = {}
    for kind in ("raw", "roster", "edge-off"):
        with servers.server(kind, db.url) as base:
            servers.wrk(base, db.key, "GET", paths, 3, 64)  # warm-up
            results[kind] = servers.wrk(base, db.key, "GET", paths, seconds, 64)
    ratio_figure(
        "B1", db, "GET /v1/contacts/{id}, 64 connections", results["raw"], results["roster"]
    )
    # The cost of the edge: the same Roster with auth and rate limits on (ours) and off
    # (baseline: bench.edge_off, each key authenticated once, no rate-limit count).
    ratio_figure(
        "B1-edge",
        db,
        "GET /v1/contacts/{id}, 64 connections, edge on vs off",
        results["edge-off"],
        results["roster"],
    )


def b2(db: BenchDB, seconds: int) -> None:
    results = {}
    for seed, kind in enumerate(("raw", "roster"), start=int(time.time()) * 10):
        with servers.server(kind, db.url) as base:
            results[kind] = servers.wrk(
                base, db.write_key, "POST", ["/v1/contacts"], seconds, 16, seed
            )
    ratio_figure("B2", db, "POST /v1/contacts, 16 connections", results["raw"], results["roster"])


async def b2_patch(db: BenchDB, seconds: int) -> None:
    """PATCH of random contacts that the POST phase created in the writes tenant."""
    engine = create_engine(db.url)
    async with transaction(engine, write=False) as conn:
        writes = (
            await conn.execute(text("SELECT id FROM tenants WHERE name = 'bench-writes'"))
        ).scalar_one()
    await engine.dispose()
    tenant = writes if isinstance(writes, uuid.UUID) else uuid.UUID(writes)
    paths = [f"/v1/contacts/{i}" for i in await sample_ids(db, tenant=tenant)]
    results = {}
    for seed, kind in enumerate(("raw", "roster"), start=int(time.time()) * 10):
        with servers.server(kind, db.url) as base:
            results[kind] = servers.wrk(base, db.write_key, "PATCH", paths, seconds, 16, seed)
    ratio_figure(
        "B2", db, "PATCH /v1/contacts/{id}, 16 connections", results["raw"], results["roster"]
    )


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("scenarios", nargs="*", default=["B1", "B2", "B3"])
    parser.add_argument("--small", action="store_true", help="100k contacts per tenant")
    parser.add_argument("--size", type=int, help="contacts per tenant (default 1M)")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--seconds", type=int, default=20, help="B1 duration (B2: half)")
    parser.add_argument("--cases", nargs="*", choices=sorted(b3.CASES), help="B3 cases only")
    parser.add_argument("--minutes", type=int, default=10, help="B9 duration (at least 2)")
    parser.add_argument("--rate", type=float, default=300, help="B9 requests per second")
    parser.add_argument("--rounds", type=int, default=b10.ROUNDS, help="B10 rounds per case")
    parser.add_argument("--reload", action="store_true", help="rebuild the bench database")
    parser.add_argument("--drop", action="store_true", help="remove the bench database and stop")
    args = parser.parse_args()
    size = args.size or (100_000 if args.small else 1_000_000)
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for engine in engines:
        if args.drop:
            await drop_database(engine, size)
            continue
        started = time.monotonic()
        db = await prepare(engine, size, reload=args.reload)
        print(f"# {engine} {size}: ready in {time.monotonic() - started:.0f}s", file=sys.stderr)
        wanted = {s.upper() for s in args.scenarios}
        if "B1" in wanted:
            b1(db, await sample_ids(db), args.seconds)
        if "B3" in wanted:
            with servers.server("roster", db.url) as base:
                for figure in await b3.run(db, base, cases=args.cases):
                    emit(figure)
        if "B9" in wanted:  # it adds rows to the writes tenant only
            for figure in await mixed.run(db, await sample_ids(db), args.minutes * 60, args.rate):
                emit(figure)
        if "B10" in wanted:  # it adds 1,000 activities to one contact, once
            for figure in await b10.run(db, args.rounds):
                emit(figure)
        if "B2" in wanted:  # last: it adds rows
            b2(db, max(5, args.seconds // 2))
            await b2_patch(db, max(5, args.seconds // 2))


if __name__ == "__main__":
    asyncio.run(main())
