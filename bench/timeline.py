"""Timeline page latency with many activities in one tenant (target: p99 ≤ 30 ms at 10M).

Seeds a fresh database with ``--rows`` activities over ``--contacts`` contacts (10% of the
rows on ``--heavy`` very busy contacts, the rest spread at random, occurred_at over a
year), then times ``GET /v1/contacts/{id}/activities`` through the real ASGI app (auth,
query, JSON): first pages, deep pages followed by cursor, and filtered pages.

    python -m bench.timeline --engine postgresql --rows 10000000
    python -m bench.timeline --engine sqlite --rows 1000000

The database is dropped (PostgreSQL) or deleted (SQLite) afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.app import create_app
from roster.config import Settings
from roster.kit.db import create_engine, transaction
from roster.migrate import upgrade
from roster.tenants import service as tenants

PG_ADMIN = os.environ.get("ROSTER_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
TYPES = ("message.sent", "message.delivered", "message.read", "message.received", "call.completed")
CHANNELS = ("sms", "whatsapp", "email", "voice")
CHUNK = 500_000


async def _seed_pg(conn: AsyncConnection, tenant: uuid.UUID, args: argparse.Namespace) -> None:
    await conn.execute(
        text(
            "INSERT INTO contacts (tenant_id, id, source, tags, custom_fields, created_at, "
            "updated_at, version) SELECT :t, gen_random_uuid(), 'bench', '[]'::jsonb, "
            "'{}'::jsonb, now(), now(), 1 FROM generate_series(1, CAST(:n AS int))"
        ),
        {"t": tenant, "n": args.contacts},
    )
    await conn.execute(
        text(
            "CREATE TEMP TABLE bench_ids AS SELECT row_number() OVER (ORDER BY id) AS n, id "
            "FROM contacts WHERE tenant_id = :t"
        ),
        {"t": tenant},
    )
    await conn.execute(text("CREATE UNIQUE INDEX ON bench_ids (n)"))
    await conn.execute(text("ANALYZE bench_ids"))
    # Bulk load without the timeline index and the foreign key, then build the index once
    # and re-add the constraint (NOT VALID: the rows were made from existing contacts).
    await conn.execute(text("DROP INDEX ix_activities_timeline"))
    await conn.execute(text("DROP INDEX ix_activities_type_timeline"))
    await conn.execute(
        text("ALTER TABLE activities DROP CONSTRAINT fk_activities_tenant_id_contact_id_contacts")
    )
    await conn.commit()
    types = "ARRAY[" + ",".join(f"'{t}'" for t in TYPES) + "]"
    channels = "ARRAY[" + ",".join(f"'{c}'" for c in CHANNELS) + "]"
    began = time.perf_counter()
    for lo in range(1, args.rows + 1, CHUNK):
        hi = min(lo + CHUNK - 1, args.rows)
        await conn.execute(
            text(
                f"""
                WITH g AS MATERIALIZED (
                  SELECT g, CASE WHEN g % 10 = 0 THEN 1 + (g / 10) % CAST(:heavy AS int)
                                 ELSE 1 + floor(random() * CAST(:n AS int))::int END AS cn
                  FROM generate_series(CAST(:lo AS bigint), CAST(:hi AS bigint)) g)
                INSERT INTO activities (tenant_id, id, contact_id, type, channel, occurred_at,
                                        summary, data, created_at)
                SELECT :t, gen_random_uuid(), b.id, ({types})[1 + floor(random() * 5)::int],
                       ({channels})[1 + floor(random() * 4)::int],
                       date_trunc('milliseconds',
                                  now() - random() * interval '365 days'),
                       'bench activity', '{{"k": 1}}'::jsonb, now()
                FROM g JOIN bench_ids b ON b.n = g.cn
                """
            ),
            {"t": tenant, "n": args.contacts, "heavy": args.heavy, "lo": lo, "hi": hi},
        )
        await conn.commit()
        print(f"  seeded {hi:,} activities ({time.perf_counter() - began:.0f} s)", flush=True)
    await conn.execute(text("SET maintenance_work_mem = '512MB'"))
    await conn.execute(
        text(
            "CREATE INDEX ix_activities_timeline ON activities "
            "(tenant_id, contact_id, occurred_at DESC, id DESC)"
        )
    )
    await conn.execute(
        text(
            "CREATE INDEX ix_activities_type_timeline ON activities "
            "(tenant_id, contact_id, type, occurred_at DESC, id DESC)"
        )
    )
    await conn.execute(
        text(
            "ALTER TABLE activities ADD CONSTRAINT fk_activities_tenant_id_contact_id_contacts "
            "FOREIGN KEY (tenant_id, contact_id) REFERENCES contacts (tenant_id, id) "
            "ON DELETE CASCADE NOT VALID"
        )
    )
    await conn.commit()
    print(f"  indexed ({time.perf_counter() - began:.0f} s)", flush=True)
    await conn.execute(text("ANALYZE contacts"))
    await conn.execute(text("ANALYZE activities"))
    await conn.commit()


async def _seed_sqlite(conn: AsyncConnection, tenant: uuid.UUID, args: argparse.Namespace) -> None:
    # SQLAlchemy stores Uuid on SQLite as 32 hex digits and datetimes as
    # 'YYYY-MM-DD HH:MM:SS.ffffff' text; the seed writes exactly those forms.
    await conn.execute(
        text(
            "WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < :n) "
            "INSERT INTO contacts (tenant_id, id, source, tags, custom_fields, created_at, "
            "updated_at, version) SELECT :t, lower(hex(randomblob(16))), 'bench', '[]', '{}', "
            "'2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 1 FROM g"
        ),
        {"t": tenant.hex, "n": args.contacts},
    )
    await conn.execute(
        text(
            "CREATE TEMP TABLE bench_ids AS SELECT row_number() OVER (ORDER BY id) AS n, id "
            "FROM contacts WHERE tenant_id = :t"
        ),
        {"t": tenant.hex},
    )
    await conn.execute(text("CREATE UNIQUE INDEX temp.bench_ids_n ON bench_ids (n)"))
    types = " ".join(f"WHEN {i} THEN '{t}'" for i, t in enumerate(TYPES))
    channels = " ".join(f"WHEN {i} THEN '{c}'" for i, c in enumerate(CHANNELS))
    began = time.perf_counter()
    for lo in range(1, args.rows + 1, CHUNK):
        hi = min(lo + CHUNK - 1, args.rows)
        await conn.execute(
            text(
                f"""
                WITH RECURSIVE g(i) AS (SELECT :lo UNION ALL SELECT i + 1 FROM g WHERE i < :hi),
                p AS (SELECT i, CASE WHEN i % 10 = 0 THEN 1 + (i / 10) % :heavy
                                     ELSE 1 + abs(random()) % :n END AS cn,
                             abs(random()) % 31536000 AS ago FROM g)
                INSERT INTO activities (tenant_id, id, contact_id, type, channel, occurred_at,
                                        summary, data, created_at)
                SELECT :t, lower(hex(randomblob(16))), b.id,
                       CASE abs(random()) % 5 {types} END, CASE abs(random()) % 4 {channels} END,
                       strftime('%Y-%m-%d %H:%M:%S', '2026-11-01', '-' || p.ago || ' seconds')
                         || printf('.%06d', (abs(random()) % 1000) * 1000),
                       'bench activity', '{{"k": 1}}', '2026-11-01 00:00:00.000000'
                FROM p JOIN bench_ids b ON b.n = p.cn
                """
            ),
            {"t": tenant.hex, "n": args.contacts, "heavy": args.heavy, "lo": lo, "hi": hi},
        )
        await conn.commit()
        print(f"  seeded {hi:,} activities ({time.perf_counter() - began:.0f} s)", flush=True)
    await conn.execute(text("ANALYZE"))
    await conn.commit()


def _stats(name: str, samples: list[float]) -> str:
    ordered = sorted(samples)
    p = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return (
        f"{name:<28} n={len(samples):>5}  p50={statistics.median(ordered):6.2f} ms  "
        f"p95={p(0.95):6.2f} ms  p99={p(0.99):6.2f} ms  max={ordered[-1]:6.2f} ms"
    )


async def _measure(http: httpx.AsyncClient, heavy: list[str], normal: list[str], n: int) -> None:
    results: dict[str, list[float]] = {
        "first page (normal contact)": [],
        "first page (heavy contact)": [],
        "deep page via cursor (heavy)": [],
        "filtered type (heavy)": [],
        "filtered channel+after (heavy)": [],
    }

    async def timed(name: str, url: str, params: dict[str, Any]) -> dict[str, Any]:
        start = time.perf_counter()
        response = await http.get(url, params=params)
        results[name].append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    for _ in range(10):  # warm the pool and caches
        await http.get(f"/v1/contacts/{random.choice(heavy)}/activities")
    for i in range(n):
        url = f"/v1/contacts/{random.choice(normal)}/activities"
        await timed("first page (normal contact)", url, {"limit": 50})
        url = f"/v1/contacts/{random.choice(heavy)}/activities"
        page = await timed("first page (heavy contact)", url, {"limit": 50})
        for _ in range(3):
            if not page["next_cursor"]:
                break
            page = await timed(
                "deep page via cursor (heavy)", url, {"limit": 50, "cursor": page["next_cursor"]}
            )
        await timed("filtered type (heavy)", url, {"type": "message.read", "limit": 50})
        await timed(
            "filtered channel+after (heavy)",
            url,
            {"channel": "email", "after": "2026-06-01T00:00:00Z", "limit": 50},
        )
        if i and i % 200 == 0:
            print(f"  {i} rounds", flush=True)
    for name, samples in results.items():
        print(_stats(name, samples))


def _data_dir() -> Path:
    path = Path("var/bench-timeline")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _remove_sqlite(db_file: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_file}{suffix}").unlink(missing_ok=True)


async def _measure_queries(
    engine: Any, tenant: uuid.UUID, heavy: list[str], normal: list[str], n: int
) -> None:
    """The timeline query alone (one read transaction), without HTTP, auth and JSON."""
    from roster.activities.repository import ActivityRepository

    samples: dict[str, list[float]] = {"query: first page (normal)": [], "query: heavy": []}
    for i in range(n + 10):
        for name, pool in (("query: first page (normal)", normal), ("query: heavy", heavy)):
            contact = uuid.UUID(random.choice(pool))
            start = time.perf_counter()
            async with transaction(engine, write=False) as conn:
                await ActivityRepository(conn, tenant).timeline(
                    contact, types=None, type_prefix=None, channel=None, before=None,
                    after=None, key=None, offset=None, limit=51,
                )  # fmt: skip
            if i >= 10:
                samples[name].append((time.perf_counter() - start) * 1000)
    for name, values in samples.items():
        print(_stats(name, values))
    if engine.dialect.name == "postgresql":
        async with transaction(engine, write=False) as conn:
            plan = await conn.execute(
                text(
                    "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM activities WHERE tenant_id = :t "
                    "AND contact_id = :c ORDER BY occurred_at DESC, id DESC LIMIT 51"
                ),
                {"t": tenant, "c": uuid.UUID(heavy[0])},
            )
            print("\n".join(row[0] for row in plan))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["postgresql", "sqlite"], default="postgresql")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--heavy", type=int, default=10, help="contacts holding 10%% of rows")
    parser.add_argument("--rounds", type=int, default=500)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    data_dir = _data_dir()
    db_name = f"roster_bench_timeline_{os.getpid()}"
    if args.engine == "sqlite":
        db_file = data_dir / f"{db_name}.db"
        url = f"sqlite:///{db_file}"
    else:
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f'CREATE DATABASE "{db_name}"')
        await admin.close()
        url = PG_ADMIN.rsplit("/", 1)[0] + f"/{db_name}"
    # The rate limit is checked on every request but never refuses one (as bench/servers.py).
    settings = Settings(  # type: ignore[call-arg]
        database_url=url, data_dir=data_dir, rate_limit="1000000/second", _env_file=None
    )
    try:
        engine = create_engine(settings.url, statement_timeout_ms=3_600_000)
        await upgrade(engine)
        async with transaction(engine, write=True) as conn:
            tenant = await tenants.create_tenant(conn, "bench", "US")
            key = (await tenants.create_api_key(conn, tenant["id"], name="b", scopes=["admin"])).key
        started = time.perf_counter()
        print(f"seeding {args.rows:,} activities over {args.contacts:,} contacts ({args.engine})")
        async with engine.connect() as conn:
            await conn.execution_options(roster_write=True)
            seed = _seed_pg if args.engine == "postgresql" else _seed_sqlite
            await seed(conn, tenant["id"], args)
            ids = [
                str(uuid.UUID(str(r[0])))
                for r in await conn.execute(text("SELECT id FROM bench_ids ORDER BY n"))
            ]
        print(f"seeded in {time.perf_counter() - started:.0f} s")
        await engine.dispose()
        heavy, normal = ids[: args.heavy], ids[args.heavy :]
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            headers = {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(
                transport=transport, base_url="http://bench", headers=headers
            ) as http:
                await _measure(http, heavy, normal, args.rounds)
            await _measure_queries(app.state.engine, tenant["id"], heavy, normal, args.rounds)
    finally:
        if not args.keep:
            if args.engine == "sqlite":
                _remove_sqlite(db_file)
            else:
                admin = await asyncpg.connect(PG_ADMIN)
                await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
                await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
