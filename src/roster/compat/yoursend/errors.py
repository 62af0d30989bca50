"""yoursend's error body: ``{"error": {"code", "message", "status"}}``.

The reference document shows no error; YourSend's API reference gives every error this
envelope with a lower-case code (``invalid_api_key``, ``invalid_request``, ``not_found``,
``rate_limited``, ``internal_error``) and no 409 or 422, so a field problem, a malformed
body and an identifier taken by another contact are all a 400 ``invalid_request`` whose
message names the field.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from roster.compat import errors as compat_errors

_CODES = {
    400: "invalid_request",
    401: "invalid_api_key",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "invalid_request",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}
# Roster codes that keep their own name (and status).
_OWN = {"idempotency_in_progress", "idempotency_key_mismatch"}


class YoursendErrorObject(BaseModel):
    code: str = Field(examples=["not_found"])
    message: str = Field(examples=["Contact not found"])
    status: int = Field(examples=[404])


class YoursendError(BaseModel):
    error: YoursendErrorObject


_DESCRIPTIONS = {
    400: "`invalid_request`: a field is missing, malformed, or taken by another contact",
    401: "`invalid_api_key`: missing or invalid API key",
    403: "`forbidden`: the key lacks contacts:read or contacts:write",
    404: "`not_found`: no such contact",
    429: "`rate_limited`: too many requests; retry after Retry-After",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route answers (401, 403 and 429 always)."""
    return {
        status: {"model": YoursendError, "description": _DESCRIPTIONS[status]}
        for status in sorted({401, 403, 429, *statuses})
    }


def error(status: int, problem: dict[str, Any]) -> tuple[int, Any]:
    code = problem.get("code") or ""
    message = compat_errors.message(status, problem)
    if code == "conflict":
        field = str(problem.get("field") or "")
        message = f"a contact with this {field} already exists"
    if code in _OWN:
        name = code
    else:
        if status in (409, 422):
            status = 400
        name = _CODES.get(status, code or "error")
    return status, {"error": {"code": name, "message": message, "status": status}}
