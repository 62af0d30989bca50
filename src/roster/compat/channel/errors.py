"""channel's error body: ``{"code": <status>, "message": <text>}``.

The document names four answers: Unauthorized (401), Too Many Requests (429), Method Not
Allowed (405) and General (403), and shows no body; the platform's API answers every error
as ``{"code", "message"}``. So 401, 405 and 429 keep their status, a server failure (5xx)
keeps its own, and every other failure (a missing scope, an unknown contact, a field
problem, a taken phone or email) is the General 403 whose message says which, naming the
field by the dialect's name (``firstName``, ``profilePic`` …).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from roster.compat import errors as compat_errors

KEPT = {401, 405, 429}
# Roster's field names → the dialect's.
RENAMED = {"first_name": "firstName", "last_name": "lastName", "avatar_url": "profilePic"}


class ChannelError(BaseModel):
    code: int = Field(examples=[403], description="The HTTP status")
    message: str = Field(examples=["Contact not found"])


_DESCRIPTIONS = {
    401: "Unauthorized: missing or invalid token",
    403: "General: a missing scope, an unknown contact, a field that is not valid or taken",
    429: "Too Many Requests: over the channel limit (200 a minute by default) or the "
    "credential's own; retry after Retry-After",
}


def responses() -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses every route answers."""
    return {
        status: {"model": ChannelError, "description": description}
        for status, description in _DESCRIPTIONS.items()
    }


def renamed(field: str) -> str:
    head, dot, rest = field.partition(".")
    if head == "custom_fields" and rest:
        return rest  # a custom field is known by its name alone
    return RENAMED.get(head, head) + dot + rest


def error(status: int, problem: dict[str, Any]) -> tuple[int, Any]:
    message = compat_errors.message(status, problem, renamed)
    if problem.get("code") == "conflict":
        message = f"a contact with this {renamed(str(problem.get('field') or ''))} already exists"
    if status not in KEPT and status < 500:
        status = 403
    return status, {"code": status, "message": message}
