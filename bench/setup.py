"""The bench database: created, migrated with Roster's own history, and loaded fast.

Two tenants of ``size`` contacts each (the measured one and another, so tenant scoping is
exercised). Loading writes the tables directly in large batches with the secondary indexes
and the SQLite FTS triggers dropped, then rebuilds them exactly as the migrations define
them (read back from the catalogue), so what is measured runs against the real schema.
The database is kept between runs (bench_meta records what it holds); --reload rebuilds.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bench.generate import records
from roster.kit.db import create_engine, transaction
from roster.migrate import upgrade
from roster.models import contact_tags, contacts
from roster.tenants import service as tenants

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
DATA = Path(__file__).parent / "data"
BATCH = 2000


@dataclass
class BenchDB:
    engine_name: str
    url: str
    tenant_id: uuid.UUID
    key: str
    size: int
    # B2's writes go to a third tenant, so they never change what B1/B3 read.
    write_key: str = ""


def url_for(engine_name: str, size: int) -> str:
    if engine_name == "sqlite":
        DATA.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{DATA / f'bench-{size}.db'}"
    return f"postgresql+asyncpg://postgres@127.0.0.1:5432/roster_bench_{size}"


async def _meta(engine: AsyncEngine) -> dict[str, str] | None:
    try:
        async with transaction(engine, write=False) as conn:
            rows = (await conn.execute(text("SELECT k, v FROM bench_meta"))).all()
    except Exception:
        return None
    return {k: v for k, v in rows}


async def _recreate(engine_name: str, size: int) -> None:
    if engine_name == "sqlite":
        path = DATA / f"bench-{size}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        return
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f"DROP DATABASE IF EXISTS roster_bench_{size} WITH (FORCE)")
    await admin.execute(f"CREATE DATABASE roster_bench_{size}")
    await admin.close()


async def drop_database(engine_name: str, size: int) -> None:
    """Remove the bench database (``python -m bench --drop``)."""
    await _recreate(engine_name, size)
    if engine_name == "postgresql":
        admin = await asyncpg.connect(PG_ADMIN)
        await admin.execute(f"DROP DATABASE IF EXISTS roster_bench_{size} WITH (FORCE)")
        await admin.close()


async def secondary_indexes(conn: Any, engine_name: str) -> list[tuple[str, str]]:
    """(name, DDL) of every secondary index and trigger on contacts and contact_tags."""
    if engine_name == "sqlite":
        sql = (
            "SELECT type || ':' || name, sql FROM sqlite_master WHERE type IN ('index', "
            "'trigger') AND tbl_name IN ('contacts', 'contact_tags') AND sql IS NOT NULL"
        )
    else:
        sql = (
            "SELECT 'index:' || indexname, indexdef FROM pg_indexes WHERE tablename IN "
            "('contacts', 'contact_tags') AND indexname NOT LIKE 'pk_%'"
        )
    return [(r[0], r[1]) for r in (await conn.execute(text(sql))).all()]


async def _load(
    engine: AsyncEngine, engine_name: str, tenant_id: uuid.UUID, size: int, seed: int
) -> int:
    seen_phone: set[str] = set()
    seen_email: set[str] = set()
    batch: list[dict[str, Any]] = []
    tags: list[dict[str, Any]] = []
    loaded = 0

    async def flush() -> None:
        async with transaction(engine, write=True) as conn:
            await conn.execute(insert(contacts), batch)
            if tags:
                await conn.execute(insert(contact_tags), tags)
        batch.clear()
        tags.clear()

    for record in records(size, seed=seed):
        row = record.row
        if (
            row is None
            or row["phone"] in seen_phone
            or (row["email_key"] and row["email_key"] in seen_email)
        ):
            continue
        seen_phone.add(row["phone"])
        if row["email_key"]:
            seen_email.add(row["email_key"])
        batch.append({**row, "tenant_id": tenant_id})
        tags.extend(
            {
                "tenant_id": tenant_id,
                "contact_id": row["id"],
                "tag": t,
                "created_at": row["created_at"],
            }
            for t in row["tags"]
        )
        loaded += 1
        if len(batch) >= BATCH:
            await flush()
    if batch:
        await flush()
    return loaded


async def prepare(engine_name: str, size: int, *, reload: bool = False) -> BenchDB:
    url = url_for(engine_name, size)
    engine = create_engine(url)
    meta = None if reload else await _meta(engine)
    if meta and meta.get("complete") == "yes":
        await engine.dispose()
        return BenchDB(
            engine_name, url, uuid.UUID(meta["tenant_id"]), meta["key"], size, meta["write_key"]
        )
    await engine.dispose()
    await _recreate(engine_name, size)
    # Index builds over millions of rows outlast Roster's default 10 s statement timeout.
    engine = create_engine(url, statement_timeout_ms=3_600_000)
    await upgrade(engine)
    started = time.monotonic()
    async with transaction(engine, write=True) as conn:
        measured = await tenants.create_tenant(conn, "bench-measured", "US")
        other = await tenants.create_tenant(conn, "bench-other", "US")
        created = await tenants.create_api_key(conn, measured["id"], name="bench", scopes=["admin"])
        writes = await tenants.create_tenant(conn, "bench-writes", "US")
        write_key = await tenants.create_api_key(
            conn, writes["id"], name="bench-writes", scopes=["admin"]
        )
        saved = await secondary_indexes(conn, engine_name)
        for name, _ in saved:
            kind, _, ident = name.partition(":")
            await conn.execute(text(f"DROP {kind.upper()} {ident}"))
    counts = {}
    for tenant, seed in ((other["id"], 7), (measured["id"], 42)):
        counts[str(tenant)] = await _load(engine, engine_name, tenant, size, seed)
    async with transaction(engine, write=True) as conn:
        for _, ddl in saved:
            await conn.execute(text(ddl))
        if engine_name == "sqlite":
            await conn.execute(text("INSERT INTO contacts_fts(contacts_fts) VALUES ('rebuild')"))
        else:
            await conn.execute(text("ANALYZE contacts"))
            await conn.execute(text("ANALYZE contact_tags"))
    if engine_name == "postgresql":  # what autovacuum does after a bulk load
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE contacts"))
            await conn.execute(text("VACUUM ANALYZE contact_tags"))
    async with transaction(engine, write=True) as conn:
        await conn.execute(text("CREATE TABLE bench_meta (k VARCHAR(64) PRIMARY KEY, v TEXT)"))
        values = {
            "tenant_id": str(measured["id"]),
            "key": created.key,
            "write_key": write_key.key,
            "size": str(size),
            "loaded": str(counts[str(measured["id"])]),
            "load_seconds": f"{time.monotonic() - started:.1f}",
            "complete": "yes",
        }
        for k, v in values.items():
            await conn.execute(text("INSERT INTO bench_meta VALUES (:k, :v)"), {"k": k, "v": v})
    await engine.dispose()
    return BenchDB(engine_name, url, measured["id"], created.key, size, write_key.key)
