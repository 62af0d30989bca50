"""Verify a webhook delivery from Roster: Standard Webhooks signatures (HMAC-SHA256).

Roster signs ``{webhook-id}.{webhook-timestamp}.{body}`` with the endpoint's secret
(``whsec_`` and base64) and sends ``webhook-signature: v1,<base64>`` (several, space
separated, while a secret is being rotated). The check is the one of the ``standardwebhooks``
reference library: the same secrets and headers pass or fail both.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

from roster_client.errors import RosterError

TOLERANCE = 5 * 60  # seconds a timestamp may be off, against replays


class WebhookVerificationError(RosterError):
    """The delivery is not signed by this secret, or is too old or too new."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail, code="webhook_verification_failed")


def verify(
    payload: bytes | str,
    headers: Mapping[str, str],
    secret: str,
    *,
    tolerance: int = TOLERANCE,
    now: float | None = None,
) -> Any:
    """Check the signature of a delivery and return its JSON body.

    ``payload`` is the raw request body, exactly as received (not re-serialised JSON);
    ``headers`` the request's headers (any case); ``secret`` the endpoint's ``whsec_…``.
    Raises :class:`WebhookVerificationError` when it does not verify."""
    raw = payload.encode() if isinstance(payload, str) else payload
    lowered = {k.lower(): v for k, v in headers.items()}
    msg_id = lowered.get("webhook-id")
    stamp = lowered.get("webhook-timestamp")
    signatures = lowered.get("webhook-signature")
    if not (msg_id and stamp and signatures):
        raise WebhookVerificationError("missing webhook-id, -timestamp or -signature header")
    try:
        sent_at = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a number") from None
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance:
        raise WebhookVerificationError("webhook-timestamp is outside the tolerance")
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except ValueError:
        raise WebhookVerificationError("the secret is not whsec_ and base64") from None
    signed = msg_id.encode() + b"." + stamp.encode() + b"." + raw
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    for candidate in signatures.split(" "):
        version, _, signature = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(signature, expected):
            return json.loads(raw)
    raise WebhookVerificationError("no signature matches the secret")
