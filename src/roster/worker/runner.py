"""The worker: claims jobs one at a time, heartbeats while a job runs, records the outcome.

``roster worker`` runs one; ``roster serve`` on SQLite runs one inside the server process
(see ``app.py``), so the embedded default stays a single process. Several workers (on
PostgreSQL) share the queue safely; see ``queue.py`` for the claim and the fencing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from roster.config import Settings
from roster.errors import Unavailable
from roster.kit import logs
from roster.kit.db import is_unavailable, transaction
from roster.kit.ids import uuid7
from roster.worker import queue
from roster.worker.kinds import JobCancelled, JobContext, JobFailed, handler_for
from roster.worker.repository import JobRepository

log = logging.getLogger("roster.worker")
Row = dict[str, Any]


class Worker:
    def __init__(self, engine: AsyncEngine, settings: Settings, worker_id: str | None = None):
        self.engine = engine
        self.settings = settings
        self.worker_id = (
            worker_id or f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid7().hex[-6:]}"
        )
        self._wakeup = asyncio.Event()
        self._turns = queue.Turns()

    def wake(self) -> None:
        """Look for work now instead of at the next poll (called after an enqueue)."""
        self._wakeup.set()

    async def run_forever(self, stop: asyncio.Event) -> None:
        log.info("worker %s started", self.worker_id)
        while not stop.is_set():
            try:
                ran = await self.run_once()
            except Exception as exc:
                if not is_unavailable(exc) and not isinstance(exc, Unavailable):
                    log.exception("worker loop error")
                ran = False
            if ran:
                continue
            self._wakeup.clear()
            with contextlib.suppress(TimeoutError):
                waiters = [asyncio.ensure_future(e.wait()) for e in (stop, self._wakeup)]
                try:
                    await asyncio.wait(
                        waiters,
                        timeout=self.settings.worker_poll_seconds,
                        return_when=asyncio.FIRST_COMPLETED,
                    )
                finally:
                    for waiter in waiters:
                        waiter.cancel()
        log.info("worker %s stopped", self.worker_id)

    async def run_until_idle(self) -> int:
        """Run jobs until none is claimable; returns how many ran (tests, the CLI)."""
        count = 0
        while await self.run_once():
            count += 1
        return count

    async def run_once(self) -> bool:
        async with transaction(self.engine, write=True) as conn:
            job = await queue.claim(
                conn,
                self.worker_id,
                stale_after=self.settings.job_stale_seconds,
                max_attempts=self.settings.job_max_attempts,
                turns=self._turns,
            )
        if job is None:
            return False
        await self.run_job(job)
        return True

    async def run_job(self, job: Row) -> None:
        handler = handler_for(job["kind"])
        ctx = JobContext(self.engine, self.settings, job, self.worker_id)
        if handler is None:
            await self._finish(job, "failed", error=f"unknown job kind {job['kind']!r}")
            return
        work = asyncio.ensure_future(handler(ctx))
        beat = asyncio.ensure_future(self._heartbeat(ctx, work))
        try:
            total = await work
        except JobCancelled:
            await self._finish(job, "cancelled")
        except JobFailed as exc:
            await self._finish(job, "failed", error=str(exc))
        except queue.LostClaim:
            log.warning("job %s was taken over by another worker", job["id"])
        except asyncio.CancelledError:
            if not ctx.state.get("lost"):  # shutdown: hand the job back, then stop
                await self._release(job)
                raise
            log.warning("job %s was taken over by another worker", job["id"])
        except Exception as exc:
            if is_unavailable(exc) or isinstance(exc, Unavailable):
                # The database went away; another attempt resumes from the checkpoint.
                log.warning("job %s paused: database unavailable", job["id"])
                await self._release(job)
            else:
                log.exception("job %s failed", job["id"])
                await self._finish(job, "failed", error=f"internal error: {type(exc).__name__}")
        else:
            await self._finish(job, "completed", total=total)
        finally:
            beat.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await beat
        await self._cleanup(job)

    async def _cleanup(self, job: Row) -> None:
        """Delete an import's uploaded file once the job is finished for good."""
        path = job["params"].get("path") if job["kind"] == "import" else None
        if not path:
            return
        async with transaction(self.engine, write=False) as conn:
            status = await JobRepository(conn, job["tenant_id"]).status(job["id"])
        if status in queue.FINISHED:
            with contextlib.suppress(OSError):
                await asyncio.to_thread(os.unlink, path)

    async def _heartbeat(self, ctx: JobContext, work: asyncio.Future[Any]) -> None:
        while True:
            await asyncio.sleep(self.settings.job_heartbeat_seconds)
            try:
                async with transaction(self.engine, write=True) as conn:
                    state = await queue.heartbeat(conn, ctx.job, self.worker_id)
            except queue.LostClaim:
                ctx.state["lost"] = True
                work.cancel()
                return
            except Exception as exc:  # a missed beat is retried at the next one
                if is_unavailable(exc) or isinstance(exc, Unavailable):
                    logs.transient(log, "heartbeat of job %s missed", exc, ctx.job["id"])
                else:
                    log.warning("heartbeat of job %s failed", ctx.job["id"], exc_info=True)
                continue
            ctx.cancel_requested = ctx.cancel_requested or state["cancel_requested"]

    async def _finish(self, job: Row, status: str, **kwargs: Any) -> None:
        try:
            async with transaction(self.engine, write=True) as conn:
                await queue.finish(conn, job, self.worker_id, status, **kwargs)
        except queue.LostClaim:
            log.warning("job %s was taken over before it finished here", job["id"])

    async def _release(self, job: Row) -> None:
        """Give the job back to the queue (shutdown, outage); it resumes from its checkpoint."""
        with contextlib.suppress(Exception):
            async with transaction(self.engine, write=True) as conn:
                await queue.give_back(conn, job, self.worker_id)
