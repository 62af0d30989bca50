"""The custom field key registry: every custom field key a tenant's contacts have had.

The contact writers call ``note_keys`` in the transaction of the write (single writes,
batches, imports, merges, bulk actions), so the CSV export can name its columns without
reading every exported row first. Keys are only ever added: the list may hold keys no live
contact has any more (an export shows them as empty columns). The application writes it,
not a trigger, so that it runs where the transaction runs on a distributed database.
Each process remembers the keys it has seen committed, so a write of known keys sends no
statement for them.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID

from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncConnection

from roster.kit.db import after_commit
from roster.kit.repository import TenantRepository
from roster.models import contact_custom_keys


class CustomKeyRepository(TenantRepository):
    table = contact_custom_keys

    async def add(self, keys: Iterable[str]) -> None:
        """Add the keys the tenant's registry lacks, in one statement (in key order, so
        that concurrent writers take the index entries in the same order)."""
        rows = [{"tenant_id": self.tenant_id, "key": key} for key in sorted(set(keys))]
        if rows:
            await self.conn.execute(self.insert_or_skip(), rows)


async def note_keys(
    conn: AsyncConnection, tenant_id: UUID, rows: Iterable[Mapping[str, Any]]
) -> None:
    """Register the custom field keys of contact rows (or written values) being written;
    rows without ``custom_fields`` add nothing."""
    keys = {key for row in rows for key in (row.get("custom_fields") or ())}
    if not keys:
        return
    known = _committed.setdefault(conn.engine.sync_engine, set())
    new = {key for key in keys if (tenant_id, key) not in known}
    if not new:
        return
    await CustomKeyRepository(conn, tenant_id).add(new)
    # Inside a savepoint the insert may yet be rolled back while the transaction commits.
    if not conn.in_nested_transaction():
        after_commit(conn, lambda: _remember(known, tenant_id, new))


# Per database: the (tenant, key) pairs this process has seen committed to the registry.
_committed: weakref.WeakKeyDictionary[Engine, set[tuple[UUID, str]]] = weakref.WeakKeyDictionary()
# Beyond this many pairs the memory is dropped and filled again (it only saves statements).
_MAX_REMEMBERED = 100_000


def _remember(known: set[tuple[UUID, str]], tenant_id: UUID, keys: set[str]) -> None:
    if len(known) + len(keys) > _MAX_REMEMBERED:
        known.clear()
    known.update((tenant_id, key) for key in keys)
