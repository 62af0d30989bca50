"""Admin: the tenant's API keys: the list, a new key (its secret shown once, on the page
that answers the form, never again) and revoking one after a confirmation."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from roster.apikeys import service as apikeys
from roster.apikeys.schemas import ApiKeyCreate
from roster.auth.scopes import ALL_SCOPES
from roster.console.admin_common import ADMIN, admin, field_errors, strings
from roster.console.web import Posted, Signed, cursor_page, engine, form_of, page_cursors, render
from roster.errors import ValidationFailed
from roster.kit.db import transaction

router = APIRouter()

KEYS = ADMIN + "/keys"
PAGE_SIZE = 50
SCOPE_HELP = {
    "contacts:read": "read contacts, lists, segments and the events feed",
    "contacts:write": "also create, change and erase contacts, import",
    "admin": "everything, including keys, webhooks and custom fields",
}


@router.get("/admin/keys")
async def list_keys(request: Request, session: Signed) -> Response:
    admin(session)
    paging = cursor_page(request, PAGE_SIZE, "api-keys")
    async with transaction(engine(request), write=False) as conn:
        found = await apikeys.list_page(
            conn, session.principal, paging=paging, cursors=page_cursors(request)
        )
    return render(
        request,
        "admin/keys.html",
        title="API keys",
        keys=[apikeys.render(row) for row in found.rows],
        next_cursor=found.next_cursor if found.has_more else None,
        current=str(session.principal.credential_id),
        revoked=request.query_params.get("revoked") == "1",
    )


def _form(
    request: Request,
    *,
    name: str = "",
    chosen: list[str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "admin/key_new.html",
        status=422 if errors else 200,
        title="New API key",
        name=name,
        chosen=chosen if chosen is not None else ["contacts:read"],
        scopes=[(s, SCOPE_HELP.get(s, "")) for s in ALL_SCOPES],
        errors=errors or {},
    )


@router.get("/admin/keys/new")
async def new_key(request: Request, session: Signed) -> Response:
    admin(session)
    return _form(request)


@router.post("/admin/keys/new")
async def create_key(request: Request, session: Posted) -> Response:
    """Create the key with the API's own checks; the answer is the one page that shows the
    secret (the list and every later page show its prefix and last four only)."""
    admin(session)
    form = await form_of(request)
    raw_name = form.get("name")
    name = raw_name if isinstance(raw_name, str) else ""
    chosen = strings(form.getlist("scopes"))
    try:
        checked = ApiKeyCreate.model_validate({"name": name, "scopes": chosen})
        async with transaction(engine(request), write=True) as conn:
            created = await apikeys.create(
                conn,
                session.principal,
                name=checked.name,
                scopes=list(checked.scopes),
                expires_at=None,
                rate_limit=None,
            )
    except (ValidationError, ValidationFailed) as exc:
        return _form(request, name=name, chosen=chosen, errors=field_errors(exc))
    return render(request, "admin/key_created.html", title="API key created", key=created)


@router.get("/admin/keys/{key_id}/revoke")
async def confirm_revoke(request: Request, session: Signed, key_id: UUID) -> Response:
    admin(session)
    async with transaction(engine(request), write=False) as conn:
        key = await apikeys.get(conn, session.principal, key_id)
    return render(
        request,
        "admin/key_revoke.html",
        title="Revoke API key",
        key=key,
        own=key_id == session.principal.credential_id,
    )


@router.post("/admin/keys/{key_id}/revoke")
async def revoke_key(request: Request, session: Posted, key_id: UUID) -> Response:
    admin(session)
    async with transaction(engine(request), write=True) as conn:
        await apikeys.revoke(conn, session.principal, key_id)
    return RedirectResponse(KEYS + "?revoked=1", status_code=303)
