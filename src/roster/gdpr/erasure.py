"""GDPR erasure: remove a contact's personal data everywhere Roster keeps it.

What remains is a tombstone row (id, created_at, erased_at; every other field nulled or
reset) so that the id still answers consistently, and — only when the contact was opted out
of a channel or suppressed — keyed hashes of its identifiers with those channels
(``identifiers``), so that the same phone or email written again comes back
opted out. Contacts merged into the erased one are the same person and are erased with it.
Copies of the person elsewhere (stored idempotency responses, rows of failed imports) go in
the same transaction (``traces``). One transaction: erasure is all or nothing;
on SQLite the endpoint then checkpoints the WAL (``traces.checkpoint``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.activities import service as activities
from roster.auth.principal import Principal
from roster.consent import history
from roster.errors import NotFound
from roster.events import outbox
from roster.gdpr import identifiers, traces
from roster.gdpr.repository import ErasureRepository
from roster.lists import service as lists
from roster.notes import service as notes

Row = dict[str, Any]


async def _erase_one(conn: AsyncConnection, repo: ErasureRepository, row: Row) -> None:
    tenant_id = repo.tenant_id
    await identifiers.remember(conn, tenant_id, row)
    await activities.delete_for(conn, tenant_id, row["id"])
    await notes.delete_for(conn, tenant_id, row["id"])
    await history.delete_for(conn, tenant_id, row["id"])
    await repo.tombstone(row)
    await lists.forget_contact(conn, tenant_id, row["id"])
    await outbox.forget_subject(conn, tenant_id, row["id"])
    await outbox.emit(
        conn, tenant_id, "contact.erased", {"contact": {"id": str(row["id"])}}, subject_id=row["id"]
    )


async def erase(conn: AsyncConnection, principal: Principal, contact_id: UUID) -> None:
    """Erase the contact (live or archived) and every contact merged into it. Erasing an
    erased contact again changes nothing."""
    repo = ErasureRepository(conn, principal.tenant_id)
    row = await repo.get(contact_id, include_deleted=True, for_update=True)
    if row is None:
        raise NotFound("no such contact")
    pending, seen = [row], {row["id"]}
    erased: list[Row] = []
    while pending:
        current = pending.pop()
        for merged in await repo.merged_into(current["id"]):
            if merged["id"] not in seen:
                seen.add(merged["id"])
                pending.append(merged)
        if current["erased_at"] is None:
            await _erase_one(conn, repo, current)
            erased.append(current)
    await traces.forget(conn, principal.tenant_id, erased)
