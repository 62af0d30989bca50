"""PostgreSQL's statistics of the tables that bulk writes grow.

A tenant that had few contacts when the statistics were last gathered looks tiny to the
planner, which then reads a chunk's identifiers, and checks every tag and timeline row's
foreign key, through any index that starts with ``tenant_id``: a scan of the tenant per
look-up, so each chunk costs more than the one before it. Autovacuum gathers them again
only after 10 % of the whole table has changed, which for a new tenant beside a large one
can be never while it grows (and it does not run at all where it is switched off).

So imports (per job) and batches (per process and tenant) ANALYZE those tables after
``FIRST_ROWS`` written rows, then after twice as many, and so on: a few times whatever
the size.
"""

from __future__ import annotations

from collections import OrderedDict
from uuid import UUID

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from roster.bulk import repository
from roster.errors import RosterError
from roster.kit.db import transaction

FIRST_ROWS = 4000


async def refresh(engine: AsyncEngine) -> None:
    """ANALYZE the tables bulk writes grow (PostgreSQL). Best effort, never raising (it
    runs after the writes it follows have committed): skipped when another session holds
    the tables (a vacuum, another ANALYZE) for more than a second, or when the database
    cannot be reached."""
    if engine.dialect.name != "postgresql":
        return
    try:
        async with transaction(engine, write=True) as conn:
            await repository.analyze(conn)
    except (DBAPIError, RosterError, TimeoutError, OSError):
        pass


class Growth:
    """The rows written per tenant so far (a server process's batches count the contacts
    they create, an import job the contacts it creates or updates), and the count at which
    the statistics are refreshed next: ``FIRST_ROWS``, then twice as many, and so on. At
    most ``MAX_TENANTS`` tenants are kept (the one written longest ago is forgotten
    first)."""

    MAX_TENANTS = 10_000

    def __init__(self) -> None:
        self._tenants: OrderedDict[UUID, tuple[int, int]] = OrderedDict()

    def due(self, tenant_id: UUID, created: int) -> bool:
        """Count ``created`` more; True when the statistics are due now."""
        written, at = self._tenants.pop(tenant_id, (0, FIRST_ROWS))
        written += created
        now = written >= at
        while at <= written:
            at *= 2
        self._tenants[tenant_id] = (written, at)
        if len(self._tenants) > self.MAX_TENANTS:
            self._tenants.popitem(last=False)
        return now
