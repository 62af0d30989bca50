"""``roster import``, ``roster export`` and the worker loop behind ``roster worker``.

Import and export run against the local database (the one ``roster serve`` uses), or
against a running server given ``--url`` and ``--key`` (through the SDK: cli/remote.py).
Progress goes to stderr in a bar that fits 80 columns; the last line gives the counts and
where the failed rows were written; an export is written beside its name and renamed when
complete, so a failure leaves no partial file.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from roster import wiring
from roster.auth.principal import Principal
from roster.bulk import filters
from roster.cli.accounts import tenant_id
from roster.cli.base import JsonFlag, app, err, settings
from roster.cli.errors import CliError, from_problem
from roster.cli.repository import count_matching
from roster.config import Settings
from roster.errors import RosterError
from roster.exports import stream
from roster.imports import failures
from roster.imports import service as imports
from roster.imports.upload import copy_local
from roster.kit.db import create_engine, transaction
from roster.migrate import upgrade
from roster.tenants import service as tenants
from roster.worker.queue import FINISHED, JobRepository
from roster.worker.runner import Worker

RemoteUrl = Annotated[str | None, typer.Option(help="A remote Roster server (with --key)")]
RemoteKey = Annotated[str | None, typer.Option(envvar="ROSTER_KEY", help="API key for --url")]
TenantOption = Annotated[
    str | None, typer.Option(help="Tenant id (local database; default: the only tenant)")
]


async def run_worker(current: Settings) -> None:
    """Run jobs until SIGINT/SIGTERM; the job in hand is handed back to the queue."""
    wiring.install()
    engine = create_engine(current.url, pool_size=2)
    await upgrade(engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(engine, current)
    err.print(f"worker {worker.worker_id} running jobs")
    task = asyncio.create_task(worker.run_forever(stop))
    await stop.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await engine.dispose()


async def _tenant(engine: AsyncEngine, given: str | None) -> Principal:
    async with transaction(engine, write=False) as conn:
        if given is not None:
            wanted = tenant_id(given)
            row = await tenants.get_tenant(conn, wanted)
            if row is None:
                raise CliError(f"no tenant {wanted}", "'roster tenants list' shows the tenants")
        else:
            known = await tenants.all_tenants(conn, limit=2)
            if len(known) != 1:
                raise CliError(
                    "the database has several tenants: say which with --tenant <id>"
                    if known
                    else "the database has no tenant yet",
                    "'roster tenants list' shows them"
                    if known
                    else "'roster tenants create <name>' (or 'roster serve') makes one",
                )
            row = known[0]
    return Principal(
        tenant_id=row["id"],
        scopes=frozenset(),
        credential_id=row["id"],
        default_region=row["default_region"],
    )


def _bar(kind: str) -> Progress:
    """Kind, bar, rows done of all, failures, time left: under 80 columns for files of up
    to a billion rows."""
    return Progress(
        TextColumn(f"[bold]{kind}"),
        BarColumn(bar_width=20),
        MofNCompleteColumn(),
        TextColumn("{task.fields[failed]}"),
        TimeRemainingColumn(compact=True),
        console=err,
    )


def _failed(job: dict[str, Any]) -> str:
    count = job.get("failed", 0)
    return f"{count:,} failed" if count else ""


def _summary(job: dict[str, Any], errors_file: Path | None) -> str:
    counts = ", ".join(f"{job[k]:,} {k}" for k in ("created", "updated", "skipped", "failed"))
    line = f"import {job['status']}: {job['processed_rows']:,} rows: {counts}"
    if errors_file is not None:
        line += f"\nfailed rows: {errors_file}"
    elif job.get("error"):
        line += f" ({job['error']})"
    return line


def _errors_path(source: Path) -> Path:
    return source.with_name(f"{source.stem}.errors.csv")


@contextlib.contextmanager
def _written_whole(path: Path) -> Iterator[IO[bytes]]:
    """A file written beside ``path`` and renamed over it once complete; removed on error."""
    partial = path.with_name(path.name + ".partial")
    try:
        with partial.open("wb") as out:
            yield out
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)


async def _save(chunks: AsyncIterator[bytes], path: Path) -> None:
    with _written_whole(path) as out:
        async for chunk in chunks:
            out.write(chunk)


async def import_local(
    current: Settings, path: Path, fields: dict[str, str], tenant: str | None
) -> tuple[dict[str, Any], Path | None]:
    engine = create_engine(current.url, pool_size=4)
    try:
        await upgrade(engine)
        principal = await _tenant(engine, tenant)
        upload = await asyncio.to_thread(copy_local, path, current.imports_dir, fields)
        try:
            async with transaction(engine, write=True) as conn:
                job = await imports.start(
                    conn, principal, upload, default_region=current.default_region
                )
        except RosterError as exc:
            upload.discard()
            raise from_problem("import", exc.status, exc.body()) from None
        except BaseException:
            upload.discard()
            raise
        wiring.install()
        worker = Worker(engine, current)
        runner = asyncio.create_task(worker.run_until_idle())
        with _bar("import") as bar:
            task = bar.add_task("import", total=job["total"], failed="")
            while True:
                async with transaction(engine, write=False) as conn:
                    row = await JobRepository(conn, principal.tenant_id).get(job["id"])
                assert row is not None
                bar.update(
                    task, completed=row["processed"], total=row["total"], failed=_failed(row)
                )
                if row["status"] in FINISHED:
                    break
                if runner.done():  # another worker holds it: keep watching
                    runner = asyncio.create_task(worker.run_until_idle())
                await asyncio.sleep(0.5)
        await runner
        errors_file = None
        if row["failed"]:
            errors_file = _errors_path(path)
            await _save(failures.csv_lines(engine, principal.tenant_id, row), errors_file)
        return imports.render(row), errors_file
    finally:
        await engine.dispose()


async def export_local(current: Settings, fmt: str, out: IO[bytes], tenant: str | None) -> int:
    engine = create_engine(current.url, pool_size=2)
    try:
        principal = await _tenant(engine, tenant)
        where = filters.expression(principal.tenant_id, None, region=None)
        async with transaction(engine, write=False) as conn:
            total = await count_matching(conn, principal.tenant_id, where)
        produce = stream.csv_stream if fmt == "csv" else stream.ndjson_stream
        written = 0
        with _bar("export") as bar:
            task = bar.add_task("export", total=total, failed="")
            async for chunk in produce(engine, principal.tenant_id, where):
                out.write(chunk)
                written += chunk.count(b"\n")
                bar.update(task, completed=min(written, total))
        return int(total)
    finally:
        await engine.dispose()


def _remote(url: str | None, key: str | None) -> tuple[str, str] | None:
    if not url:
        return None
    if not key:
        raise CliError("--url needs --key (or ROSTER_KEY)", "pass the API key of that server")
    return url, key


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
    """Import a CSV file with a progress bar; failed rows are written beside it as
    <name>.errors.csv (see docs/bulk.md)."""
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
    remote = _remote(url, key)
    if remote is not None:
        from roster.cli import remote as server  # needs the SDK only for --url

        job, errors_file = asyncio.run(
            server.import_file(*remote, file, fields, _bar("import"), _save)
        )
    else:
        job, errors_file = asyncio.run(import_local(settings(), file, fields, tenant))
    if as_json:
        typer.echo(json.dumps({**job, "errors_file": str(errors_file) if errors_file else None}))
    else:
        typer.echo(_summary(job, errors_file))
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
    """Export every live contact as CSV or NDJSON, with a progress bar on stderr. A file
    given with -o appears only once complete."""
    if format not in ("csv", "ndjson"):
        raise typer.BadParameter("csv or ndjson", param_hint="--format")
    remote = _remote(url, key)

    def run(out: IO[bytes]) -> None:
        if remote is not None:
            from roster.cli import remote as server  # needs the SDK only for --url

            asyncio.run(server.export(*remote, format, out))
        else:
            asyncio.run(export_local(settings(), format, out, tenant))

    if output is None:
        run(sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return
    with _written_whole(output) as out:
        run(out)
