"""What the admin pages share: the admin scope check, form errors from the API's own
request schemas, and the admin section's front page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from roster.auth import scopes
from roster.console.sessions import Session
from roster.console.web import PREFIX, Signed, need, render
from roster.errors import Conflict, ValidationFailed

router = APIRouter()

ADMIN = PREFIX + "/admin"


def admin(session: Session) -> None:
    """403 unless the signed-in credential holds the admin scope (every admin page, read
    or write)."""
    need(session, scopes.ADMIN)


def field_errors(exc: ValidationError | ValidationFailed | Conflict) -> dict[str, str]:
    """Field name → the first message about it, to show beside the field (``events[2]``
    and ``options[0]`` are reported on ``events`` and ``options``)."""
    found: dict[str, str] = {}
    if isinstance(exc, ValidationError):
        for error in exc.errors(include_url=False):
            name = str(error["loc"][0]) if error["loc"] else "form"
            found.setdefault(name, error["msg"])
    elif isinstance(exc, Conflict):
        found[exc.field.split(".")[0]] = exc.detail or "already taken"
    else:
        for problem in exc.errors:
            found.setdefault(problem.field.split(".")[0].split("[")[0], problem.message)
    return found


def strings(values: list[Any]) -> list[str]:
    """The text values of a repeated form field (checkboxes), stripped, blanks dropped."""
    return [v.strip() for v in values if isinstance(v, str) and v.strip()]


@router.get("/admin")
async def admin_home(request: Request, session: Signed) -> Response:
    admin(session)
    return render(request, "admin/index.html", title="Admin")
