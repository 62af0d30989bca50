"""Job kinds: what a handler gets (``JobContext``), how it stops, and the registry of
handlers by kind, filled at start-up (``roster.wiring.install``), so that the worker runs
imports and bulk actions without importing them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roster.config import Settings
from roster.worker import queue

Row = dict[str, Any]


class JobFailed(Exception):
    """The job cannot go on (bad file, missing list...); the message is shown to the user."""


class JobCancelled(Exception):
    """A cancel was requested and the job stopped after its last committed chunk."""


@dataclass
class JobContext:
    """What a job handler gets: the job, the engine, the settings, and its checkpoint."""

    engine: AsyncEngine
    settings: Settings
    job: Row
    worker_id: str
    cancel_requested: bool = False
    state: dict[str, Any] = field(default_factory=dict)

    async def checkpoint(
        self,
        conn: AsyncConnection,
        position: dict[str, Any],
        add: dict[str, int],
        total: int | None = None,
    ) -> None:
        """Record progress inside the chunk's own transaction; raise JobCancelled after the
        chunk commits when a cancel was requested."""
        cancel = await queue.checkpoint(
            conn, self.job, self.worker_id, position=position, add=add, total=total
        )
        self.cancel_requested = self.cancel_requested or cancel

    def check_cancel(self) -> None:
        if self.cancel_requested:
            raise JobCancelled


Handler = Callable[[JobContext], Awaitable[int | None]]
"""Runs a job to the end; returns the final total (or None to leave it as it is)."""

_handlers: dict[str, Handler] = {}


def register(kind: str, handler: Handler) -> None:
    """Run jobs of ``kind`` with ``handler`` (registering a kind again replaces it)."""
    _handlers[kind] = handler


def handler_for(kind: str) -> Handler | None:
    return _handlers.get(kind)
