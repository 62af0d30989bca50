"""lynkist's error bodies: ``{"detail": …}``, as a FastAPI service answers.

The document lists the statuses (400 missing field or malformed JSON, 401, 403, 404, 422
with field-level details, 429) and points to an envelope it does not show; lynkist validates
with Pydantic, so its clients read FastAPI's: ``{"detail": "message"}``, and for 422
``{"detail": [{"loc": [...], "msg": ..., "type": ...}]}``. Roster's problem is mapped onto
that: a body that only lacks required fields is the document's 400; a bad query parameter
is a 422 naming it (as FastAPI does); an identifier taken by another contact is a 422 on
that field (the document has no 409).
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

_INDEX = re.compile(r"\[(\d+)\]")
_MISSING = "Field required"
_DETAILS = {404: "Contact not found", 405: "Method Not Allowed"}


class LynkistFieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class LynkistError(BaseModel):
    detail: str


class LynkistValidationError(BaseModel):
    detail: list[LynkistFieldError]


class LynkistBadRequest(BaseModel):
    detail: str | list[LynkistFieldError] = Field(
        description="A message, or the required fields that are missing"
    )


_DESCRIPTIONS = {
    400: "Body missing required fields, or malformed JSON",
    401: "Missing or invalid API key",
    403: "The key lacks contacts:read or contacts:write",
    404: "Contact ID does not exist or belongs to another tenant",
    422: "Validation error: see the field-level details",
    429: "Rate limit hit; retry after Retry-After",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route answers (401, 403 and 429 always)."""
    models = {400: LynkistBadRequest, 422: LynkistValidationError}
    return {
        status: {"model": models.get(status, LynkistError), "description": _DESCRIPTIONS[status]}
        for status in sorted({401, 403, 429, *statuses})
    }


def location(where: str, field: str) -> list[str | int]:
    """``tags[0]`` in the body → ``["body", "tags", 0]``."""
    parts: list[str | int] = [where]
    for part in field.split("."):
        name, _, rest = part.partition("[")
        if name:
            parts.append(name)
        parts.extend(int(i) for i in _INDEX.findall("[" + rest) if rest)
    return parts


def _details(problem: dict[str, Any], where: str, kind: str) -> list[dict[str, Any]]:
    errors = problem.get("errors") or [
        {"field": problem.get("field") or "", "message": problem.get("detail") or ""}
    ]
    out = []
    for e in errors:
        message = e.get("message", "")
        out.append(
            {
                "loc": location(where, e.get("field", "")) if e.get("field") else [where],
                "msg": message,
                "type": "missing" if message == _MISSING else kind,
            }
        )
    return out


def error(status: int, problem: dict[str, Any]) -> tuple[int, Any]:
    code = problem.get("code")
    detail = problem.get("detail") or problem.get("title") or ""
    if code == "validation_error":
        details = _details(problem, "body", "value_error")
        if all(d["type"] == "missing" for d in details):
            return 400, {"detail": details}
        return 422, {"detail": details}
    if code == "conflict":
        message = f"{problem.get('field')} is already used by another contact"
        body = {"loc": ["body", problem.get("field")], "msg": message, "type": "value_error"}
        if problem.get("conflicting_id"):
            body["conflicting_id"] = problem["conflicting_id"]
        return 422, {"detail": [body]}
    if code == "idempotency_key_mismatch":
        loc: list[str | int] = ["header", "Idempotency-Key"]
        return 422, {"detail": [{"loc": loc, "msg": detail, "type": "value_error"}]}
    if code == "invalid_request" and problem.get("errors"):
        return 422, {"detail": _details(problem, "query", "value_error")}
    if status == 404 and detail == "no such route":
        return 404, {"detail": "Not Found"}
    return status, {"detail": _DETAILS.get(status, detail)}
