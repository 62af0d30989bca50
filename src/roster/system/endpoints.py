"""Liveness, readiness and problem pages: no authentication."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import text

from roster.errors import NotFound, Unavailable
from roster.kit.db import transaction
from roster.kit.jsonutil import JSONBody
from roster.system.problems import PAGES

router = APIRouter(tags=["system"])


@router.get("/healthz", summary="The process is alive")
async def healthz() -> Response:
    return JSONBody({"status": "ok"})


@router.get("/readyz", summary="The database is reachable", responses={503: {}})
async def readyz(request: Request) -> Response:
    try:
        async with transaction(request.app.state.engine, write=False) as conn:
            await conn.execute(text("SELECT 1"))
    except Unavailable:
        raise
    except Exception as exc:  # anything that stops a trivial query means not ready
        raise Unavailable("the database is not reachable") from exc
    return JSONBody({"status": "ready"})


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
