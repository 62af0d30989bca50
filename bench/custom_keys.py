"""What the custom field key registry's triggers cost writes (PostgreSQL).

    python -m bench.custom_keys [--rows 100000] [--db roster_bench_custom_keys]

On a freshly migrated database, each figure is taken with the triggers enabled and then
disabled (``ALTER TABLE … DISABLE TRIGGER``), alternating, best of three: a COPY of N
generated contacts, N/50 single-row INSERTs and UPDATEs (what one API write runs), and one
UPDATE of every row's custom fields (a bulk set_fields).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from typing import Any

import asyncpg

from bench.bulk import ADMIN, _dsn
from bench.generate import records
from roster.kit.db import create_engine
from roster.migrate import upgrade

TRIGGERS = ("contacts_custom_keys_insert", "contacts_custom_keys_update")


async def _tenant(conn: asyncpg.Connection) -> uuid.UUID:
    tenant = uuid.uuid4()
    await conn.execute(
        "INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, now())", tenant, str(tenant)
    )
    return tenant


def _rows(n: int, seed: int, tenant: uuid.UUID) -> tuple[list[str], list[tuple[Any, ...]]]:
    seen: set[Any] = set()
    out: list[tuple[Any, ...]] = []
    columns: list[str] = []
    for record in records(n, seed):
        row = record.row
        if row is None or row["phone"] in seen:
            continue
        seen.add(row["phone"])
        row = dict(row, tenant_id=tenant, email=None, email_key=None)
        row["tags"] = json.dumps(row["tags"])
        row["custom_fields"] = json.dumps(row["custom_fields"])
        columns = columns or list(row)
        out.append(tuple(row[c] for c in columns))
    return columns, out


async def _set(conn: asyncpg.Connection, enabled: bool) -> None:
    verb = "ENABLE" if enabled else "DISABLE"
    for name in TRIGGERS:
        await conn.execute(f"ALTER TABLE contacts {verb} TRIGGER {name}")


async def _round(conn: asyncpg.Connection, n: int, seed: int) -> dict[str, float]:
    tenant = await _tenant(conn)
    columns, rows = _rows(n, seed, tenant)
    started = time.perf_counter()
    await conn.copy_records_to_table("contacts", records=rows, columns=columns)
    copy = time.perf_counter() - started
    singles = rows[: n // 50]
    tenant2 = await _tenant(conn)
    placeholders = ", ".join(f"${i + 1}" for i in range(len(columns)))
    insert = f"INSERT INTO contacts ({', '.join(columns)}) VALUES ({placeholders})"
    t = columns.index("tenant_id")
    i = columns.index("id")
    started = time.perf_counter()
    for row in singles:
        values = list(row)
        values[t], values[i] = tenant2, uuid.uuid4()
        await conn.execute(insert, *values)
    single_insert = (time.perf_counter() - started) / len(singles)
    ids = [r[i] for r in singles]
    started = time.perf_counter()
    for contact in ids:
        await conn.execute(
            "UPDATE contacts SET custom_fields = custom_fields || '{\"seen\": 1}', "
            "version = version + 1 WHERE tenant_id = $1 AND id = $2",
            tenant,
            contact,
        )
    single_update = (time.perf_counter() - started) / len(ids)
    started = time.perf_counter()
    await conn.execute(
        "UPDATE contacts SET custom_fields = custom_fields || '{\"bulk\": true}' "
        "WHERE tenant_id = $1",
        tenant,
    )
    bulk_update = time.perf_counter() - started
    return {
        "copy_rows_per_s": len(rows) / copy,
        "single_insert_ms": single_insert * 1000,
        "single_update_ms": single_update * 1000,
        "bulk_update_rows_per_s": len(rows) / bulk_update,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.custom_keys")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--db", default="roster_bench_custom_keys")
    args = parser.parse_args()
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{args.db}"')
    engine = create_engine(_dsn(args.db).replace("postgresql://", "postgresql+asyncpg://"))
    await upgrade(engine)
    await engine.dispose()
    conn = await asyncpg.connect(_dsn(args.db))
    best: dict[bool, dict[str, list[float]]] = {True: {}, False: {}}
    seed = 10
    for _ in range(3):
        for enabled in (True, False):
            await _set(conn, enabled)
            seed += 1
            for name, value in (await _round(conn, args.rows, seed)).items():
                best[enabled].setdefault(name, []).append(value)
    await conn.close()
    for name in best[True]:
        pick = max if name.endswith("_per_s") else min
        on, off = pick(best[True][name]), pick(best[False][name])
        print(
            json.dumps(
                {
                    "figure": name,
                    "with_triggers": round(on, 3),
                    "without": round(off, 3),
                    "ratio": round(on / off, 3),
                }
            ),
            flush=True,
        )
    await admin.execute(f'DROP DATABASE IF EXISTS "{args.db}" WITH (FORCE)')
    await admin.close()


if __name__ == "__main__":
    asyncio.run(main())
