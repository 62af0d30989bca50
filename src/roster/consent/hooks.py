"""What the contact service calls around every write, so that no path can skip it:
before — the consent guard and the opt-outs remembered from erased contacts;
after — the consent history and the contact's own timeline events, in the same transaction.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.activities import own_events
from roster.auth.principal import Principal
from roster.consent import history
from roster.gdpr import identifiers

Row = dict[str, Any]


async def before_write(
    conn: AsyncConnection, principal: Principal, current: Row | None, new: Row, *, guard: bool
) -> Row:
    """``new`` as it may be stored: relaxations undone (when ``guard``), and every channel
    an erased contact with one of its new identifiers had opted out of kept opted out."""
    if guard and current is not None:
        new = history.guard(current, new)
    erased = await identifiers.opted_out_before(conn, principal.tenant_id, current, new)
    if erased:
        new = {**new, **{f"pref_{channel}": history.OPTED_OUT for channel in erased}}
    return new


async def after_write(
    conn: AsyncConnection,
    principal: Principal,
    old: Row | None,
    new: Row,
    changed: list[str],
    *,
    source: str,
    note: str | None = None,
) -> None:
    consent = await history.record(
        conn,
        principal.tenant_id,
        principal.credential_id,
        new["id"],
        old,
        new,
        source=source,
        note=note,
    )
    await own_events.record_write(conn, principal.tenant_id, new["id"], changed, old, new, consent)
