"""The consent rules every contact write passes through, and the append-only history.

The rule (docs/consent.md): a contact write — create, PATCH/PUT, upsert, batch, import,
merge — may restrict consent but never relax it. ``opted_out`` never becomes ``opted_in``
and a suppression is never lifted by such a write; the stored state is kept and the rest of
the write applies. Relaxing takes ``PUT /v1/contacts/{id}/preferences``, which requires a
``source`` (the evidence of the new consent) and is recorded like every other change.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.consent.repository import ConsentRepository
from roster.events import outbox
from roster.kit.ids import uuid7
from roster.kit.timeutil import utcnow
from roster.models import PREFERENCE_CHANNELS

Row = dict[str, Any]
SUPPRESSION = "suppression"  # the history's "channel" for suppression changes
OPTED_OUT, OPTED_IN, UNKNOWN = "opted_out", "opted_in", "unknown"


def guard(current: Row, new: Row) -> Row:
    """``new`` with every relaxation of ``current``'s consent undone (see module doc)."""
    kept = dict(new)
    for channel in PREFERENCE_CHANNELS:
        column = f"pref_{channel}"
        if current.get(column) == OPTED_OUT and kept.get(column) != OPTED_OUT:
            kept[column] = OPTED_OUT
    if current.get("suppressed") and not kept.get("suppressed"):
        kept["suppressed"] = True
        kept["suppressed_reason"] = current.get("suppressed_reason")
    return kept


def _suppression(row: Row | None) -> str:
    return "suppressed" if row and row.get("suppressed") else "not_suppressed"


def changes(old: Row | None, new: Row) -> list[tuple[str, str, str]]:
    """(channel, from, to) for every consent change between two column sets; a new contact
    is compared with the defaults (``unknown``, not suppressed)."""
    found = []
    for channel in PREFERENCE_CHANNELS:
        column = f"pref_{channel}"
        before = old[column] if old else UNKNOWN
        if before != new[column]:
            found.append((channel, before, new[column]))
    if _suppression(old) != _suppression(new):
        found.append((SUPPRESSION, _suppression(old), _suppression(new)))
    return found


def rows(
    contact_id: UUID,
    actor: UUID | None,
    found: list[tuple[str, str, str]],
    new: Row,
    *,
    source: str,
    note: str | None,
    at: Any,
) -> list[Row]:
    """The history rows of the consent changes ``found`` (from ``changes``)."""
    reason = new.get("suppressed_reason")
    return [
        {
            "id": uuid7(),
            "contact_id": contact_id,
            "channel": channel,
            "from_state": before,
            "to_state": after,
            "source": source[:255],
            "actor": actor,
            # A suppression without a note of its own records its reason.
            "note": note if note or channel != SUPPRESSION else reason,
            "at": at,
        }
        for channel, before, after in found
    ]


async def record(
    conn: AsyncConnection,
    tenant_id: UUID,
    actor: UUID | None,
    contact_id: UUID,
    old: Row | None,
    new: Row,
    *,
    source: str,
    note: str | None = None,
) -> list[tuple[str, str, str]]:
    """Append one history row per consent change between ``old`` and ``new``."""
    found = changes(old, new)
    if not found:
        return found
    reason = new.get("suppressed_reason")
    history = rows(contact_id, actor, found, new, source=source, note=note, at=utcnow())
    await ConsentRepository(conn, tenant_id).insert(history)
    await outbox.emit_many(
        conn,
        tenant_id,
        [("contact.consent_changed", event_data(row, reason), contact_id) for row in history],
    )
    return found


def event_data(row: Row, reason: str | None) -> Row:
    """The ``contact.consent_changed`` event of one history row. The row's free-text note
    stays out of the event; a suppression carries its reason, as the contact does."""
    suppressing = row["channel"] == SUPPRESSION and row["to_state"] == "suppressed"
    return {
        "contact": {"id": str(row["contact_id"])},
        "channel": row["channel"],
        "from": row["from_state"],
        "to": row["to_state"],
        "source": row["source"],
        "actor": str(row["actor"]) if row["actor"] else None,
        "reason": reason if suppressing else None,
    }


async def move(conn: AsyncConnection, tenant_id: UUID, from_ids: list[UUID], to_id: UUID) -> None:
    await ConsentRepository(conn, tenant_id).move(from_ids, to_id)


async def delete_for(conn: AsyncConnection, tenant_id: UUID, contact_id: UUID) -> None:
    await ConsentRepository(conn, tenant_id).delete_for(contact_id)


async def all_for(conn: AsyncConnection, tenant_id: UUID, contact_id: UUID) -> list[Row]:
    return await ConsentRepository(conn, tenant_id).all_for(contact_id)
