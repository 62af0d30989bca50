"""Reading and changing a contact's consent; the opt-out list."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncConnection

from roster.auth.principal import Principal
from roster.consent.repository import ConsentRepository, OptOutRepository
from roster.contacts import service as contacts
from roster.errors import InvalidRequest
from roster.filters import listing
from roster.kit.pagination import Cursors, Page, PageRequest, keyset_page
from roster.kit.timeutil import rfc3339
from roster.models import PREFERENCE_CHANNELS

Row = dict[str, Any]


def preferences(row: Row) -> dict[str, str]:
    return {channel: row[f"pref_{channel}"] for channel in PREFERENCE_CHANNELS}


async def get_preferences(conn: AsyncConnection, principal: Principal, contact_id: UUID) -> Row:
    return await contacts.get(conn, principal, contact_id)


async def put_preferences(
    conn: AsyncConnection,
    principal: Principal,
    contact_id: UUID,
    body: Row,
    *,
    if_match: str | None,
) -> Row:
    patch: Row = {
        k: body[k] for k in ("preferences", "suppressed", "suppressed_reason") if k in body
    }
    if patch.get("suppressed") is False and "suppressed_reason" not in patch:
        patch["suppressed_reason"] = None  # a lifted suppression keeps no reason
    return await contacts.set_consent(
        conn,
        principal,
        contact_id,
        patch,
        source=body["source"],
        note=body.get("note"),
        if_match=if_match,
    )


def render_event(row: Row) -> Row:
    return {
        "id": str(row["id"]),
        "channel": row["channel"],
        "from": row["from_state"],
        "to": row["to_state"],
        "source": row["source"],
        "actor": str(row["actor"]) if row["actor"] else None,
        "note": row["note"],
        "at": rfc3339(row["at"]),
    }


def _uuid_key(paging: PageRequest) -> UUID | None:
    if paging.cursor is None:
        return None
    try:
        return UUID(str(paging.cursor[0]))
    except (ValueError, IndexError):
        raise InvalidRequest("cursor is not valid") from None


async def history_page(
    conn: AsyncConnection,
    principal: Principal,
    contact_id: UUID,
    *,
    paging: PageRequest,
    cursors: Cursors,
) -> Page:
    """The contact's consent history newest first (archived contacts included)."""
    await contacts.get(conn, principal, contact_id, include_deleted=True)
    rows = await ConsentRepository(conn, principal.tenant_id).page(
        contact_id, _uuid_key(paging), paging.offset, paging.limit + 1
    )
    return keyset_page(
        rows, paging.limit, key_of=lambda r: [str(r["id"])], cursors=cursors, kind="consent"
    )


async def optouts_page(
    conn: AsyncConnection,
    principal: Principal,
    *,
    channel: str | None,
    q: str | None,
    paging: PageRequest,
    cursors: Cursors,
) -> Page:
    where = listing.opted_out(principal.tenant_id, channel, q)
    rows = await OptOutRepository(conn, principal.tenant_id).page(
        where, _uuid_key(paging), paging.offset, paging.limit + 1
    )
    return keyset_page(
        rows,
        paging.limit,
        key_of=lambda r: [str(r["id"])],
        cursors=cursors,
        kind=f"optouts:{channel or '*'}:{q or ''}",
    )
