# Written by clients/python/tools/generate.py from roster_client/_async; do not edit.
"""``client.imports`` (CSV files, streamed from disk) and ``client.jobs``."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from roster_client._common import Call, query
from roster_client._sync.core import Core, Pager

FINISHED = frozenset({"completed", "failed", "cancelled"})
Progress = Callable[[dict[str, Any]], Any]


class Job:
    """A background job (an import or a bulk action): ``data`` is its last known state."""

    def __init__(self, core: Core, path: str, data: dict[str, Any]) -> None:
        self._core = core
        self._path = path
        self.data = data

    @property
    def id(self) -> str:
        return str(self.data["id"])

    @property
    def status(self) -> str:
        return str(self.data["status"])

    def refresh(self) -> dict[str, Any]:
        self.data = self._core.json(Call("GET", f"{self._path}/{self.id}"))
        return self.data

    def wait(
        self,
        *,
        progress: Progress | None = None,
        interval: float = 1.0,
        timeout: float | None = None,
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
            time.sleep(interval)
            waited += interval
            self.refresh()


class Imports:
    """CSV imports, run in the background by the server."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def create(
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
    ) -> Job:
        """Upload the CSV file at ``path`` (streamed from disk, never read whole) and start
        its import; ``job.wait(progress=...)`` follows it to the end. ``mapping``:
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
        with source.open("rb") as handle:
            call = Call(
                "POST",
                "/v1/imports",
                files={"file": (source.name, handle, "text/csv")},
                data=form,
            )
            if idempotency_key is not None:
                call.headers["Idempotency-Key"] = idempotency_key
            data = self._core.json(call)
        return Job(self._core, "/v1/imports", data)

    def get(self, import_id: str) -> Job:
        data = self._core.json(Call("GET", f"/v1/imports/{import_id}"))
        return Job(self._core, "/v1/imports", data)

    def list(self, *, limit: int | None = None) -> Pager[dict[str, Any]]:
        call = Call("GET", "/v1/imports", params=query(limit=limit))
        return Pager(self._core, call, dict)

    def cancel(self, import_id: str) -> dict[str, Any]:
        data: dict[str, Any] = self._core.json(Call("POST", f"/v1/imports/{import_id}/cancel"))
        return data

    def errors(self, import_id: str) -> str:
        """The failed rows as CSV: ``row``, ``column``, ``error``, then the original cells."""
        response = self._core.send(Call("GET", f"/v1/imports/{import_id}/errors"))
        return response.text


class Jobs:
    """Background jobs started by bulk actions."""

    def __init__(self, core: Core) -> None:
        self._core = core

    def get(self, job_id: str) -> Job:
        data = self._core.json(Call("GET", f"/v1/jobs/{job_id}"))
        return Job(self._core, "/v1/jobs", data)
