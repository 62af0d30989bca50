"""Liveness, readiness and problem pages: no authentication."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from roster.errors import NotFound, Unavailable
from roster.kit.db import transaction
from roster.kit.jsonutil import JSONBody
from roster.system.problems import PAGES
from roster.system.repository import ping
from roster.worker import queue

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> Response:
    return JSONBody({"status": "ok"})


@router.get(
    "/readyz",
    summary="The database is reachable",
    description='200 `{"status": "ready"}` while the database answers, else 503. When '
    "background jobs have waited longer than `ROSTER_JOB_STALE_SECONDS` with none running "
    "(no job worker is alive), the answer is still 200 and carries `warnings`.",
    responses={503: {}},
)
async def readyz(request: Request) -> Response:
    settings = request.app.state.settings
    try:
        async with transaction(request.app.state.engine, write=False) as conn:
            await ping(conn)
            waiting = await queue.unattended(conn, settings.job_stale_seconds)
    except Unavailable:
        raise
    except Exception as exc:  # anything that stops a trivial query means not ready
        raise Unavailable("the database is not reachable") from exc
    body: dict[str, object] = {"status": "ready"}
    if waiting is not None:
        body["warnings"] = [unattended_warning(*waiting)]
    return JSONBody(body)


def unattended_warning(queued: int, oldest: float) -> str:
    return (
        f"{queued} background job(s) queued, the oldest for {oldest:.0f} s, and none "
        "running: no job worker is alive (start `roster worker`, or run `roster serve` "
        "with ROSTER_EMBEDDED_WORKER unset or true)"
    )


@router.get(
    "/problems/{code}",
    response_class=HTMLResponse,
    summary="What a problem type means",
    responses={404: {}},
)
async def problem_page(code: str) -> Response:
    if code not in PAGES:
        raise NotFound("no such problem type")
    status, text_ = PAGES[code]
    body = (
        f"<!doctype html><title>{code}</title><h1>{status} {html.escape(code)}</h1>"
        f"<p>{html.escape(text_)}</p>"
    )
    return HTMLResponse(body)
