"""``roster db backup`` and ``roster db restore``: a consistent copy of the whole database,
taken while the service runs, and its return.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies the database page by
page as one consistent snapshot while writers go on; restore checks the copy
(``PRAGMA integrity_check``) and swaps it in atomically. PostgreSQL: ``pg_dump`` in its
custom format (one snapshot) and ``pg_restore --clean``, the tools the server ships.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from roster.system.repository import sqlite_copy, sqlite_integrity


class BackupError(Exception):
    """A backup or restore that could not be done; the message says what to do."""


@dataclass(frozen=True, slots=True)
class Target:
    """Where the database lives: a SQLite file, or a PostgreSQL URL for libpq's tools."""

    sqlite_path: Path | None
    libpq_url: str | None
    password: str | None = None


def target(url: str) -> Target:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise BackupError("an in-memory SQLite database cannot be backed up")
        return Target(Path(parsed.database), None)
    plain = parsed.set(drivername="postgresql", password=None)
    return Target(None, plain.render_as_string(hide_password=False), parsed.password)


def backup(url: str, destination: Path) -> int:
    """Write a consistent copy of the database to ``destination``; its size in bytes.
    Written beside the destination first and renamed, so a failure leaves no partial file."""
    where = target(url)
    destination = destination.resolve()
    if destination.exists():
        raise BackupError(f"{destination} exists; choose a new file name")
    partial = destination.with_name(destination.name + ".partial")
    try:
        if where.sqlite_path is not None:
            _sqlite_backup(where.sqlite_path, partial)
        else:
            assert where.libpq_url is not None
            _run(
                [
                    "pg_dump",
                    "--format=custom",
                    "--no-owner",
                    f"--file={partial}",
                    f"--dbname={where.libpq_url}",
                ],
                "pg_dump",
                where.password,
            )
        partial.rename(destination)
    finally:
        partial.unlink(missing_ok=True)
    return destination.stat().st_size


def restore(url: str, source: Path) -> None:
    """Replace the database's contents with the backup in ``source``. Stop every Roster
    process on the database first: they would keep writing to what is being replaced."""
    where = target(url)
    if not source.is_file():
        raise BackupError(f"no backup file at {source}")
    if where.sqlite_path is not None:
        _sqlite_restore(source, where.sqlite_path)
    else:
        assert where.libpq_url is not None
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={where.libpq_url}",
                str(source),
            ],
            "pg_restore",
            where.password,
        )


def _sqlite_backup(database: Path, partial: Path) -> None:
    if not database.is_file():
        raise BackupError(f"no database at {database}")
    # A backup is one self-contained file: no WAL beside it.
    sqlite_copy(database, partial)


def _sqlite_restore(source: Path, database: Path) -> None:
    try:
        verdict = sqlite_integrity(source)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{source} is not a SQLite database ({exc})") from None
    if verdict != "ok":
        raise BackupError(f"{source} failed its integrity check: {verdict or '?'}")
    database.parent.mkdir(parents=True, exist_ok=True)
    staged = database.with_name(database.name + ".restoring")
    shutil.copyfile(source, staged)
    # The old WAL and shared-memory files belong to the database being replaced.
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    os.replace(staged, database)


def _run(command: list[str], tool: str, password: str | None) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{tool} is not installed; install PostgreSQL's client tools (Debian: "
            "postgresql-client) in the version of the server"
        )
    # The password goes in the environment, never on a command line others can read.
    env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
    # A list of arguments, no shell: the URL is the operator's own setting.
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise BackupError(f"{tool} failed: {last}")
