"""Admin: the tenant's events feed, newest first, filtered by type, paged by the feed's own
cursor (an event id)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from roster.console.admin_common import admin
from roster.console.web import Signed, engine, render
from roster.events import service as events
from roster.events.catalogue import CATALOGUE
from roster.events.outbox import sequence_pending
from roster.kit.db import transaction

router = APIRouter()

PAGE_SIZE = 50
# The filter's choices: each family of events, then each event type.
TYPES = (*dict.fromkeys(t.split(".", 1)[0] + ".*" for t in CATALOGUE), *CATALOGUE)


def _shown(row: dict[str, Any]) -> dict[str, Any]:
    """An event as the page shows it: the API's rendering, its data as indented JSON and
    the contact it is about (to link to), if any."""
    event = events.render(row)
    contact = event["data"].get("contact") if isinstance(event["data"], dict) else None
    return {
        **event,
        "json": json.dumps(event["data"], indent=2, ensure_ascii=False, sort_keys=True),
        "contact_id": contact.get("id") if isinstance(contact, dict) else None,
    }


@router.get("/admin/events")
async def events_feed(request: Request, session: Signed) -> Response:
    admin(session)
    chosen = (request.query_params.get("type") or "").strip()
    before = request.query_params.get("before") or None
    principal = session.principal
    # Number what has committed so far, as the API's feed does, so the page is current.
    async with transaction(engine(request), write=True) as conn:
        await sequence_pending(conn, tenant_id=principal.tenant_id)
    async with transaction(engine(request), write=False) as conn:
        found = await events.recent(
            conn, principal, before=before, types=[chosen] if chosen else [], limit=PAGE_SIZE
        )
    following = None
    if found.has_more and found.next_cursor:
        following = urlencode({**({"type": chosen} if chosen else {}), "before": found.next_cursor})
    return render(
        request,
        "admin/events.html",
        title="Events",
        events=[_shown(row) for row in found.rows],
        types=TYPES,
        chosen=chosen,
        following=following,
        paged=before is not None,
    )
