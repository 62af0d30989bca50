"""Migration 0003 computes search_text/sort_name for contacts that existed before it and builds
the SQLite FTS5 index over them (PostgreSQL's indexes are exercised by every other test)."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine as create_sync_engine

from roster.migrate import alembic_config


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
