"""Consent's rules on every contact write, registered into ``contacts.hooks`` at start-up
(``roster.wiring``): before — the guard that undoes relaxations; after — the consent
history and the contact's ``consent_changed`` timeline row, in the same transaction."""

from __future__ import annotations

from typing import Any

from roster.consent import history
from roster.contacts import own_events
from roster.contacts.hooks import Write
from roster.kit.timeutil import utcnow

Row = dict[str, Any]


async def guard(write: Write, current: Row | None, new: Row) -> Row:
    """``new`` with every relaxation of ``current``'s consent undone, unless the write is
    an explicit consent change."""
    if write.explicit_consent or current is None:
        return new
    return history.guard(current, new)


async def record(write: Write, old: Row | None, new: Row) -> list[Row]:
    """Append the history of the write's consent changes; their timeline row."""
    principal = write.principal
    found = await history.record(
        write.conn,
        principal.tenant_id,
        principal.credential_id,
        new["id"],
        old,
        new,
        source=write.source,
        note=write.note,
    )
    return own_events.consent_rows(new["id"], found, utcnow())
