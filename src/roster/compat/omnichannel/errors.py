"""omnichannel's error body: ``{"error": {code, message, status, details}, "meta": {…}}``.

The reference document shows no error body; the platform's API overview gives every error
this envelope with an upper-case machine code (``VALIDATION_ERROR``, ``NOT_FOUND``,
``UNAUTHORIZED``, ``INSUFFICIENT_PERMISSIONS``, ``RATE_LIMIT_EXCEEDED`` …) and the field in
``details``, so that is what its clients read. Roster's field names become the dialect's
(``country`` → ``country_code``, ``status`` → ``lifecycle_stage``, ``custom_fields`` →
``metadata``).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from roster.kit.timeutil import rfc3339, utcnow

# Roster's field names → the dialect's (an error about ``custom_fields.plan`` is about
# ``metadata.plan``).
RENAMED = {"country": "country_code", "status": "lifecycle_stage", "custom_fields": "metadata"}
CODES = {
    400: "VALIDATION_ERROR",
    401: "UNAUTHORIZED",
    403: "INSUFFICIENT_PERMISSIONS",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    412: "PRECONDITION_FAILED",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "VALIDATION_ERROR",
    429: "RATE_LIMIT_EXCEEDED",
    500: "INTERNAL_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
# Roster codes that keep a code of their own rather than their status's.
OWN_CODES = {
    "idempotency_in_progress": "IDEMPOTENCY_IN_PROGRESS",
    "idempotency_key_mismatch": "IDEMPOTENCY_KEY_MISMATCH",
}


def renamed(field: str) -> str:
    head, dot, rest = field.partition(".")
    name, bracket, index = head.partition("[")
    return RENAMED.get(name, name) + bracket + index + dot + rest


class OmnichannelFieldError(BaseModel):
    field: str
    message: str


class OmnichannelErrorDetails(BaseModel):
    field: str | None = Field(default=None, description="The (first) field at fault")
    errors: list[OmnichannelFieldError] | None = Field(
        default=None, description="Every field at fault"
    )
    conflicting_id: str | None = Field(
        default=None, description="The contact that holds the identifier (409)"
    )


class OmnichannelErrorObject(BaseModel):
    code: str = Field(examples=["VALIDATION_ERROR"])
    message: str
    status: int
    details: OmnichannelErrorDetails


class OmnichannelErrorMeta(BaseModel):
    timestamp: str


class OmnichannelError(BaseModel):
    error: OmnichannelErrorObject
    meta: OmnichannelErrorMeta


_DESCRIPTIONS = {
    400: "Malformed request: body, query parameter or cursor (`VALIDATION_ERROR`, "
    "`INVALID_CURSOR`)",
    401: "Missing or invalid credential (`UNAUTHORIZED`)",
    403: "The credential lacks the scope (`INSUFFICIENT_PERMISSIONS`)",
    404: "No such object in this account (`NOT_FOUND`)",
    409: "An identifier or name is taken (`CONFLICT`)",
    422: "Fields failed validation (`VALIDATION_ERROR`)",
    429: "Too many requests (`RATE_LIMIT_EXCEEDED`); retry after Retry-After",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route answers (401, 403 and 429 always)."""
    return {
        status: {"model": OmnichannelError, "description": _DESCRIPTIONS[status]}
        for status in sorted({401, 403, 429, *statuses})
    }


def error(status: int, problem: dict[str, Any]) -> tuple[int, Any]:
    code = problem.get("code") or ""
    detail = problem.get("detail") or problem.get("title") or ""
    listed = [
        {"field": renamed(e.get("field", "")), "message": e.get("message", "")}
        for e in problem.get("errors") or []
    ]
    details: dict[str, Any] = {}
    if listed:
        details = {"field": listed[0]["field"], "errors": listed}
        if len(listed) == 1:
            detail = f"{listed[0]['field']}: {listed[0]['message']}"
    if code == "conflict":
        field = renamed(problem.get("field") or "")
        details = {"field": field, "conflicting_id": problem.get("conflicting_id")}
    name = OWN_CODES.get(code) or CODES.get(status) or code.upper()
    if status == 400 and detail.startswith("cursor"):
        name = "INVALID_CURSOR"
    body = {
        "error": {"code": name, "message": detail, "status": status, "details": details},
        "meta": {"timestamp": rfc3339(utcnow())},
    }
    return status, body
