"""B6: segment count + first page (a 5-condition filter, and one tag), against hand-written SQL.

    python -m bench.segments [--n 100000] [--engine sqlite|postgresql|both] [--runs 9] [--keep]

Builds a scratch database per engine (SQLite file under ./var; PostgreSQL database
``roster_bench_b6`` on 127.0.0.1, dropped afterwards; ``--keep`` keeps it and reuses a kept
one of the same size, to measure a change again without refilling), fills a measured tenant
and a second tenant with ``--n`` contacts each from a seeded generator, then, in the same run and
alternating, times:

- ours: ``GET /v1/segments/{id}`` (contact_count computed now) + ``GET
  /v1/segments/{id}/contacts`` (first page of 50), through the real app in-process;
- baseline: the same filter written by hand in SQL (count + first page) on the same engine.

Prints one JSON line per figure (medians in ms, and ours / baseline).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import insert, text

from bench.setup import secondary_indexes
from roster.app import create_app
from roster.auth.principal import Principal
from roster.config import Settings
from roster.kit.db import create_engine, custom_plans, transaction
from roster.kit.ids import uuid7
from roster.kit.pagination import PageRequest
from roster.migrate import upgrade
from roster.models import contact_tags, contacts
from roster.segments import service as segment_service
from roster.tenants import service as tenants

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_DB = "roster_bench_b6"
FIRST = ["Ana", "Ben", "Chloé", "Dmitri", "Eve", "Farah", "Goro", "Hana", "Ivan", "Jane", "Kofi"]
LAST = ["Doe", "Smith", "Okafor", "Tanaka", "Müller", "Silva", "Nguyen", "Kowalski", "Haddad"]
COMPANIES = ["Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vehement", None]
STATUSES = ["lead", "customer", "churned"]
COUNTRIES = ["US", "CA", "GB", "DE", "FR", "BR", "IN", "JP", "NG", "AU"]
TAGS = [f"tag_{i}" for i in range(200)]
PLANS = ["free", "pro", "team", "enterprise"]

FILTER = {
    "all": [
        {"field": "status", "op": "eq", "value": "customer"},
        {"field": "country", "op": "in", "value": ["US", "CA", "GB"]},
        {"field": "tags", "op": "has_any", "value": [f"tag_{i}" for i in range(20)]},
        {"field": "custom_fields.ltv", "op": "gte", "value": 500},
        {"field": "created_at", "op": "within_last", "value": "365d"},
    ]
}

# The same filter as one would write it by hand (same indexes, same two-valued meaning on
# this data: status, country and ltv are always present when they match).
HAND_WHERE = {
    "postgresql": """
        c.tenant_id = :tenant AND c.deleted_at IS NULL
        AND c.status = 'customer' AND c.country IN ('US', 'CA', 'GB')
        AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.tenant_id = c.tenant_id
                    AND t.contact_id = c.id AND t.tag IN ({TAG_LIST}))
        AND jsonb_typeof(c.custom_fields -> 'ltv') = 'number'
        AND (c.custom_fields ->> 'ltv')::float8 >= 500
        AND c.created_at >= :cutoff AND c.created_at <= :now""",
    "sqlite": """
        c.tenant_id = :tenant AND c.deleted_at IS NULL
        AND c.status = 'customer' AND c.country IN ('US', 'CA', 'GB')
        AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.tenant_id = c.tenant_id
                    AND t.contact_id = c.id AND t.tag IN ({TAG_LIST}))
        AND json_type(c.custom_fields, '$.ltv') IN ('integer', 'real')
        AND json_extract(c.custom_fields, '$.ltv') >= 500
        AND c.created_at >= :cutoff AND c.created_at <= :now""",
}
TAG_LIST = ", ".join(f"'tag_{i}'" for i in range(20))
# PostgreSQL: the tags condition also written on the contact's own tags array (what Roster
# sends there); the faster of the two hand-written forms is the baseline.
HAND_WHERE["postgresql_array"] = HAND_WHERE["postgresql"].replace(
    """EXISTS (SELECT 1 FROM contact_tags t WHERE t.tenant_id = c.tenant_id
                    AND t.contact_id = c.id AND t.tag IN ({TAG_LIST}))""",
    "c.tags ?| ARRAY[{TAG_LIST}]",
)
HAND_WHERE = {k: v.replace("{TAG_LIST}", TAG_LIST) for k, v in HAND_WHERE.items()}

# A second case, the simplest segment there is: one tag (1.25 % of the contacts), where an
# index must do the work (a scan of the tenant is ten times slower). By hand: the tag's own
# rows (EXISTS over contact_tags), or on PostgreSQL also containment in the tags array.
TAG_FILTER = {"field": "tags", "op": "has", "value": "tag_7"}
TAG_HAND_WHERE = {
    "postgresql": """
        c.tenant_id = :tenant AND c.deleted_at IS NULL
        AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.tenant_id = c.tenant_id
                    AND t.contact_id = c.id AND t.tag = 'tag_7')""",
    "sqlite": """
        c.tenant_id = :tenant AND c.deleted_at IS NULL
        AND EXISTS (SELECT 1 FROM contact_tags t WHERE t.tenant_id = c.tenant_id
                    AND t.contact_id = c.id AND t.tag = 'tag_7')""",
    "postgresql_array": """
        c.tenant_id = :tenant AND c.deleted_at IS NULL AND c.tags @> '["tag_7"]'""",
}
CASES = {"five_conditions": (FILTER, HAND_WHERE), "one_tag": (TAG_FILTER, TAG_HAND_WHERE)}


def generate(rng: random.Random, tenant_id: uuid.UUID, n: int, now: datetime) -> Any:
    """Yield (contact rows, tag rows) chunks of seeded, plausible contacts."""
    chunk: list[dict[str, Any]] = []
    tag_rows: list[dict[str, Any]] = []
    for i in range(n):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        created = now - timedelta(seconds=rng.randint(0, 3 * 365 * 86400))
        custom: dict[str, Any] = {}
        for key in rng.sample(
            ["ltv", "plan", "signup", "score", "seats", "region"], rng.randint(0, 6)
        ):
            custom[key] = {
                "ltv": round(rng.uniform(0, 2000), 2),
                "plan": rng.choice(PLANS),
                "signup": (created - timedelta(days=rng.randint(0, 99))).date().isoformat(),
                "score": rng.randint(0, 100),
                "seats": rng.randint(1, 50),
                "region": rng.choice(["emea", "amer", "apac"]),
            }[key]
        tags = sorted(rng.sample(TAGS, rng.randint(0, 5)))
        cid = uuid7()
        chunk.append(
            {
                "tenant_id": tenant_id,
                "id": cid,
                "first_name": first,
                "last_name": last,
                "name": f"{first} {last}",
                "name_set": False,
                "phone": f"+1415{i:07d}",
                "email": f"{first.lower()}.{i}@example.com",
                "email_key": f"{first.lower()}.{i}@example.com",
                "company": rng.choice(COMPANIES),
                "status": rng.choice(STATUSES),
                "country": rng.choice(COUNTRIES),
                "source": "bench",
                "tags": tags,
                "custom_fields": custom,
                "suppressed": False,
                "created_at": created,
                "updated_at": created,
                "version": 1,
            }
        )
        tag_rows += [
            {"tenant_id": tenant_id, "contact_id": cid, "tag": t, "created_at": created}
            for t in tags
        ]
        if len(chunk) == 2000:
            yield chunk, tag_rows
            chunk, tag_rows = [], []
    if chunk:
        yield chunk, tag_rows


async def _pg_recreate() -> str:
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    await admin.execute(f'CREATE DATABASE "{PG_DB}"')
    await admin.close()
    return f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"


async def _pg_drop() -> None:
    admin = await asyncpg.connect(PG_ADMIN)
    await admin.execute(f'DROP DATABASE IF EXISTS "{PG_DB}" WITH (FORCE)')
    await admin.close()


async def _copy(url: str, rows: list[dict[str, Any]], tag_rows: list[dict[str, Any]]) -> None:
    """PostgreSQL bulk load with COPY (executemany is far slower on a loaded machine)."""
    conn = await asyncpg.connect(url)
    try:
        columns = list(rows[0])
        records = [
            tuple(json.dumps(r[c]) if c in ("tags", "custom_fields") else r[c] for c in columns)
            for r in rows
        ]
        async with conn.transaction():
            await conn.copy_records_to_table("contacts", records=records, columns=columns)
            if tag_rows:
                await conn.copy_records_to_table(
                    "contact_tags",
                    records=[tuple(t.values()) for t in tag_rows],
                    columns=list(tag_rows[0]),
                )
    finally:
        await conn.close()


def _sqlite_fresh() -> str:
    path = Path("var/bench-b6.db").resolve()
    path.parent.mkdir(exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def _url(engine_name: str) -> str:
    if engine_name == "postgresql":
        return f"postgresql://postgres@127.0.0.1:5432/{PG_DB}"
    return f"sqlite:///{Path('var/bench-b6.db').resolve()}"


async def _kept(url: str, n: int) -> tuple[uuid.UUID, str, float] | None:
    """(tenant, key, fill seconds) of a kept database filled with ``n`` per tenant."""
    try:
        engine = create_engine(Settings(database_url=url, _env_file=None).url)  # type: ignore[call-arg]
        async with transaction(engine, write=False) as conn:
            rows = dict((await conn.execute(text("SELECT k, v FROM bench_b6_meta"))).all())
        await engine.dispose()
    except Exception:
        return None
    if rows.get("n") != str(n):
        return None
    return uuid.UUID(rows["tenant_id"]), rows["key"], float(rows["fill_seconds"])


async def _remember(url: str, n: int, tenant_id: uuid.UUID, key: str, fill_s: float) -> None:
    engine = create_engine(Settings(database_url=url, _env_file=None).url)  # type: ignore[call-arg]
    async with transaction(engine, write=True) as conn:
        await conn.execute(text("CREATE TABLE bench_b6_meta (k VARCHAR(64) PRIMARY KEY, v TEXT)"))
        for k, v in {"n": n, "tenant_id": tenant_id, "key": key, "fill_seconds": fill_s}.items():
            await conn.execute(
                text("INSERT INTO bench_b6_meta VALUES (:k, :v)"), {"k": k, "v": str(v)}
            )
    await engine.dispose()


async def fill(url: str, n: int) -> tuple[uuid.UUID, str]:
    # Bulk inserts of a loaded shared machine can outlast the app's 10 s statement timeout.
    engine = create_engine(
        Settings(database_url=url, _env_file=None).url,  # type: ignore[call-arg]
        statement_timeout_ms=600_000,
    )
    await upgrade(engine)
    now = datetime.now(UTC)
    rng = random.Random(6)
    measured = None
    key = ""
    rebuild: list[tuple[str, str]] = []
    if url.startswith("postgresql"):
        # As bench/setup.py: load without the secondary indexes, then build them as the
        # migrations define them (maintaining the trigram index row by row is what is slow).
        async with transaction(engine, write=True) as conn:
            rebuild = await secondary_indexes(conn, "postgresql")
            for name, _ in rebuild:
                await conn.execute(text(f'DROP INDEX "{name.split(":", 1)[1]}"'))
    for label in ("other", "measured"):
        async with transaction(engine, write=True) as conn:
            tenant = await tenants.create_tenant(conn, f"bench-{label}", "US")
            if label == "measured":
                measured = tenant["id"]
                key = (
                    await tenants.create_api_key(conn, tenant["id"], name="b", scopes=["admin"])
                ).key
        for rows, tag_rows in generate(rng, tenant["id"], n, now):
            if url.startswith("postgresql"):
                await _copy(url, rows, tag_rows)
                continue
            async with transaction(engine, write=True) as conn:
                await conn.execute(insert(contacts), rows)
                if tag_rows:
                    await conn.execute(insert(contact_tags), tag_rows)
    async with transaction(engine, write=True) as conn:
        for _, ddl in rebuild:
            await conn.execute(text(ddl))
        await conn.execute(text("ANALYZE"))
    if url.startswith("postgresql"):  # what autovacuum does after a bulk load (as bench.setup)
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE contacts"))
            await conn.execute(text("VACUUM ANALYZE contact_tags"))
    await engine.dispose()
    assert measured is not None
    return measured, key


async def measure(engine_name: str, n: int, runs: int, keep: bool = False) -> list[dict[str, Any]]:
    url = _url(engine_name)
    kept = await _kept(url, n) if keep else None
    if kept is not None:
        tenant_id, key, fill_s = kept
    else:
        url = await _pg_recreate() if engine_name == "postgresql" else _sqlite_fresh()
        started = time.perf_counter()
        tenant_id, key = await fill(url, n)
        fill_s = time.perf_counter() - started
        if keep:
            await _remember(url, n, tenant_id, key, fill_s)
    settings = Settings(database_url=url, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings)
    figures: list[dict[str, Any]] = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://bench",
            headers={"Authorization": f"Bearer {key}"},
        ) as http:

            async def measure_case(case: str, expr: Any, hand: dict[str, str]) -> None:
                """One filter: its segment through the app against its hand-written SQL."""
                made = await http.post(
                    "/v1/segments", json={"name": f"B6 {uuid.uuid4()}", "filter": expr}
                )
                assert made.status_code == 201, made.text
                segment_id = made.json()["id"]
                dialect = "postgresql" if engine_name == "postgresql" else "sqlite"
                forms = (
                    ["postgresql", "postgresql_array"] if dialect == "postgresql" else ["sqlite"]
                )
                statements = {
                    form: (
                        text(f"SELECT count(*) FROM contacts c WHERE {hand[form]}"),
                        text(
                            f"SELECT c.* FROM contacts c WHERE {hand[form]} "
                            "ORDER BY c.created_at DESC, c.id DESC LIMIT 51"
                        ),
                    )
                    for form in forms
                }

                async def ours() -> tuple[int, list[str]]:
                    got = await http.get(f"/v1/segments/{segment_id}")
                    page = await http.get(f"/v1/segments/{segment_id}/contacts")
                    assert got.status_code == 200 and page.status_code == 200
                    return got.json()["contact_count"], [c["id"] for c in page.json()["data"]]

                async def baseline(form: str) -> tuple[int, list[str]]:
                    count_sql, page_sql = statements[form]
                    now = datetime.now(UTC)
                    params: dict[str, Any] = {
                        "tenant": tenant_id if dialect == "postgresql" else tenant_id.hex,
                        "cutoff": now - timedelta(days=365),
                        "now": now,
                    }
                    if dialect == "sqlite":
                        fmt = "%Y-%m-%d %H:%M:%S.%f"
                        params["cutoff"] = params["cutoff"].replace(tzinfo=None).strftime(fmt)
                        params["now"] = params["now"].replace(tzinfo=None).strftime(fmt)
                    async with transaction(app.state.engine, write=False) as conn:
                        # Planned for its values every time, as Roster's own statements are
                        # (a generic plan after the fifth execution tripled its time).
                        await custom_plans(conn)
                        count = (await conn.execute(count_sql, params)).scalar_one()
                        rows = (await conn.execute(page_sql, params)).all()
                    return int(count), [str(uuid.UUID(str(r.id))) for r in rows[:50]]

                principal = Principal(
                    tenant_id=tenant_id,
                    scopes=frozenset({"admin", "contacts:read", "contacts:write"}),
                    credential_id=uuid.uuid4(),
                    default_region="US",
                    rate_limit=None,
                )

                async def ours_sql() -> tuple[int, list[str]]:
                    """The same work below HTTP: compile the stored filter, count, first page."""
                    async with transaction(app.state.engine, write=False) as conn:
                        row = await segment_service.get(
                            conn, principal, uuid.UUID(segment_id), default_region="US"
                        )
                        page = await segment_service.contacts(
                            conn,
                            principal,
                            uuid.UUID(segment_id),
                            sort="-created_at",
                            paging=PageRequest(limit=50),
                            cursors=app.state.cursors,
                            include_total=False,
                            default_region="US",
                        )
                    return row["contact_count"], [str(r["id"]) for r in page.rows]

                first_ours = await ours()  # warm-up + agreement
                for form in forms:
                    assert await baseline(form) == first_ours, f"{case}: ours and {form} disagree"
                assert await ours_sql() == first_ours
                times: dict[str, list[float]] = {"ours": [], "ours_sql": []}
                times.update({form: [] for form in forms})
                runners: list[tuple[str, Any]] = [("ours", ours), ("ours_sql", ours_sql)]
                runners += [(form, partial(baseline, form)) for form in forms]
                for _ in range(runs):
                    for name, fn in runners:
                        t0 = time.perf_counter()
                        await fn()
                        times[name].append((time.perf_counter() - t0) * 1000)
                medians = {form: statistics.median(times[form]) for form in forms}
                best = min(forms, key=lambda form: medians[form])
                base_ms = medians[best]
                for figure, label in (
                    ("segment_count_and_first_page_http", "ours"),
                    ("segment_count_and_first_page_service", "ours_sql"),
                ):
                    ours_ms = statistics.median(times[label])
                    figures.append(
                        {
                            "scenario": "B6",
                            "figure": figure,
                            "case": case,
                            "engine": engine_name,
                            "contacts_per_tenant": n,
                            "tenants": 2,
                            "matched": first_ours[0],
                            "runs": runs,
                            "ours_ms_median": round(ours_ms, 2),
                            "baseline_ms_median": round(base_ms, 2),
                            "baseline_form": best,
                            "baseline_forms_ms": {
                                form: round(ms, 2) for form, ms in medians.items()
                            },
                            "ratio": round(ours_ms / base_ms, 3),
                            "target_ratio": 1.25,
                            "fill_seconds": round(fill_s, 1),
                            "date": datetime.now(UTC).isoformat(timespec="seconds"),
                        }
                    )

            for case, (expr, hand) in CASES.items():
                await measure_case(case, expr, hand)
    if engine_name == "postgresql" and not keep:
        await _pg_drop()
    return figures


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="contacts per tenant")
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--keep", action="store_true", help="keep (and reuse) the database")
    args = parser.parse_args()
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    for name in engines:
        for figure in await measure(name, args.n, args.runs, args.keep):
            print(json.dumps(figure), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
