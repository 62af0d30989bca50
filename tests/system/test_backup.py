"""`roster db backup` while writes run, and `roster db restore` into a new database: the
restored database is consistent (every contact with the event its transaction wrote), on
both engines, through the real commands in processes of their own."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from roster.config import Settings
from roster.kit.db import create_engine, transaction
from roster.models import contacts, events
from roster.tenants import service as tenants
from tests.conftest import Env, new_database


def _env(url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROSTER_")}
    env.update(ROSTER_DATABASE_URL=url, ROSTER_DATA_DIR=str(data_dir))
    return env


async def _roster(url: str, data_dir: Path, *args: str) -> tuple[int, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "roster",
        *args,
        env=_env(url, data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return int(process.returncode or 0), out.decode()


async def _counts(url: str, tenant_id: uuid.UUID) -> tuple[int, int]:
    engine = create_engine(Settings(_env_file=None, database_url=url).url)  # type: ignore[call-arg]
    try:
        async with transaction(engine, write=False) as conn:
            made = (
                await conn.execute(
                    select(func.count())
                    .select_from(contacts)
                    .where(contacts.c.tenant_id == tenant_id)
                )
            ).scalar_one()
            told = (
                await conn.execute(
                    select(func.count())
                    .select_from(events)
                    .where(events.c.tenant_id == tenant_id, events.c.type == "contact.created")
                )
            ).scalar_one()
    finally:
        await engine.dispose()
    return int(made), int(told)


async def test_a_backup_taken_during_writes_restores_consistently(env: Env, tmp_path: Path) -> None:
    tenant_id, _ = await env.tenant()
    async with transaction(env.app.state.engine, write=True) as conn:
        # The writers go as fast as they can: a limit far above what they reach.
        key = (
            await tenants.create_api_key(
                conn, tenant_id, name="writer", scopes=["admin"], rate_limit="1000000/minute"
            )
        ).key
    source = env.settings.database_url
    assert source is not None
    backup_file = tmp_path / "roster.backup"
    writing = True

    async def write() -> int:
        written = 0
        async with env.client(key) as http:
            while writing:
                r = await http.post(
                    "/v1/contacts", json={"email": f"{uuid.uuid4().hex}@example.com"}
                )
                assert r.status_code == 201, r.text
                written += 1
        return written

    writers = [asyncio.create_task(write()) for _ in range(3)]
    await asyncio.sleep(0.3)
    code, out = await _roster(source, tmp_path, "db", "backup", str(backup_file))
    writing = False
    written = sum(await asyncio.gather(*writers))
    assert code == 0, out
    assert "backed up to" in out and backup_file.stat().st_size > 0
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".partial")]

    # Taking it again over an existing file is refused, and leaves the file alone.
    size = backup_file.stat().st_size
    code, out = await _roster(source, tmp_path, "db", "backup", str(backup_file))
    assert code == 1 and "exists" in out and "Traceback" not in out
    assert backup_file.stat().st_size == size

    async with new_database("roster_restore", tmp_path, env.name) as restored:
        code, out = await _roster(restored, tmp_path, "db", "restore", "--yes", str(backup_file))
        assert code == 0, out
        made, told = await _counts(restored, tenant_id)
    assert made == told, (made, told)
    assert 0 < made <= written, (made, written)


async def test_restore_refuses_what_is_not_a_backup(env: Env, tmp_path: Path) -> None:
    if env.name != "sqlite":
        pytest.skip("pg_restore's own message is passed on; SQLite's check is ours")
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"not a database" * 100)
    target = f"sqlite:///{tmp_path / 'target.db'}"
    code, out = await _roster(target, tmp_path, "db", "restore", "--yes", str(junk))
    assert code == 1 and "not a SQLite database" in out and "Traceback" not in out
    code, out = await _roster(target, tmp_path, "db", "restore", "--yes", str(tmp_path / "no"))
    assert code == 1 and "no backup file" in out
