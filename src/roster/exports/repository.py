"""Every query of an export, each for one tenant: the contacts in keyset batches, the custom
field keys that make the CSV's columns, and PostgreSQL's ``COPY`` of the whole export."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, text

from roster.kit.repository import TenantRepository
from roster.models import contact_custom_keys, contacts

MAX_CUSTOM_KEYS = 2000
c = contacts.c

# Set for the COPY's transaction: no statement timeout but the export's own bound; the
# string literal syntax the dialect rendered the filter's values for; and parallel workers
# (off for Roster's short queries), which render rows while the COPY's own process sends
# them, keeping id order (Gather Merge).
_COPY_SETTINGS = text(
    "SELECT set_config('statement_timeout', :timeout, true), "
    "set_config('standard_conforming_strings', :strings, true), "
    "set_config('max_parallel_workers_per_gather', :workers, true), "
    "set_config('parallel_leader_participation', 'off', true)"
)


class ExportRepository(TenantRepository):
    table = contacts

    async def batch(
        self, where: ColumnElement[bool], columns: tuple[Any, ...], after: UUID | None, limit: int
    ) -> list[Any]:
        """Up to ``limit`` contacts matching ``where`` (which says whether archived ones
        are in), in id order after ``after``, as rows of ``columns``."""
        query = self.select(*columns, include_deleted=True).where(where)
        if after is not None:
            query = query.where(c.id > after)
        return list((await self.conn.execute(query.order_by(c.id).limit(limit))).all())

    async def custom_keys(self) -> list[str]:
        """The tenant's custom field keys, in code point order (at most MAX_CUSTOM_KEYS)."""
        query = self.select(contact_custom_keys.c.key, table=contact_custom_keys)
        keys = sorted(str(k) for k in (await self.conn.execute(query)).scalars())
        return keys[:MAX_CUSTOM_KEYS]

    async def settle_copy(self, *, timeout_ms: int, strings: str, workers: int) -> None:
        """PostgreSQL: the settings of the COPY's transaction (see ``_COPY_SETTINGS``)."""
        settings = {"timeout": str(timeout_ms), "strings": strings, "workers": str(workers)}
        await self.conn.execute(_COPY_SETTINGS, settings)

    async def csv_by_copy(
        self, sql: str, output: Callable[[Any], Awaitable[None]], *, bound: float
    ) -> None:
        """PostgreSQL: ``COPY (sql) TO STDOUT`` as CSV on the driver's connection, for at
        most ``bound`` seconds, each chunk handed to ``output`` as the driver reads it.
        ``sql`` holds its values as literals (COPY takes no parameters): ``exports.pg_sql``
        writes it, tenant condition included."""
        driver: Any = (await self.conn.get_raw_connection()).driver_connection
        await driver.copy_from_query(sql, output=output, format="csv", timeout=bound)
