"""``webhooks.verify`` accepts Roster's own deliveries and rejects a tampered one, as the
``standardwebhooks`` reference library does."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import standardwebhooks

from roster_client import AsyncRoster, WebhookVerificationError, verify
from tests.conftest import Env
from tests.webhooks.conftest import relay_for
from tests.webhooks.receiver import Receiver


async def test_roster_deliveries_verify_and_tampered_ones_do_not(
    env: Env, roster: AsyncRoster, private_ok: None
) -> None:
    receiver = await Receiver().start()
    try:
        hook = await roster.webhooks.create(receiver.url(), ["contact.*"])
        contact = await roster.contacts.create(email="signed@example.com")
        async with relay_for(env) as relay:
            await receiver.wait_for(1, relay)
            await relay.drain()
        rotated = await roster.webhooks.rotate_secret(str(hook.id))
        await roster.contacts.update(str(contact.id), {"company": "Acme"})
        async with relay_for(env) as relay:
            await receiver.wait_for(2, relay)
            await relay.drain()
    finally:
        await receiver.stop()
    first, second = receiver.received[:2]
    reference = standardwebhooks.Webhook(hook.secret)
    event = roster.webhooks.verify(first.body, first.headers, hook.secret)
    assert event["type"] == "contact.created" and event["data"]["contact"]["id"] == str(contact.id)
    assert reference.verify(first.body, first.headers) == event
    # During a rotation both secrets sign: either verifies.
    for secret in (hook.secret, rotated.secret):
        assert verify(second.body, second.headers, secret)["type"] == "contact.updated"
        assert standardwebhooks.Webhook(secret).verify(second.body, second.headers)
    tampered = first.body.replace(b"signed@example.com", b"forged@example.com")
    with pytest.raises(WebhookVerificationError):
        verify(tampered, first.headers, hook.secret)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        reference.verify(tampered, first.headers)
    with pytest.raises(WebhookVerificationError):
        verify(first.body, first.headers, "whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB")
    forged = {**first.headers, "webhook-id": "msg_forged"}
    with pytest.raises(WebhookVerificationError):
        verify(first.body, forged, hook.secret)


def test_a_signature_made_by_the_reference_library_verifies() -> None:
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    payload = '{"type": "contact.created", "data": {}}'
    stamp = 1_800_000_000
    sent_at = datetime.fromtimestamp(stamp, tz=UTC)
    signature = standardwebhooks.Webhook(secret).sign("msg_1", sent_at, payload)
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": signature,
    }
    assert verify(payload, headers, secret, now=stamp + 60) == {
        "type": "contact.created",
        "data": {},
    }
    # Out of the five minutes' tolerance, against replays.
    with pytest.raises(WebhookVerificationError):
        verify(payload, headers, secret, now=stamp + 3600)
