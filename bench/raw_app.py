"""The B1/B2 baseline: a bare ASGI app on the same server (uvicorn) and driver (asyncpg or
aiosqlite) running the same SQL as Roster, credential check included, and answering the
same JSON (rendered by the same function). Run: uvicorn bench.raw_app:app, RAW_DB_URL set."""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

from roster.auth.keys import hash_key
from roster.contacts import fields, query, render
from roster.kit.timeutil import utcnow

URL = os.environ["RAW_DB_URL"]
PG = URL.startswith("postgresql")
CRED = (
    "SELECT k.id, k.tenant_id, k.scopes, k.revoked_at, k.expires_at, t.default_region "
    "FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE k.key_hash = {p1}"
)
GET = "SELECT * FROM contacts WHERE tenant_id = {p1} AND id = {p2} AND deleted_at IS NULL"
db: Any = None
WRITE_LOCK = asyncio.Lock()


def sql(text: str) -> str:
    return text.format(p1="$1", p2="$2") if PG else text.format(p1="?", p2="?")


def row_of(record: Any) -> dict[str, Any]:
    """A database row as Python values (what SQLAlchemy's types give Roster)."""
    row = dict(record)
    for k in ("tags", "custom_fields"):
        row[k] = orjson.loads(row[k])
    if not PG:
        row["id"] = uuid.UUID(row["id"])
        for k in ("created_at", "updated_at", "deleted_at"):
            if row[k] is not None:
                row[k] = datetime.fromisoformat(row[k]).replace(tzinfo=UTC)
    return row


async def fetch(query_text: str, *args: Any) -> Any:
    if PG:
        async with db.acquire() as conn:
            return await conn.fetchrow(query_text, *args)
    async with db.execute(query_text, args) as cursor:
        return await cursor.fetchone()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    global db
    if scope["type"] == "lifespan":
        await receive()
        if PG:
            import asyncpg

            db = await asyncpg.create_pool(URL.replace("+asyncpg", ""), min_size=10, max_size=20)
        else:
            import aiosqlite

            db = await aiosqlite.connect(URL.split(":///", 1)[1])
            db.row_factory = aiosqlite.Row
            await db.execute("PRAGMA journal_mode=WAL")
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
        return
    status, body = await handle(scope, receive)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def handle(scope: dict[str, Any], receive: Any) -> tuple[int, bytes]:
    headers = dict(scope["headers"])
    token = headers.get(b"authorization", b"").decode().removeprefix("Bearer ")
    cred = await fetch(sql(CRED), hash_key(token))
    if cred is None or cred["revoked_at"] is not None:
        return 401, b'{"code":"unauthorized"}'
    tenant = cred["tenant_id"]
    parts = scope["path"].strip("/").split("/")
    if scope["method"] == "GET" and len(parts) == 3:
        contact_id = uuid.UUID(parts[2])
        record = await fetch(sql(GET), tenant, contact_id if PG else contact_id.hex)
        if record is None:
            return 404, b'{"code":"not_found"}'
        return 200, orjson.dumps(render.contact(row_of(record)))
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    if not body:  # a connection wrk cut at the end of the run
        return 400, b'{"code":"invalid_request"}'
    patch = orjson.loads(body)
    region = cred["default_region"] or "US"
    if scope["method"] == "PATCH":
        return await update(tenant, uuid.UUID(parts[2]), patch, region)
    return await insert(tenant, fields.apply(fields.blank(), patch, region))


def db_args(row: dict[str, Any]) -> list[Any]:
    """Values in the form each driver stores (JSON text; on SQLite hex ids and fixed text times)."""
    args = [
        orjson.dumps(v).decode() if k in ("tags", "custom_fields") else v for k, v in row.items()
    ]
    if PG:
        return args
    return [
        a.hex
        if isinstance(a, uuid.UUID)
        else a.strftime("%Y-%m-%d %H:%M:%S.%f")
        if isinstance(a, datetime)
        else a
        for a in args
    ]


def marks(n: int, start: int = 1) -> list[str]:
    return [f"${i}" if PG else "?" for i in range(start, start + n)]


async def in_transaction(work: Any) -> Any:
    """Run ``work(execute, fetchrow)`` in one write transaction."""
    if PG:
        async with db.acquire() as conn, conn.transaction():
            return await work(conn.execute, conn.fetchrow)
    async with WRITE_LOCK:  # one connection: one write transaction at a time
        await db.execute("BEGIN IMMEDIATE")
        try:

            async def execute(sql_text: str, *args: Any) -> None:
                await db.execute(sql_text, args)

            async def fetchrow(sql_text: str, *args: Any) -> Any:
                async with db.execute(sql_text, args) as cursor:
                    return await cursor.fetchone()

            result = await work(execute, fetchrow)
        except BaseException:
            await db.rollback()
            raise
        await db.commit()
        return result


async def add_tags(
    execute: Any, tenant: Any, contact_id: uuid.UUID, created_at: datetime, tags: Any
) -> None:
    for tag in tags:
        await execute(
            "INSERT INTO contact_tags (tenant_id, contact_id, tag, created_at) "
            f"VALUES ({', '.join(marks(4))})",
            *db_args(
                {
                    "tenant_id": tenant,
                    "contact_id": contact_id,
                    "tag": tag,
                    "created_at": created_at,
                }
            ),
        )


async def insert(tenant: Any, values: dict[str, Any]) -> tuple[int, bytes]:
    now = utcnow()
    row = {
        **values,
        **query.derived(values),
        "tenant_id": tenant,
        "id": uuid.uuid4(),
        "created_at": now,
        "updated_at": now,
        "version": 1,
        "deleted_at": None,
    }
    statement = f"INSERT INTO contacts ({', '.join(row)}) VALUES ({', '.join(marks(len(row)))})"

    async def work(execute: Any, fetchrow: Any) -> None:
        await execute(statement, *db_args(row))
        await add_tags(execute, tenant, row["id"], row["created_at"], row["tags"])

    await in_transaction(work)
    return 201, orjson.dumps(render.contact(row))


async def update(tenant: Any, contact_id: uuid.UUID, patch: Any, region: str) -> tuple[int, bytes]:
    async def work(execute: Any, fetchrow: Any) -> tuple[int, bytes]:
        lock = " FOR UPDATE" if PG else ""
        record = await fetchrow(sql(GET) + lock, tenant, contact_id if PG else contact_id.hex)
        if record is None:
            return 404, b'{"code":"not_found"}'
        current = row_of(record)
        new = fields.apply(current, patch, region)
        if not fields.changed(current, new):
            return 200, orjson.dumps(render.contact(current))
        values = {
            **new,
            **query.derived(new),
            "version": current["version"] + 1,
            "updated_at": utcnow(),
        }
        sets = ", ".join(f"{k} = {m}" for k, m in zip(values, marks(len(values)), strict=True))
        where = " AND ".join(
            f"{k} = {m}"
            for k, m in zip(("tenant_id", "id"), marks(2, len(values) + 1), strict=True)
        )
        await execute(
            f"UPDATE contacts SET {sets} WHERE {where}",
            *db_args({**values, "tenant_id": tenant, "id": contact_id}),
        )
        gone = set(current["tags"]) - set(new["tags"])
        delete = "DELETE FROM contact_tags WHERE tenant_id = {} AND contact_id = {} AND tag = {}"
        for tag in gone:
            await execute(
                delete.format(*marks(3)), tenant, contact_id if PG else contact_id.hex, tag
            )
        added = sorted(set(new["tags"]) - set(current["tags"]))
        await add_tags(execute, tenant, contact_id, current["created_at"], added)
        return 200, orjson.dumps(render.contact({**current, **values}))

    result: tuple[int, bytes] = await in_transaction(work)
    return result
