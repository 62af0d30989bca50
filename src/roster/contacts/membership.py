"""``list_id`` and ``segment_id`` of the list filters, as conditions over contacts.

Shared by the contact listing and exports. An id that is not one of the tenant's lists or
segments is a 404 (not an empty result), so a mistyped or stale id is noticed rather than
read as "nobody".
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.elements import ColumnElement

from roster.auth.principal import Principal
from roster.contacts.query import ContactFilter
from roster.lists import service as lists
from roster.segments import service as segments


async def conditions(
    conn: AsyncConnection, principal: Principal, flt: ContactFilter, *, default_region: str
) -> list[ColumnElement[bool]]:
    """The membership conditions ``flt`` asks for (none when it names no list or segment)."""
    out: list[ColumnElement[bool]] = []
    if flt.list_id is not None:
        out.append(await lists.condition(conn, principal, flt.list_id))
    if flt.segment_id is not None:
        out.append(
            await segments.condition(conn, principal, flt.segment_id, default_region=default_region)
        )
    return out
