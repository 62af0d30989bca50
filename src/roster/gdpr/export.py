"""Everything Roster holds about one contact, machine-readable (GDPR Art. 15/20).

The contact, its consent history, its timeline (activities and own events) and its notes;
contacts merged into it are the same person, so each is included with the same parts.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.activities import service as activities
from roster.auth.principal import Principal
from roster.consent import history
from roster.consent.service import render_event
from roster.contacts import render
from roster.contacts import service as contacts
from roster.kit.timeutil import rfc3339, utcnow
from roster.notes import service as notes

Row = dict[str, Any]


async def _part(conn: AsyncConnection, principal: Principal, row: Row) -> Row:
    tenant_id, contact_id = principal.tenant_id, row["id"]
    body = render.contact(row)
    body["merged_into"] = str(row["merged_into"]) if row.get("merged_into") else None
    body["erased_at"] = rfc3339(row.get("erased_at"))
    return {
        "contact": body,
        "consent_history": [
            render_event(e) for e in await history.all_for(conn, tenant_id, contact_id)
        ],
        "activities": [
            activities.render(a) for a in await activities.all_for(conn, tenant_id, contact_id)
        ],
        "notes": [notes.render(n) for n in await notes.all_for(conn, tenant_id, contact_id)],
    }


async def export(conn: AsyncConnection, principal: Principal, contact_id: UUID) -> Row:
    row = await contacts.get(conn, principal, contact_id, include_deleted=True)
    document = await _part(conn, principal, row)
    merged = []
    for other in await contacts.merged_into(conn, principal, contact_id):
        merged.append(await _part(conn, principal, other))
    return {"exported_at": rfc3339(utcnow()), **document, "merged_contacts": merged}
