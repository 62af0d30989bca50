"""Helpers of the import, export and job tests: upload a CSV, wait for a job to finish."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from roster.worker.runner import Worker
from tests.conftest import Env

FINISHED = ("completed", "failed", "cancelled")


async def upload(
    http: httpx.AsyncClient, content: bytes | str, name: str = "c.csv", **form: str
) -> httpx.Response:
    data = content.encode() if isinstance(content, str) else content
    return await http.post("/v1/imports", files={"file": (name, data, "text/csv")}, data=form)


async def wait_job(env: Env, http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    """Run claimable jobs here (PostgreSQL has no embedded worker) until ``url`` reports a
    finished job; on SQLite the embedded worker may take the job first, which is fine."""
    worker = Worker(env.app.state.engine, env.settings)
    for _ in range(1200):
        await worker.run_once()
        body: dict[str, Any] = (await http.get(url)).json()
        if body["status"] in FINISHED:
            return body
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {url} did not finish: {body}")


async def import_csv(
    env: Env, http: httpx.AsyncClient, content: bytes | str, **form: str
) -> dict[str, Any]:
    response = await upload(http, content, **form)
    assert response.status_code == 202, response.text
    return await wait_job(env, http, f"/v1/imports/{response.json()['id']}")


async def all_contacts(http: httpx.AsyncClient) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 100, "sort": "created_at"}
        if cursor:
            params["cursor"] = cursor
        page = (await http.get("/v1/contacts", params=params)).json()
        out += page["data"]
        cursor = page["next_cursor"]
        if not cursor:
            return out
