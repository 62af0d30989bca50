"""``roster db distribute``: the schema distributed by tenant on a Citus coordinator."""

from __future__ import annotations

from typing import Any

from roster.cli.base import console, db_app, local, settings
from roster.cli.errors import CliError
from roster.migrations.distribution import NotDistributable, distribute


@db_app.command("distribute")
def db_distribute() -> None:
    """Citus: make tenants, api_keys and instance_settings reference tables and distribute
    every tenant table by tenant_id, colocated (on the coordinator, after the workers were
    added). Migrates first; running it again changes nothing."""
    current = settings()
    if current.is_sqlite:
        raise CliError(
            "SQLite cannot be distributed: Citus runs on PostgreSQL",
            hint="set ROSTER_DATABASE_URL to the Citus coordinator's database",
        )

    async def work(conn: Any) -> list[str]:
        return list(await conn.run_sync(distribute))

    try:
        done = local(current, work)
    except NotDistributable as exc:
        raise CliError(str(exc)) from None
    for line in done:
        console.print(line)
    console.print("the database is distributed" if done else "the database was distributed")
