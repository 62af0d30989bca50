"""``client.imports`` (CSV files, streamed from disk) and ``client.jobs``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from roster_client._async.core import AsyncCore, AsyncPager
from roster_client._common import Call, query

FINISHED = frozenset({"completed", "failed", "cancelled"})
Progress = Callable[[dict[str, Any]], Any]


class AsyncJob:
    """A background job (an import or a bulk action): ``data`` is its last known state."""

    def __init__(self, core: AsyncCore, path: str, data: dict[str, Any]) -> None:
        self._core = core
        self._path = path
        self.data = data

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def status(self) -> str:
        return str(self.data["status"])

    async def refresh(self) -> dict[str, Any]:
        self.data = await self._core.json(Call("GET", f"{self._path}/{self.id}"))
        return self.data

    async def wait(
        self,
        *,
        progress: Progress | None = None,
        interval: float = 1.0,
        timeout: float | None = None,  # noqa: ASYNC109 (bounds the polling, not one request)
    ) -> dict[str, Any]:
        """Poll until the job is completed, failed or cancelled; its final state.
        ``progress`` is called with each state seen; ``timeout`` (seconds) raises
        ``TimeoutError`` when the job is still running then."""
        waited = 0.0
        while True:
            if progress is not None:
                progress(self.data)
            if self.status in FINISHED:
                return self.data
            if timeout is not None and waited >= timeout:
                raise TimeoutError(f"job {self.id} is still {self.status}")
            await asyncio.sleep(interval)
            waited += interval
            await self.refresh()


class AsyncImports:
    """CSV imports, run in the background by the server."""

    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def create(
        self,
        path: str | Path,
        *,
        mapping: Mapping[str, str] | str | None = None,
        mode: str | None = None,
        match_on: str | None = None,
        default_country: str | None = None,
        tags: str | None = None,
        list_id: str | None = None,
        tags_separator: str | None = None,
        idempotency_key: str | None = None,
    ) -> AsyncJob:
        """Upload the CSV file at ``path`` (streamed from disk, never read whole) and start
        its import; ``await job.wait(progress=...)`` follows it to the end. ``mapping``:
        ``{"CSV column": "field"}`` (or its JSON text); without it columns match by name."""
        if mapping is not None and not isinstance(mapping, str):
            mapping = json.dumps(dict(mapping))
        form = query(
            mapping=mapping,
            mode=mode,
            match_on=match_on,
            default_country=default_country,
            tags=tags,
            list_id=list_id,
            tags_separator=tags_separator,
        )
        source = Path(path)
        # httpx reads the open file in chunks as it sends it (and rewinds it to retry).
        with source.open("rb") as handle:  # noqa: ASYNC230 (opening does not block)
            call = Call(
                "POST",
                "/v1/imports",
                files={"file": (source.name, handle, "text/csv")},
                data=form,
            )
            if idempotency_key is not None:
                call.headers["Idempotency-Key"] = idempotency_key
            data = await self._core.json(call)
        return AsyncJob(self._core, "/v1/imports", data)

    async def get(self, import_id: str) -> AsyncJob:
        data = await self._core.json(Call("GET", f"/v1/imports/{import_id}"))
        return AsyncJob(self._core, "/v1/imports", data)

    def list(self, *, limit: int | None = None) -> AsyncPager[dict[str, Any]]:
        call = Call("GET", "/v1/imports", params=query(limit=limit))
        return AsyncPager(self._core, call, dict)

    async def cancel(self, import_id: str) -> dict[str, Any]:
        data: dict[str, Any] = await self._core.json(
            Call("POST", f"/v1/imports/{import_id}/cancel")
        )
        return data

    async def errors(self, import_id: str) -> str:
        """The failed rows as CSV: ``row``, ``column``, ``error``, then the original cells."""
        response = await self._core.send(Call("GET", f"/v1/imports/{import_id}/errors"))
        return response.text


class AsyncJobs:
    """Background jobs started by bulk actions."""

    def __init__(self, core: AsyncCore) -> None:
        self._core = core

    async def get(self, job_id: str) -> AsyncJob:
        data = await self._core.json(Call("GET", f"/v1/jobs/{job_id}"))
        return AsyncJob(self._core, "/v1/jobs", data)
