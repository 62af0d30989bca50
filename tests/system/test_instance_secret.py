"""The instance secret (cursors, keyed hashes of erased identifiers) is read once per
process and then kept, but only once it is committed: one made by a transaction that rolls
back is never used again (on both engines, each on a database of its own)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from roster.config import Settings
from roster.kit.db import create_engine, transaction
from roster.migrate import upgrade
from roster.tenants.service import instance_secret
from tests.conftest import new_database


class _Abort(Exception):
    pass


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
async def test_the_instance_secret_is_kept_once_committed(engine_name: str, tmp_path: Path) -> None:
    async with new_database("roster_secret", tmp_path, engine_name) as url:
        settings = Settings(database_url=url, data_dir=tmp_path, _env_file=None)  # type: ignore[call-arg]
        engine = create_engine(settings.url)
        statements: list[str] = []

        def seen(*args: Any) -> None:
            statements.append(args[2])

        try:
            await upgrade(engine)
            event.listen(engine.sync_engine, "before_cursor_execute", seen)
            with pytest.raises(_Abort):
                async with transaction(engine, write=True) as conn:
                    made = await instance_secret(conn)
                    assert await instance_secret(conn) == made  # read back, uncommitted
                    raise _Abort
            async with transaction(engine, write=True) as conn:
                kept = await instance_secret(conn)
            assert kept != made  # the rolled-back one was not kept
            async with transaction(engine, write=False) as conn:
                assert await instance_secret(conn) == kept
            before = len(statements)
            async with transaction(engine, write=False) as conn:
                assert await instance_secret(conn) == kept
            # Kept: not read from the database again.
            assert [s for s in statements[before:] if "instance_settings" in s] == []
        finally:
            await engine.dispose()
