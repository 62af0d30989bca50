"""The system's own database calls: the readiness probe, and the SQLite file copy and check
behind ``roster db backup`` and ``roster db restore`` (through Python's ``sqlite3``)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection


async def ping(conn: AsyncConnection) -> None:
    """A trivial query: the database answers."""
    await conn.execute(text("SELECT 1"))


def sqlite_copy(database: Path, copy_to: Path) -> None:
    """Copy the SQLite database at ``database`` into the new file ``copy_to`` with the
    online backup API (one consistent snapshot while writers go on), as one file with no
    WAL beside it."""
    source = sqlite3.connect(database)
    copy = sqlite3.connect(copy_to)
    try:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")
    finally:
        copy.close()
        source.close()


def sqlite_integrity(path: Path) -> str | None:
    """``PRAGMA integrity_check`` of the SQLite file ``path``, read-only: "ok" when sound,
    else the first problem (None when it reports nothing). Raises ``sqlite3.DatabaseError``
    when the file is no SQLite database."""
    check = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        verdict = check.execute("PRAGMA integrity_check").fetchone()
    finally:
        check.close()
    return str(verdict[0]) if verdict else None
