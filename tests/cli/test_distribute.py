"""``roster db distribute``: the plan it follows on the migrated schema, and its refusal on
SQLite and on PostgreSQL without Citus (the suite has no Citus server; the statements a
distributed database refuses are kept out by tests/kit/test_distributable.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import inspect

from roster.migrations.distribution import (
    REFERENCE_TABLES,
    create_tenant_table,
    distribute_new_table,
    plan,
)
from roster.models import metadata
from tests.cli.test_serve import cli_env
from tests.conftest import Env


async def test_every_tenant_table_is_placed_after_what_it_refers_to(env: Env) -> None:
    engine = env.app.state.engine
    async with engine.connect() as conn:
        reference, ordered = await conn.run_sync(plan)
        foreign = await conn.run_sync(
            lambda sync: {name: inspect(sync).get_foreign_keys(name) for name in ordered}
        )
        # On plain PostgreSQL and SQLite the migrations' helper does nothing.
        await conn.run_sync(distribute_new_table, "contacts")
    assert reference == list(REFERENCE_TABLES)
    tenant_tables = {t.name for t in metadata.sorted_tables if "tenant_id" in t.c}
    assert set(ordered) == tenant_tables - set(REFERENCE_TABLES)
    for position, name in enumerate(ordered):
        for key in foreign[name]:
            target = key["referred_table"]
            if target in ordered and target != name:
                assert ordered.index(target) < position, (name, target)
            else:
                assert target in (*REFERENCE_TABLES, name), (name, target)


def _create_probe(sync: sa.Connection) -> list[dict[str, object]]:
    """A tenant table made as a migration makes one, its foreign keys, then it dropped."""
    with Operations.context(MigrationContext.configure(sync)):
        create_tenant_table(
            "probes",
            sa.Column("tenant_id", sa.Uuid(), nullable=False),
            sa.Column("id", sa.Uuid(), nullable=False),
            sa.Column("contact_id", sa.Uuid(), nullable=False),
            sa.ForeignKeyConstraint(["tenant_id"], ["tenants.id"], ondelete="CASCADE"),
            sa.ForeignKeyConstraint(
                ["tenant_id", "contact_id"],
                ["contacts.tenant_id", "contacts.id"],
                name="fk_probes_contact",
                ondelete="CASCADE",
            ),
            sa.PrimaryKeyConstraint("tenant_id", "id"),
        )
    keys = inspect(sync).get_foreign_keys("probes")
    sync.execute(sa.text("DROP TABLE probes"))
    return keys  # type: ignore[return-value]


async def test_a_new_tenant_table_keeps_its_foreign_keys_when_not_distributed(env: Env) -> None:
    async with env.app.state.engine.begin() as conn:
        keys = await conn.run_sync(_create_probe)
    found = {(key["referred_table"], tuple(key["constrained_columns"])) for key in keys}
    assert found == {("tenants", ("tenant_id",)), ("contacts", ("tenant_id", "contact_id"))}


def _distribute(data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "roster", "db", "distribute"],
        env=cli_env(data_dir, **env),
        capture_output=True,
        text=True,
        cwd=data_dir,
        timeout=120,
    )


def test_sqlite_is_refused(tmp_path: Path) -> None:
    done = _distribute(tmp_path)
    assert done.returncode == 1, done.stderr
    assert "SQLite cannot be distributed" in done.stderr
    assert "Traceback" not in done.stderr


async def test_postgresql_without_citus_is_refused(env: Env, tmp_path: Path) -> None:
    if env.name != "postgresql":
        pytest.skip("PostgreSQL only")
    done = _distribute(tmp_path, ROSTER_DATABASE_URL=env.settings.database_url)
    assert done.returncode == 1, done.stderr
    assert "no Citus coordinator" in done.stderr
    assert "CREATE EXTENSION citus" in done.stderr
    assert "Traceback" not in done.stderr
