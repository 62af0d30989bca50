"""``roster import`` / ``roster export`` against a running server (``--url``), through the
SDK (roster_client): the project has one HTTP client, with its retries and idempotency."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import IO, Any

import httpx
from rich.progress import DownloadColumn, Progress, TextColumn

import roster_client
from roster.cli.base import err
from roster.cli.errors import UNREACHABLE, CliError, from_problem

# Uploads and exports can take minutes; only connecting and each read are bounded.
TIMEOUT = httpx.Timeout(connect=10, read=300, write=300, pool=10)
Save = Callable[[AsyncIterator[bytes], Path], Awaitable[None]]


@contextlib.contextmanager
def refused(action: str, url: str) -> Iterator[None]:
    """The SDK's errors as what the command tells its user."""
    try:
        yield
    except roster_client.ConnectionFailed as exc:
        raise CliError(
            f"cannot reach {url}: {exc.detail}",
            "is the server running, and is --url right?",
            UNREACHABLE,
        ) from None
    except roster_client.RosterError as exc:
        raise from_problem(action, exc.status or 0, exc.problem) from None


async def import_file(
    url: str, key: str, path: Path, fields: dict[str, str], bar: Progress, save: Save
) -> tuple[dict[str, Any], Path | None]:
    """Upload ``path`` (streamed from disk) and follow its job on ``bar``; the failed rows
    are written beside the file by ``save``."""
    with refused("import", url):
        async with roster_client.AsyncRoster(url, key, timeout=TIMEOUT) as roster:
            job = await roster.imports.create(path, **fields)
            task = bar.add_task("import", total=job.data["total_rows"], failed="")

            def progress(state: dict[str, Any]) -> None:
                failed = state.get("failed", 0)
                bar.update(
                    task,
                    completed=state["processed_rows"],
                    total=state["total_rows"],
                    failed=f"{failed:,} failed" if failed else "",
                )

            with bar:
                final = await job.wait(progress=progress, interval=0.5)
            errors_file = None
            if final["failed"]:
                errors_file = path.with_name(f"{path.stem}.errors.csv")
                await save(_once((await roster.imports.errors(job.id)).encode()), errors_file)
            return final, errors_file


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def export(url: str, key: str, fmt: str, out: IO[bytes]) -> None:
    """Stream every live contact into ``out``, the bytes counted on stderr."""
    progress = Progress(TextColumn("[bold]export"), DownloadColumn(), console=err, transient=True)
    with refused("export", url):
        async with roster_client.AsyncRoster(url, key, timeout=TIMEOUT) as roster:
            with progress as bar:
                task = bar.add_task("export", total=None)
                async for chunk in roster.contacts.export_bytes(fmt):
                    out.write(chunk)
                    bar.update(task, advance=len(chunk))
