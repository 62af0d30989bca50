"""What the ``roster`` command says when something fails: one or two human lines (what
failed, then what to do), or a JSON object with ``--json``, and an exit code.

Exit codes: 0 done; 1 the work failed or was refused (bad file, validation, not found, an
import that finished with failures is still 0 — its counts say so); 2 the command line is
wrong; 3 the database or server cannot be reached (retry later); 130 interrupted.
"""

from __future__ import annotations

import errno
import os
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from roster.errors import RosterError, Unavailable

USAGE, FAILED, UNREACHABLE, INTERRUPTED = 2, 1, 3, 130


@dataclass
class CliError(Exception):
    """A failure the command explains itself."""

    message: str
    hint: str | None = None
    code: int = FAILED
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


def safe_url(url: str) -> str:
    """A database URL fit to print: no password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: print nothing of it
        return "the configured database"


def from_problem(action: str, status: int, body: Any) -> CliError:
    """A server's (or the local service's) problem+json as a CLI error."""
    if not isinstance(body, dict):
        return CliError(f"{action} refused ({status})")
    code = body.get("code") or status
    detail = body.get("detail") or body.get("title") or ""
    details = [f"{e.get('field', '?')}: {e.get('message', '')}" for e in body.get("errors") or []]
    return CliError(
        f"{action} refused ({code}): {detail}".rstrip(": "),
        code=UNREACHABLE if status == 503 else FAILED,
        details=details,
    )


def explain(exc: BaseException, *, database_url: str | None) -> CliError:
    """Turn any exception a command meets into what to tell its user."""
    if isinstance(exc, CliError):
        return exc
    where = safe_url(database_url) if database_url else "the database"
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
        url = str(exc.request.url) if _has_request(exc) else "the server"
        return CliError(
            f"cannot reach {url}: {exc}",
            "is the server running, and is --url right?",
            UNREACHABLE,
        )
    if isinstance(exc, httpx.TimeoutException):
        return CliError(f"the server did not answer in time: {exc}", "retry later", UNREACHABLE)
    if isinstance(exc, httpx.HTTPError):
        return CliError(f"talking to the server failed: {exc}", None, UNREACHABLE)
    if isinstance(exc, Unavailable | ConnectionError | TimeoutError) or (
        isinstance(exc, DBAPIError) and "unable to open database" in str(exc.orig)
    ):
        return _unreachable(where, database_url, exc)
    if isinstance(exc, RosterError):
        body = exc.body()
        return CliError(
            f"{body.get('detail') or body.get('title')} ({body.get('code')})",
            code=UNREACHABLE if exc.status == 503 else FAILED,
            details=[f"{e['field']}: {e['message']}" for e in body.get("errors") or []],
        )
    if isinstance(exc, OSError) and exc.errno in (errno.EADDRINUSE,):
        return CliError(str(exc))
    if isinstance(exc, OSError) and exc.filename:
        return CliError(f"{exc.strerror or exc}: {exc.filename}")
    if isinstance(exc, KeyboardInterrupt):
        return CliError("interrupted", code=INTERRUPTED)
    return CliError(
        f"unexpected error: {type(exc).__name__}: {exc}",
        "run the command again with --debug for the traceback, and report it",
    )


def _has_request(exc: httpx.HTTPError) -> bool:
    try:
        exc.request  # noqa: B018 - raises when the error carries no request
    except RuntimeError:
        return False
    return True


def sqlite_folder_problem(database_url: str) -> CliError | None:
    """Why a SQLite database file cannot be opened where the URL puts it, if that is so."""
    if not database_url.startswith("sqlite"):
        return None
    path = make_url(database_url).database or ""
    folder = os.path.dirname(path) or "."
    if not os.path.isdir(folder):
        return CliError(
            f"cannot open the SQLite database {path}: the folder {folder} does not exist",
            "create it, or point ROSTER_DATA_DIR / ROSTER_DATABASE_URL elsewhere",
        )
    if not os.access(folder, os.W_OK):
        return CliError(
            f"cannot open the SQLite database {path}: {folder} is not writable",
            "fix the folder's permissions, or point ROSTER_DATA_DIR elsewhere",
        )
    return None


def _unreachable(where: str, database_url: str | None, exc: BaseException) -> CliError:
    problem = sqlite_folder_problem(database_url) if database_url else None
    if problem is not None:
        return problem
    return CliError(
        f"the database at {where} is not reachable",
        "is it running, and are ROSTER_DATABASE_URL and the network right? retry shortly",
        UNREACHABLE,
    )
