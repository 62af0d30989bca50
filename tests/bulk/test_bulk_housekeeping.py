"""What bulk writes do around the rows themselves: the collector paused while a chunk is
validated or written, and imports refreshing the planner's statistics as a tenant grows."""

from __future__ import annotations

import gc
import threading
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text

from roster.bulk import repository, statistics
from roster.bulk.writer import gc_paused
from tests.conftest import Env
from tests.helpers.jobs import import_csv


def test_the_collector_comes_back_when_the_last_overlapping_pause_ends() -> None:
    assert gc.isenabled()
    first, second = gc_paused(), gc_paused()
    first.__enter__()
    assert not gc.isenabled()
    second.__enter__()
    first.__exit__(None, None, None)
    assert not gc.isenabled()  # the second pause is still on
    second.__exit__(None, None, None)
    assert gc.isenabled()


def test_a_pause_ends_when_its_block_raises_and_works_across_threads() -> None:
    with pytest.raises(ValueError), gc_paused():
        raise ValueError
    assert gc.isenabled()
    inside: list[bool] = []

    def validate() -> None:
        with gc_paused():
            inside.append(gc.isenabled())

    workers = [threading.Thread(target=validate) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert inside == [False] * 8
    assert gc.isenabled()


def test_a_collector_switched_off_elsewhere_stays_off() -> None:
    gc.disable()
    try:
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    finally:
        gc.enable()


async def test_an_import_refreshes_the_statistics_as_the_tenant_grows(
    env: Env, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(statistics, "FIRST_ROWS", 2)
    monkeypatch.setattr(env.settings, "import_chunk_rows", 2)
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("ANALYZE"):
            seen.append(statement)

    engine = env.app.state.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        rows = "".join(f"p{i}@example.com\n" for i in range(9))
        done = await import_csv(env, client, "email\n" + rows)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert done["status"] == "completed" and done["created"] == 9, done
    if env.name == "postgresql":
        # After 2 written rows, then 4, then 8: three times for nine rows.
        # Only the columns the look-ups and foreign key checks are planned on.
        assert seen == [repository.COLUMNS] * 3
        assert "contacts (tenant_id, id, deleted_at, phone, email_key" in seen[0]
        async with env.app.state.engine.connect() as conn:
            analysed = await conn.scalars(
                text("SELECT attname FROM pg_stats WHERE tablename = 'contacts'")
            )
            assert {"tenant_id", "email_key"} <= set(analysed)
    else:
        assert seen == []
