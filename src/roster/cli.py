"""The ``roster`` command: serve, db upgrade, tenants and keys."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar
from uuid import UUID

import typer
from rich.console import Console

from roster.auth.scopes import ALL_SCOPES
from roster.config import Settings
from roster.kit.db import create_engine, transaction
from roster.migrate import upgrade
from roster.tenants import service as tenants

app = typer.Typer(no_args_is_help=True, add_completion=False, help="Roster contacts service")
db_app = typer.Typer(no_args_is_help=True, help="Database schema")
tenants_app = typer.Typer(no_args_is_help=True, help="Tenants")
keys_app = typer.Typer(no_args_is_help=True, help="API keys")
app.add_typer(db_app, name="db")
app.add_typer(tenants_app, name="tenants")
app.add_typer(keys_app, name="keys")
console = Console()
T = TypeVar("T")

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON for scripts")]


def _run(settings: Settings, work: Callable[[Any], Awaitable[T]]) -> T:
    """Migrate the database, then run ``work`` in one committed transaction."""
    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def main() -> T:
        engine = create_engine(settings.url, pool_size=1)
        try:
            await upgrade(engine)
            async with transaction(engine, write=True) as conn:
                return await work(conn)
        finally:
            await engine.dispose()

    return asyncio.run(main())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration."""
    settings = Settings()

    async def nothing(_: Any) -> None:
        return None

    _run(settings, nothing)
    console.print("database is up to date")


@db_app.command("backup")
def db_backup(
    file: Annotated[Path, typer.Argument(help="The backup file to write (must not exist)")],
) -> None:
    """Write a consistent copy of the database while the service runs (SQLite: the online
    backup API; PostgreSQL: pg_dump's custom format)."""
    from roster.system.backup import BackupError, backup

    try:
        size = backup(Settings().url, file)
    except BackupError as exc:
        _fail(f"backup failed: {exc}")
    console.print(f"backed up to {file} ({size:,} bytes)")


@db_app.command("restore")
def db_restore(
    file: Annotated[Path, typer.Argument(help="A file written by 'roster db backup'")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation")] = False,
) -> None:
    """Replace the database with a backup. Stop every Roster process on it first."""
    from roster.system.backup import BackupError, restore

    settings = Settings()
    if not yes:
        typer.confirm(
            "This replaces every row of the database with the backup. Every Roster process "
            "using it must be stopped. Continue?",
            abort=True,
        )
    try:
        restore(settings.url, file)
    except BackupError as exc:
        _fail(f"restore failed: {exc}")
    _run(settings, _nothing)  # a backup of an older version is migrated forward
    console.print(f"restored from {file}; the database is up to date")


def _fail(message: str) -> NoReturn:
    typer.echo(f"roster: {message}", err=True)
    raise typer.Exit(1)


async def _nothing(_: Any) -> None:
    return None


@tenants_app.command("create")
def tenants_create(
    name: str,
    region: Annotated[
        str | None, typer.Option(help="Default region for phones without '+'")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a tenant."""
    row = _run(Settings(), lambda conn: tenants.create_tenant(conn, name, region))
    if as_json:
        typer.echo(json.dumps({"id": str(row["id"]), "name": name}))
    else:
        console.print(f"tenant {row['id']} ({name})")


@keys_app.command("create")
def keys_create(
    tenant: Annotated[str, typer.Option(help="Tenant id")],
    scopes: Annotated[
        str, typer.Option(help=f"Comma-separated: {', '.join(ALL_SCOPES)}")
    ] = "admin",
    name: Annotated[str, typer.Option(help="What the key is for")] = "cli",
    as_json: JsonFlag = False,
) -> None:
    """Create an API key; it is printed once and cannot be shown again."""
    try:
        tenant_id = UUID(tenant)
    except ValueError:
        raise typer.BadParameter("not a tenant id", param_hint="--tenant") from None
    wanted = [s.strip() for s in scopes.split(",") if s.strip()]
    created = _run(
        Settings(), lambda conn: tenants.create_api_key(conn, tenant_id, name=name, scopes=wanted)
    )
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "id": str(created.id),
                    "key": created.key,
                    "scopes": created.scopes,
                    "tenant_id": str(tenant_id),
                }
            )
        )
    else:
        typer.echo(f"{created.key}  (scopes: {' '.join(created.scopes)}; shown once)")


@app.command()
def sweep() -> None:
    """Delete Idempotency-Key records older than the retention (ROSTER_IDEMPOTENCY_TTL)."""
    from roster.kit.idempotency import sweep as sweep_keys

    settings = Settings()

    async def main() -> int:
        engine = create_engine(settings.url, pool_size=1)
        try:
            await upgrade(engine)
            return await sweep_keys(engine, settings.idempotency_ttl)
        finally:
            await engine.dispose()

    if settings.is_sqlite:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    console.print(f"deleted {asyncio.run(main())} expired idempotency keys")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: ROSTER_HOST or 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option(help="Default: ROSTER_PORT or 8000")] = None,
    workers: Annotated[int | None, typer.Option(help="Server processes")] = None,
) -> None:
    """Migrate the database and serve the API. On an empty database, create a tenant and an
    admin key and print them once."""
    for env, value in (("ROSTER_HOST", host), ("ROSTER_PORT", port), ("ROSTER_WORKERS", workers)):
        if value is not None:
            os.environ[env] = str(value)
    settings = Settings()
    created = _run(settings, tenants.bootstrap)
    base = f"http://{settings.host}:{settings.port}"
    # Plain echo, not rich: the key and the curl line must never be wrapped or styled.
    if created is not None:
        typer.echo(
            f"Created tenant {created.tenant_id} and an admin API key (shown once, keep it):\n"
            f"  {created.key}\n"
            f"Try it:\n"
            f"  curl -H 'Authorization: Bearer {created.key}' {base}/v1/contacts"
        )
    else:
        typer.echo(
            "Using the existing database and its keys; create another key with "
            "'roster keys create --tenant <id> --scopes admin'."
        )
    typer.echo(f"Roster listening on {base} (API docs: {base}/docs)")

    import uvicorn

    from roster.kit.observability import log_config

    uvicorn.run(
        "roster.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=settings.log_level,
        access_log=False,
        log_config=log_config(settings.log_level),
        server_header=False,
        # With h11 (httptools has no such bound) a head over this is cut off with the
        # server's bare 400; it is set well above the app's own header limit, so that what
        # passes that limit gets the app's 431 problem, and only bounds a connection's buffer.
        h11_max_incomplete_event_size=4 * settings.max_header_bytes,
    )


@app.command()
def relay() -> None:
    """Deliver events to webhook endpoints until stopped (SIGINT or SIGTERM)."""
    import signal

    from roster.kit.heap import freeze_heap
    from roster.webhooks.relay import Relay

    settings = Settings()

    async def run() -> None:
        engine = create_engine(
            settings.url, pool_size=settings.db_pool_size, **settings.engine_options()
        )
        await upgrade(engine)
        freeze_heap()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            async with Relay(engine, settings) as relay_loop:
                typer.echo("relay running", err=True)
                await relay_loop.run(stop)
        finally:
            await engine.dispose()

    asyncio.run(run())


@app.command()
def worker() -> None:
    """Run background jobs (imports, bulk actions) until stopped (SIGINT/SIGTERM).

    Needed only beside servers with ROSTER_EMBEDDED_WORKER=false (`roster serve` runs jobs
    in-process by default)."""
    from roster.bulk import cli as bulk_cli

    asyncio.run(bulk_cli.run_worker(Settings()))


RemoteUrl = Annotated[str | None, typer.Option(help="A remote Roster server (with --key)")]
RemoteKey = Annotated[str | None, typer.Option(envvar="ROSTER_KEY", help="API key for --url")]
TenantOption = Annotated[
    str | None, typer.Option(help="Tenant id (local database; default: the only tenant)")
]


@app.command("import")
def import_file(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    mapping: Annotated[str | None, typer.Option(help="JSON {column: field}, or @file.json")] = None,
    mode: Annotated[str, typer.Option(help="create | upsert | update_only")] = "upsert",
    match_on: Annotated[str | None, typer.Option(help="phone | email | external_id")] = None,
    default_country: Annotated[str | None, typer.Option(help="Region of numbers without +")] = None,
    tags: Annotated[str | None, typer.Option(help="Comma-separated tags for every row")] = None,
    url: RemoteUrl = None,
    key: RemoteKey = None,
    tenant: TenantOption = None,
    as_json: JsonFlag = False,
) -> None:
    """Import a CSV file with a progress bar (see docs/bulk.md)."""
    from roster.bulk import cli as bulk_cli

    if mapping and mapping.startswith("@"):
        mapping = Path(mapping[1:]).read_text()
    fields = {
        name: value
        for name, value in (
            ("mapping", mapping),
            ("mode", mode),
            ("match_on", match_on),
            ("default_country", default_country),
            ("tags", tags),
        )
        if value
    }
    if url:
        if not key:
            raise typer.BadParameter("--url needs --key (or ROSTER_KEY)", param_hint="--key")
        job = asyncio.run(bulk_cli.import_remote(url, key, file, fields))
    else:
        job = asyncio.run(bulk_cli.import_local(Settings(), file, fields, tenant))
    if as_json:
        typer.echo(json.dumps(job))
    else:
        console.print(
            f"import {job['status']}: {job['processed_rows']} rows, {job['created']} created, "
            f"{job['updated']} updated, {job['skipped']} skipped, {job['failed']} failed"
        )
    if job["status"] != "completed":
        raise typer.Exit(1)


@app.command("export")
def export_contacts(
    format: Annotated[str, typer.Option(help="csv | ndjson")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Default: stdout")] = None,
    url: RemoteUrl = None,
    key: RemoteKey = None,
    tenant: TenantOption = None,
) -> None:
    """Export every live contact as CSV or NDJSON, with a progress bar on stderr."""
    from roster.bulk import cli as bulk_cli

    if format not in ("csv", "ndjson"):
        raise typer.BadParameter("csv or ndjson", param_hint="--format")
    out = bulk_cli.output(output)
    try:
        if url:
            if not key:
                raise typer.BadParameter("--url needs --key (or ROSTER_KEY)", param_hint="--key")
            asyncio.run(bulk_cli.export_remote(url, key, format, out))
        else:
            asyncio.run(bulk_cli.export_local(Settings(), format, out, tenant))
    finally:
        out.flush()
        if output is not None:
            out.close()


def main() -> None:
    app()
