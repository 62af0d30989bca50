"""yebolink's error body: ``{"success": false, "error": <code>, "message": <text>}``.

The document shows two: 404 ``not_found`` "Contact not found" and the duplicate phone, a 400
``validation_error`` "Contact with this phone number already exists". Every other failure
takes the same envelope with a lower-case code (``unauthorized``, ``forbidden``,
``rate_limited`` …); every field problem is a 400 ``validation_error`` whose message names
the field, as the duplicate is.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from roster.compat import errors as compat_errors

_TAKEN = {
    "phone": "Contact with this phone number already exists",
    "email": "Contact with this email already exists",
}
_CODES = {
    400: "validation_error",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}
# Roster codes that keep their own name.
_OWN = {"idempotency_in_progress", "idempotency_key_mismatch"}


class YebolinkError(BaseModel):
    success: bool = Field(examples=[False])
    error: str = Field(examples=["not_found"])
    message: str = Field(examples=["Contact not found"])


_DESCRIPTIONS = {
    400: "`validation_error`: a field is missing, malformed, or taken by another contact",
    401: "`unauthorized`: missing or invalid token",
    403: "`forbidden`: the token lacks contacts:read or contacts:write",
    404: "`not_found`: Contact not found",
    429: "`rate_limited`: too many requests; retry after Retry-After",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route answers (401, 403 and 429 always)."""
    return {
        status: {"model": YebolinkError, "description": _DESCRIPTIONS[status]}
        for status in sorted({401, 403, 429, *statuses})
    }


def error(status: int, problem: dict[str, Any]) -> tuple[int, Any]:
    code = problem.get("code") or ""
    message = compat_errors.message(status, problem)
    if code == "conflict":
        field = str(problem.get("field") or "")
        status, message = 400, _TAKEN.get(field, f"Contact with this {field} already exists")
    if code in _OWN:
        return status, {"success": False, "error": code, "message": message}
    if status in (400, 422):
        status = 400
    name = _CODES.get(status, code or "error")
    return status, {"success": False, "error": name, "message": message}
