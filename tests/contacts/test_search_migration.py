"""Migrations that fill what existing rows lack: 0003 computes search_text/sort_name and builds
the SQLite FTS5 index over them (PostgreSQL's indexes are exercised by every other test);
0012 gives tag rows their contact's creation time."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import text

from roster.app import create_app
from roster.config import Settings
from roster.kit.db import create_engine, transaction
from roster.kit.timeutil import rfc3339
from roster.migrate import alembic_config, upgrade
from roster.tenants import service as tenants
from tests.conftest import Env, new_database


def _upgrade(url: str, target: str) -> None:
    engine = create_sync_engine(url)
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, target)
    engine.dispose()


def test_existing_contacts_are_backfilled_and_searchable(tmp_path: Path):
    path = tmp_path / "old.db"
    url = f"sqlite:///{path}"
    _upgrade(url, "0001")
    tenant, contact = uuid.uuid4().hex, uuid.uuid4().hex
    db = sqlite3.connect(path)
    db.execute(
        "INSERT INTO tenants (id, name, created_at) VALUES (?, 't', '2026-01-01 00:00:00.000000')",
        (tenant,),
    )
    db.execute(
        "INSERT INTO contacts (tenant_id, id, name, first_name, last_name, phone, email, company,"
        " source, tags, custom_fields, created_at, updated_at, version) VALUES (?, ?, "
        "'Ada Lovelace', 'Ada', 'Lovelace', '+442071838750', 'Ada@Example.com', 'Engines', "
        "'api', '[]', '{}', '2026-01-01 00:00:00.000000', '2026-01-01 00:00:00.000000', 1)",
        (tenant, contact),
    )
    db.commit()
    db.close()

    _upgrade(url, "head")

    db = sqlite3.connect(path)
    text, sort_name = db.execute("SELECT search_text, sort_name FROM contacts").fetchone()
    assert sort_name == "ada lovelace"
    assert "ada@example.com" in text and "442071838750" in text and "engines" in text
    found = db.execute(
        "SELECT count(*) FROM contacts_fts WHERE contacts_fts MATCH '\"1838750\"'"
    ).fetchone()
    assert found == (1,)
    db.close()


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """The URL of a database with no schema yet, on each engine."""
    async with new_database("roster_migration", tmp_path, request.param) as url:
        yield url


async def test_existing_tags_take_their_contacts_creation_time(empty_database: str, tmp_path: Path):
    """Migration 0012 fills contact_tags.created_at from the contacts, and the listing then
    pages a tag with a q in creation order through it."""
    settings = Settings(  # type: ignore[call-arg]
        database_url=empty_database, data_dir=tmp_path, embedded_relay=False, _env_file=None
    )
    engine = create_engine(settings.url)
    await upgrade(engine, "0011_events_wake_relay")
    async with transaction(engine, write=True) as conn:
        tenant = await tenants.create_tenant(conn, "t", "US")
        key = (await tenants.create_api_key(conn, tenant["id"], name="k", scopes=["admin"])).key
    pg = engine.dialect.name == "postgresql"
    born = [datetime(2026, 1, day, 12, 0, tzinfo=UTC) for day in (3, 1, 2)]
    ids = [uuid.uuid4() for _ in born]
    async with transaction(engine, write=True) as conn:
        for n, (contact, at) in enumerate(zip(ids, born, strict=True)):
            stamp = at if pg else at.strftime("%Y-%m-%d %H:%M:%S.%f")
            owner, ident = (tenant["id"], contact) if pg else (tenant["id"].hex, contact.hex)
            await conn.execute(
                text(
                    "INSERT INTO contacts (tenant_id, id, name, phone, search_text, "
                    "sort_name, source, status, tags, custom_fields, created_at, "
                    "updated_at, version) VALUES (:t, :i, :name, :phone, :search, "
                    ":name, 'api', 'lead', '[\"vip\"]', '{}', :at, :at, 1)"
                ),
                {
                    "t": owner,
                    "i": ident,
                    "name": f"mara {n}",
                    "phone": f"+1415555000{n}",
                    "search": f"mara {n}",
                    "at": stamp,
                },
            )
            await conn.execute(
                text(
                    "INSERT INTO contact_tags (tenant_id, contact_id, tag) VALUES (:t, :i, 'vip')"
                ),
                {"t": owner, "i": ident},
            )

    await upgrade(engine)

    async with transaction(engine, write=False) as conn:
        rows = (await conn.execute(text("SELECT contact_id, created_at FROM contact_tags"))).all()
    filled = {str(uuid.UUID(str(r[0]))): r[1] for r in rows}
    for contact, at in zip(ids, born, strict=True):
        stored = filled[str(contact)]
        expected = at if pg else at.strftime("%Y-%m-%d %H:%M:%S.%f")
        assert stored == expected
    await engine.dispose()

    app = create_app(settings)
    http_client = Env(engine.dialect.name, app, settings).client(key)
    async with app.router.lifespan_context(app), http_client as http:
        seen, cursor = [], None
        while True:
            params = {"tag": "vip", "q": "mara", "limit": 1}
            if cursor:
                params["cursor"] = cursor
            body = (await http.get("/v1/contacts", params=params)).json()
            seen += [row["created_at"] for row in body["data"]]
            cursor = body["next_cursor"]
            if not body["has_more"]:
                break
    assert seen == [rfc3339(at) for at in sorted(born, reverse=True)]
