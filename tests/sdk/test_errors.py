"""Each problem code arrives as its own exception, with the request id of the answer."""

from __future__ import annotations

import uuid

import httpx
import pytest

from roster_client import (
    AsyncRoster,
    BadRequest,
    Conflict,
    Forbidden,
    IdempotencyKeyMismatch,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    RosterError,
    Unauthorized,
    ValidationFailed,
    errors,
)
from tests.conftest import Env
from tests.helpers.apps import app_with
from tests.sdk.conftest import sdk_for


async def test_problems_from_the_server(roster: AsyncRoster, env: Env) -> None:
    with pytest.raises(BadRequest) as bad:
        await roster.contacts.list(limit=0).page()
    assert bad.value.status == 400 and bad.value.code == "invalid_request"
    with pytest.raises(NotFound) as missing:
        await roster.contacts.get(str(uuid.uuid4()))
    assert missing.value.request_id and missing.value.code == "not_found"
    first = await roster.contacts.create(email="taken@example.com")
    with pytest.raises(Conflict) as taken:
        await roster.contacts.create(email="TAKEN@example.com")
    assert (taken.value.field, taken.value.conflicting_id) == ("email", str(first.id))
    with pytest.raises(ValidationFailed) as invalid:
        await roster.contacts.create(phone="not a phone")
    assert [e.field for e in invalid.value.errors] == ["phone"]
    with pytest.raises(PreconditionFailed):
        await roster.contacts.update(str(first.id), {"company": "x"}, if_match=7)
    await roster.contacts.create(email="k1@example.com", idempotency_key="same")
    with pytest.raises(IdempotencyKeyMismatch) as mismatch:
        await roster.contacts.create(email="k2@example.com", idempotency_key="same")
    assert mismatch.value.status == 422
    reader = await roster.api_keys.create("reader", ["contacts:read"])
    async with sdk_for(env.app, reader.key) as limited:
        with pytest.raises(Forbidden):
            await limited.webhooks.list().page()
    async with sdk_for(env.app, "rk_live_" + "x" * 32) as stranger:
        with pytest.raises(Unauthorized) as unknown:
            await stranger.contacts.list().page()
    assert unknown.value.request_id


async def test_payload_too_large(env: Env, key: str) -> None:
    async with app_with(env, max_body_bytes=2048) as app, sdk_for(app, key) as roster:
        with pytest.raises(PayloadTooLarge):
            await roster.contacts.create(email="big@example.com", company="x" * 4000)


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (400, "invalid_request", errors.BadRequest),
        (401, "unauthorized", errors.Unauthorized),
        (403, "forbidden", errors.Forbidden),
        (404, "not_found", errors.NotFound),
        (409, "conflict", errors.Conflict),
        (409, "idempotency_in_progress", errors.IdempotencyInProgress),
        (412, "precondition_failed", errors.PreconditionFailed),
        (413, "payload_too_large", errors.PayloadTooLarge),
        (422, "validation_error", errors.ValidationFailed),
        (422, "idempotency_key_mismatch", errors.IdempotencyKeyMismatch),
        (429, "rate_limited", errors.RateLimited),
        (503, "unavailable", errors.Unavailable),
        (500, "internal_error", errors.ServerError),
    ],
)
def test_every_code_has_its_exception(status: int, code: str, kind: type[RosterError]) -> None:
    response = httpx.Response(
        status,
        headers={"x-request-id": "req-1", "retry-after": "3"},
        json={"type": f"/problems/{code}", "status": status, "code": code, "detail": "d"},
    )
    error = errors.from_response(response)
    assert type(error) is kind
    assert (error.status, error.code, error.request_id, error.detail) == (
        status,
        code,
        "req-1",
        "d",
    )
    if isinstance(error, errors.RateLimited | errors.Unavailable):
        assert error.retry_after == 3
