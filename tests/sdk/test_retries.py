"""Retries: a POST whose answer was lost is sent again with its Idempotency-Key and takes
effect once; 429 and 503 are waited out as the server says; retrying is bounded."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from roster_client import AsyncRoster, ConnectionFailed, RateLimited, Retries
from tests.conftest import Env
from tests.sdk.conftest import BASE, sdk_for


class LoseFirstAnswer(httpx.AsyncBaseTransport):
    """Hands each request to the app, but the answer to the first POST never arrives: the
    connection breaks after the server did the work, as a network can."""

    def __init__(self, app: object) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.keys: list[str | None] = []
        self.replayed: list[str | None] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method != "POST":
            return response
        self.keys.append(request.headers.get("idempotency-key"))
        await response.aread()
        if len(self.keys) == 1:
            raise httpx.ReadError("connection reset by peer", request=request)
        self.replayed.append(response.headers.get("idempotent-replayed"))
        return response


class Unavailable(httpx.AsyncBaseTransport):
    """Answers the first ``times`` requests 503 with ``Retry-After: 0`` (a proxy in front
    of a restarting server would), then lets requests through."""

    def __init__(self, app: object, times: int) -> None:
        self.inner = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        self.times = times
        self.seen = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen += 1
        if self.seen <= self.times:
            return httpx.Response(
                503,
                headers={"Retry-After": "0", "content-type": "application/problem+json"},
                json={"code": "unavailable", "status": 503, "title": "Unavailable"},
            )
        return await self.inner.handle_async_request(request)


async def test_a_retried_create_after_a_dropped_connection_creates_one_contact(
    env: Env, key: str
) -> None:
    transport = LoseFirstAnswer(env.app)
    async with sdk_for(env.app, key, transport=transport) as roster:
        contact = await roster.contacts.create(email="once@example.com")
        assert len(transport.keys) == 2 and transport.keys[0] == transport.keys[1]
        assert transport.replayed == ["true"]
        found = [c.id async for c in roster.contacts.list(q="once@example.com")]
        assert found == [contact.id]


async def test_a_given_idempotency_key_is_the_one_sent(env: Env, key: str) -> None:
    transport = LoseFirstAnswer(env.app)
    async with sdk_for(env.app, key, transport=transport) as roster:
        await roster.contacts.create(email="given@example.com", idempotency_key="order-17")
        assert transport.keys == ["order-17", "order-17"]


async def test_rate_limited_requests_wait_out_retry_after(roster: AsyncRoster, env: Env) -> None:
    made = await roster.api_keys.create("slow", ["contacts:read"], rate_limit="2/second")
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        await asyncio.sleep(seconds)

    async with sdk_for(env.app, made.key, sleep=sleep) as slow:
        for _ in range(5):
            assert [c async for c in slow.contacts.list()] == []
    # Each wait is the server's Retry-After (whole seconds, at least 1), not a backoff.
    assert waits and all(w >= 1 and w == int(w) for w in waits)
    async with sdk_for(env.app, made.key, retries=Retries(max_retries=0)) as impatient:
        with pytest.raises(RateLimited) as caught:
            for _ in range(5):
                await impatient.contacts.list().page()
    assert caught.value.retry_after is not None and caught.value.retry_after >= 1
    assert caught.value.request_id


async def test_unavailable_is_retried(env: Env, key: str) -> None:
    transport = Unavailable(env.app, times=2)
    async with sdk_for(env.app, key, transport=transport) as roster:
        assert [c async for c in roster.contacts.list()] == []
    assert transport.seen == 3


async def test_retrying_is_bounded() -> None:
    attempts: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise httpx.ConnectError("connection refused", request=request)

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    retries = Retries(max_retries=3, backoff=0.5, max_backoff=8)
    transport = httpx.MockTransport(refuse)
    async with AsyncRoster(BASE, "k", transport=transport, retries=retries, sleep=sleep) as r:
        with pytest.raises(ConnectionFailed):
            await r.contacts.create(email="x@example.com")
    assert len(attempts) == 4 and len(waits) == 3
    # Exponential backoff with jitter: the n-th wait lies in [cap/2, cap], cap = 0.5 * 2**n.
    for n, wait in enumerate(waits):
        assert 0.25 * 2**n <= wait <= 0.5 * 2**n
    assert len({a.headers["idempotency-key"] for a in attempts}) == 1
