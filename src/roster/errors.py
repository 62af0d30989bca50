"""Domain errors and their rendering as RFC 9457 problem details.

Services raise these; one set of handlers in ``app.py`` turns every failure, including the
framework's own 404/405/422 and unexpected exceptions, into ``application/problem+json``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

TITLES: dict[str, str] = {
    "invalid_request": "Invalid request",
    "unauthorized": "Unauthorized",
    "forbidden": "Forbidden",
    "not_found": "Not found",
    "method_not_allowed": "Method not allowed",
    "conflict": "Conflict",
    "idempotency_in_progress": "Request with this Idempotency-Key in progress",
    "precondition_failed": "Precondition failed",
    "payload_too_large": "Payload too large",
    "unsupported_media_type": "Unsupported media type",
    "validation_error": "Validation failed",
    "idempotency_key_mismatch": "Idempotency-Key reused with a different request",
    "rate_limited": "Too many requests",
    "request_header_fields_too_large": "Request header fields too large",
    "internal_error": "Internal server error",
    "unavailable": "Service unavailable",
}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class RosterError(Exception):
    """Base of every error that reaches a client; carries its HTTP status and stable code."""

    status: int = 500
    code: str = "internal_error"

    def __init__(self, detail: str | None = None, *, headers: dict[str, str] | None = None):
        super().__init__(detail or TITLES[self.code])
        self.detail = detail
        self.headers = headers or {}

    def extra(self) -> dict[str, Any]:
        return {}

    def body(self) -> dict[str, Any]:
        return problem_body(self.status, self.code, self.detail, **self.extra())


class InvalidRequest(RosterError):
    status, code = 400, "invalid_request"


class BadParameter(InvalidRequest):
    """400 naming the query parameter, shaped like the framework's own query errors."""

    def __init__(self, name: str, message: str):
        super().__init__(f"{name}: {message}")
        self.name, self.message = name, message

    def extra(self) -> dict[str, Any]:
        return {"errors": [{"field": self.name, "message": self.message}]}


class Unauthorized(RosterError):
    status, code = 401, "unauthorized"

    def __init__(self, detail: str | None = None):
        super().__init__(detail, headers={"WWW-Authenticate": 'Bearer realm="roster"'})


class Forbidden(RosterError):
    status, code = 403, "forbidden"


class NotFound(RosterError):
    status, code = 404, "not_found"


class PreconditionFailed(RosterError):
    status, code = 412, "precondition_failed"


class PayloadTooLarge(RosterError):
    status, code = 413, "payload_too_large"


class UnsupportedMediaType(RosterError):
    status, code = 415, "unsupported_media_type"


class Unavailable(RosterError):
    status, code = 503, "unavailable"

    def __init__(self, detail: str | None = None, retry_after: int = 2):
        super().__init__(detail, headers={"Retry-After": str(retry_after)})


class Conflict(RosterError):
    """A unique identifier is taken by another live contact (or other object)."""

    status, code = 409, "conflict"

    def __init__(self, field: str, conflicting_id: UUID | None, detail: str | None = None):
        super().__init__(detail or f"{field} is already used by another object")
        self.field = field
        self.conflicting_id = conflicting_id

    def extra(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "conflicting_id": str(self.conflicting_id) if self.conflicting_id else None,
        }


class ValidationFailed(RosterError):
    status, code = 422, "validation_error"

    def __init__(self, errors: list[FieldProblem]):
        count = len(errors)
        super().__init__(f"{count} field{'s are' if count != 1 else ' is'} invalid")
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: str) -> ValidationFailed:
        return cls([FieldProblem(field, message)])

    def extra(self) -> dict[str, Any]:
        return {"errors": [e.as_dict() for e in self.errors]}


def problem_body(status: int, code: str, detail: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"/problems/{code}",
        "title": TITLES.get(code, code.replace("_", " ").capitalize()),
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body
