"""``roster db upgrade|backup|restore`` and ``roster sweep``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from roster.cli.base import app, console, db_app, local, settings
from roster.cli.errors import CliError
from roster.kit.db import create_engine
from roster.migrate import upgrade


async def _nothing(_: Any) -> None:
    return None


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    local(settings(), _nothing)
    console.print("database is up to date")


@db_app.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write (must not exist)")],
) -> None:
    """Write a consistent copy of the database while the service runs (SQLite: the online
    backup API; PostgreSQL: pg_dump's custom format)."""
    from roster.system.backup import BackupError, backup

    try:
        size = backup(settings().url, file)
    except BackupError as exc:
        raise CliError(f"backup failed: {exc}") from None
    console.print(f"backed up to {file} ({size:,} bytes)")


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A file written by 'roster db backup'")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Replace the database with a backup. Stop every Roster process on it first."""
    from roster.system.backup import BackupError, restore

    current = settings()
    if not yes:
        typer.confirm(
            "This replaces every row of the database with the backup. Every Roster process "
            "using it must be stopped. Continue?",
            abort=True,
        )
    try:
        restore(current.url, file)
    except BackupError as exc:
        raise CliError(f"restore failed: {exc}") from None
    local(current, _nothing)  # a backup of an older version is migrated forward
    console.print(f"restored from {file}; the database is up to date")


@app.command()
def sweep() -> None:
    """Delete Idempotency-Key records older than the retention (ROSTER_IDEMPOTENCY_TTL)."""
    from roster.idempotency import sweep as sweep_keys

    current = settings()

    async def main() -> int:
        engine = create_engine(current.url, pool_size=1)
        try:
            await upgrade(engine)
            return await sweep_keys(engine, current.idempotency_ttl)
        finally:
            await engine.dispose()

    if current.is_sqlite:
        current.data_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"deleted {asyncio.run(main())} expired idempotency keys")
