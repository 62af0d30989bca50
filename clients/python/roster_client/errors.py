"""Typed exceptions, built from Roster's problem+json answers (RFC 9457).

Every exception carries ``status``, ``code`` (Roster's stable machine key), ``detail``,
``request_id`` (the response's ``X-Request-Id``: quote it when reporting a problem) and the
whole ``problem`` body. Catch :class:`RosterError` for all of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class FieldError:
    """One invalid field of a request: ``field`` is its path (``phone``, ``all[1].value``)."""

    field: str
    message: str


class RosterError(Exception):
    """An error answered by Roster, or a request that could not reach it."""

    status: int | None
    code: str
    detail: str
    request_id: str | None
    problem: dict[str, Any]

    def __init__(
        self,
        detail: str,
        *,
        status: int | None = None,
        code: str = "error",
        request_id: str | None = None,
        problem: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.detail = detail
        self.request_id = request_id
        self.problem = problem or {}
        suffix = f" (request {request_id})" if request_id else ""
        super().__init__(f"{status or ''} {code}: {detail}{suffix}".strip())


class ConnectionFailed(RosterError):
    """Roster could not be reached (or the connection broke) on every attempt."""


class BadRequest(RosterError):
    """400 ``invalid_request``: malformed JSON, a bad query parameter or cursor."""


class Unauthorized(RosterError):
    """401: no credential, or a bad, expired or revoked one."""


class Forbidden(RosterError):
    """403: the credential lacks the scope."""


class NotFound(RosterError):
    """404: no such object in this tenant."""


class Conflict(RosterError):
    """409 ``conflict``: a unique identifier is taken, by ``conflicting_id``'s ``field``."""

    @property
    def field(self) -> str | None:
        value = self.problem.get("field")
        return value if isinstance(value, str) else None

    @property
    def conflicting_id(self) -> str | None:
        value = self.problem.get("conflicting_id")
        return value if isinstance(value, str) else None


class IdempotencyInProgress(RosterError):
    """409 ``idempotency_in_progress``: a request with the same Idempotency-Key runs."""


class PreconditionFailed(RosterError):
    """412: ``if_match`` names a version that is no longer current; nothing changed."""


class PayloadTooLarge(RosterError):
    """413: the body is over the server's limit."""


class ValidationFailed(RosterError):
    """422 ``validation_error``: ``errors`` lists each invalid field."""

    @property
    def errors(self) -> list[FieldError]:
        found = self.problem.get("errors")
        if not isinstance(found, list):
            return []
        return [
            FieldError(str(e.get("field", "")), str(e.get("message", "")))
            for e in found
            if isinstance(e, dict)
        ]


class IdempotencyKeyMismatch(RosterError):
    """422 ``idempotency_key_mismatch``: the key was used before with another request."""


class _WaitHint(RosterError):
    @property
    def retry_after(self) -> float | None:
        """Seconds the server asked to wait (``Retry-After``), when it said."""
        value = self.problem.get("retry_after")
        return float(value) if isinstance(value, int | float) else None


class RateLimited(_WaitHint):
    """429: over the credential's rate limit, still after the client's retries."""


class Unavailable(_WaitHint):
    """503: the database or a dependency is down, still after the client's retries."""


class ServerError(RosterError):
    """Any other 5xx."""


BY_CODE: dict[str, type[RosterError]] = {
    "invalid_request": BadRequest,
    "unauthorized": Unauthorized,
    "forbidden": Forbidden,
    "not_found": NotFound,
    "conflict": Conflict,
    "idempotency_in_progress": IdempotencyInProgress,
    "precondition_failed": PreconditionFailed,
    "payload_too_large": PayloadTooLarge,
    "validation_error": ValidationFailed,
    "idempotency_key_mismatch": IdempotencyKeyMismatch,
    "rate_limited": RateLimited,
    "unavailable": Unavailable,
}
BY_STATUS: dict[int, type[RosterError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    412: PreconditionFailed,
    413: PayloadTooLarge,
    422: ValidationFailed,
    429: RateLimited,
    503: Unavailable,
}


def from_response(response: httpx.Response) -> RosterError:
    """The exception for an error answer (its body read already)."""
    try:
        body = response.json()
    except ValueError:
        body = None
    problem: dict[str, Any] = body if isinstance(body, dict) else {}
    code = str(problem.get("code") or f"http_{response.status_code}")
    kind = BY_CODE.get(code) or BY_STATUS.get(response.status_code)
    if kind is None:
        kind = ServerError if response.status_code >= 500 else RosterError
    retry_after = parse_retry_after(response.headers.get("retry-after"))
    if retry_after is not None:
        problem.setdefault("retry_after", retry_after)
    detail = str(problem.get("detail") or problem.get("title") or response.reason_phrase)
    return kind(
        detail,
        status=response.status_code,
        code=code,
        request_id=response.headers.get("x-request-id"),
        problem=problem,
    )


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (its HTTP-date form is not used by Roster)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None
