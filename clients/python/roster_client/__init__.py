"""Roster's Python SDK: ``Roster`` (synchronous) and ``AsyncRoster`` over httpx.

    from roster_client import Roster

    with Roster("http://localhost:8000", api_key="rk_live_…") as roster:
        contact = roster.contacts.create(phone="+14155551234", first_name="Jane")
        for c in roster.contacts.list(tag="vip"):
            print(c.id, c.name)

docs/sdk.md in the Roster repository is the guide.
"""

from roster_client import errors, models
from roster_client._async.client import AsyncRoster
from roster_client._common import Page, Retries
from roster_client._sync.client import Roster
from roster_client.errors import (
    BadRequest,
    Conflict,
    ConnectionFailed,
    Forbidden,
    IdempotencyInProgress,
    IdempotencyKeyMismatch,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RateLimited,
    RosterError,
    ServerError,
    Unauthorized,
    Unavailable,
    ValidationFailed,
)
from roster_client.webhooks import WebhookVerificationError, verify

__version__ = "1.0.0"
__all__ = [
    "AsyncRoster",
    "BadRequest",
    "Conflict",
    "ConnectionFailed",
    "Forbidden",
    "IdempotencyInProgress",
    "IdempotencyKeyMismatch",
    "NotFound",
    "Page",
    "PayloadTooLarge",
    "PreconditionFailed",
    "RateLimited",
    "Retries",
    "Roster",
    "RosterError",
    "ServerError",
    "Unauthorized",
    "Unavailable",
    "ValidationFailed",
    "WebhookVerificationError",
    "errors",
    "models",
    "verify",
]
