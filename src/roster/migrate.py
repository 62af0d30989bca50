"""Bring a database to the newest schema, safely from several processes at once."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant works; it names the lock that serialises concurrent upgrades on PostgreSQL.
_ADVISORY_LOCK = 727_1001


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url)
    return config


def _upgrade(connection: Connection, target: str) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, target)


async def upgrade(engine: AsyncEngine, target: str = "head") -> None:
    """Apply every pending migration up to ``target`` (tests stop earlier to write rows an
    older schema had) in one transaction (both engines have transactional DDL)."""
    async with engine.connect() as conn:
        await conn.execution_options(roster_write=True)
        async with conn.begin():
            await conn.run_sync(_upgrade, target)
