"""``roster worker``, ``roster import`` and ``roster export``: the work behind the commands.

Import and export run against the local database (the one ``roster serve`` uses), or
against a remote server when given ``--url`` and ``--key``; both show a rich progress bar.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from pathlib import Path
from typing import IO, Any
from uuid import UUID

import httpx
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
)
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from roster.auth.principal import Principal
from roster.bulk import filters
from roster.config import Settings
from roster.errors import RosterError
from roster.exports import stream
from roster.imports import service as imports
from roster.imports.upload import copy_local
from roster.kit.db import create_engine, transaction
from roster.migrate import upgrade
from roster.models import tenants
from roster.worker.queue import FINISHED, JobRepository
from roster.worker.runner import Worker

err = Console(stderr=True)
# Uploads and exports can take minutes; only connecting and each read are bounded.
TIMEOUT = httpx.Timeout(connect=10, read=300, write=300, pool=10)


async def run_worker(settings: Settings) -> None:
    """Run jobs until SIGINT/SIGTERM; the job in hand is handed back to the queue."""
    engine = create_engine(settings.url, pool_size=2)
    await upgrade(engine)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    worker = Worker(engine, settings)
    err.print(f"worker {worker.worker_id} running jobs from {engine.url.render_as_string()}")
    task = asyncio.create_task(worker.run_forever(stop))
    await stop.wait()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await engine.dispose()


async def _tenant(engine: AsyncEngine, given: str | None) -> Principal:
    async with transaction(engine, write=False) as conn:
        if given is not None:
            row = (await conn.execute(select(tenants).where(tenants.c.id == UUID(given)))).first()
        else:
            rows = (await conn.execute(select(tenants).limit(2))).all()
            if len(rows) != 1:
                raise SystemExit("several tenants (or none): give --tenant")
            row = rows[0]
    if row is None:
        raise SystemExit("no such tenant")
    return Principal(
        tenant_id=row.id,
        scopes=frozenset(),
        credential_id=row.id,
        default_region=row.default_region,
    )


def _bar(kind: str) -> Progress:
    return Progress(
        TextColumn(f"[bold]{kind}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeRemainingColumn(),
        console=err,
    )


def _counts(job: dict[str, Any]) -> str:
    return " ".join(f"{k} {job[k]}" for k in ("created", "updated", "skipped", "failed"))


async def import_local(
    settings: Settings, path: Path, fields: dict[str, str], tenant: str | None
) -> dict[str, Any]:
    engine = create_engine(settings.url, pool_size=4)
    try:
        await upgrade(engine)
        principal = await _tenant(engine, tenant)
        upload = await asyncio.to_thread(copy_local, path, settings.imports_dir, fields)
        try:
            async with transaction(engine, write=True) as conn:
                job = await imports.start(
                    conn, principal, upload, default_region=settings.default_region
                )
        except BaseException:
            upload.discard()
            raise
        worker = Worker(engine, settings)
        runner = asyncio.create_task(worker.run_until_idle())
        with _bar("import") as bar:
            task = bar.add_task("import", total=job["total"], counts="")
            while True:
                async with transaction(engine, write=False) as conn:
                    row = await JobRepository(conn, principal.tenant_id).get(job["id"])
                assert row is not None
                bar.update(
                    task, completed=row["processed"], total=row["total"], counts=_counts(row)
                )
                if row["status"] in FINISHED:
                    break
                if runner.done():  # another worker holds it: keep watching
                    runner = asyncio.create_task(worker.run_until_idle())
                await asyncio.sleep(0.5)
        await runner
        return imports.render(row)
    except RosterError as exc:
        raise SystemExit(f"import refused: {exc.body()}") from None
    finally:
        await engine.dispose()


async def import_remote(url: str, key: str, path: Path, fields: dict[str, str]) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=TIMEOUT) as http:
        with path.open("rb") as file:
            response = await http.post(
                "/v1/imports", files={"file": (path.name, file, "text/csv")}, data=fields
            )
        if response.status_code != 202:
            raise SystemExit(f"import refused ({response.status_code}): {response.text}")
        job: dict[str, Any] = response.json()
        with _bar("import") as bar:
            task = bar.add_task("import", total=job["total_rows"], counts="")
            while True:
                job = (await http.get(f"/v1/imports/{job['id']}")).json()
                bar.update(
                    task,
                    completed=job["processed_rows"],
                    total=job["total_rows"],
                    counts=_counts(job),
                )
                if job["status"] in FINISHED:
                    return job
                await asyncio.sleep(0.5)


async def export_local(settings: Settings, fmt: str, out: IO[bytes], tenant: str | None) -> int:
    engine = create_engine(settings.url, pool_size=2)
    try:
        principal = await _tenant(engine, tenant)
        where = filters.expression(principal.tenant_id, None, region=None)
        async with transaction(engine, write=False) as conn:
            from roster.contacts.repository import ContactRepository

            repo = ContactRepository(conn, principal.tenant_id)
            total = (await conn.execute(repo.select(func.count()).where(where))).scalar_one()
        produce = stream.csv_stream if fmt == "csv" else stream.ndjson_stream
        written = 0
        with _bar("export") as bar:
            task = bar.add_task("export", total=total, counts="")
            async for chunk in produce(engine, principal.tenant_id, where):
                out.write(chunk)
                written += chunk.count(b"\n")
                bar.update(task, completed=min(written, total))
        return int(total)
    finally:
        await engine.dispose()


async def export_remote(url: str, key: str, fmt: str, out: IO[bytes]) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx.AsyncClient(base_url=url, headers=headers, timeout=TIMEOUT) as http,
        http.stream("GET", "/v1/contacts/export", params={"format": fmt}) as response,
    ):
        if response.status_code != 200:
            await response.aread()
            raise SystemExit(f"export refused ({response.status_code}): {response.text}")
        progress = Progress(
            TextColumn("[bold]export"), DownloadColumn(), console=err, transient=True
        )
        with progress as bar:
            task = bar.add_task("export", total=None)
            async for chunk in response.aiter_bytes():
                out.write(chunk)
                bar.update(task, advance=len(chunk))


def output(path: Path | None) -> IO[bytes]:
    return path.open("wb") if path is not None else sys.stdout.buffer
