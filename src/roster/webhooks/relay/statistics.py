"""PostgreSQL: keeping the planner's statistics of the deliveries (and events) current
while the relay makes them grow, rather than waiting for autovacuum."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from sqlalchemy.ext.asyncio import AsyncEngine

from roster.kit.db import transaction
from roster.webhooks.relay.repository import statistics as queries

log = logging.getLogger("roster.webhooks")
# ANALYZE the deliveries once this relay has sequenced this many events (each creates its
# deliveries), at most every ANALYZE_EVERY seconds; and the deliveries and the events at
# once whenever it has sequenced as many as the statistics last described (tables that may
# have doubled). Statistics from when the tables were small lead the claim's plan astray.
ANALYZE_AFTER_ROWS = 100
ANALYZE_EVERY = 60.0


class Statistics:
    """When a relay refreshes the statistics; the ANALYZE runs beside the loop, so the
    passes (and the sends they start) do not wait for it."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.enabled = engine.dialect.name == "postgresql"
        self._since = 0  # events sequenced since the last ANALYZE
        self._until = 0  # the rows the statistics describe, as counted here
        self._next = 0.0
        self._analyzing: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Count growth from the rows the statistics already describe, not from this
        relay's start: a relay restarted beside a large table would otherwise ANALYZE again
        and again while it starts."""
        if self.enabled:
            with contextlib.suppress(Exception):  # unknown: counted from zero
                self._until = await self._rows_known()

    async def _rows_known(self) -> int:
        """How many deliveries the planner's statistics count (0 before any)."""
        async with transaction(self.engine, write=False) as conn:
            return await queries.rows_known(conn)

    def sequenced(self, count: int) -> None:
        """A pass sequenced ``count`` events: ANALYZE after a burst."""
        if not self.enabled:
            return
        self._since += count
        now = time.monotonic()
        since = self._since
        if since < ANALYZE_AFTER_ROWS:
            return
        grown = since >= self._until
        if not grown and (now < self._next or since < 10 * ANALYZE_AFTER_ROWS):
            return
        if self._analyzing is not None and not self._analyzing.done():
            return
        self._until += since
        self._since = 0
        self._next = now + ANALYZE_EVERY
        # The events table (the larger, read by sampling) only while it may have doubled.
        tables = "webhook_deliveries, events" if grown else "webhook_deliveries"
        self._analyzing = asyncio.create_task(self._analyze(tables))

    async def _analyze(self, tables: str) -> None:
        try:
            async with transaction(self.engine, write=False) as conn:
                await queries.analyze(conn, tables)
        except Exception:  # statistics are refreshed again after the next burst
            log.warning("ANALYZE %s failed", tables, exc_info=True)

    async def close(self) -> None:
        if self._analyzing is not None:
            await asyncio.gather(self._analyzing, return_exceptions=True)
