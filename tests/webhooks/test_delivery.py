"""Delivery to a real local receiver: signatures, retries, order, isolation of slow endpoints."""

from __future__ import annotations

import asyncio
import time

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from tests.conftest import make_contact
from tests.webhooks.conftest import register, relay_for


async def deliveries(client, hook):
    return (await client.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["data"]


async def test_events_arrive_signed_per_standard_webhooks(env, client, private_ok, receiver):
    hook = await register(client, receiver, events=["contact.created", "contact.deleted"])
    c = await make_contact(client, phone="+14155550301", first_name="Hook")
    await client.patch(f"/v1/contacts/{c['id']}", json={"company": "Not subscribed"})
    await client.delete(f"/v1/contacts/{c['id']}")
    async with relay_for(env) as relay:
        await receiver.wait_for(2, relay)
        await relay.drain()
    verifier = Webhook(hook["secret"])
    events = []
    for got in receiver.received:
        events.append(verifier.verify(got.body, got.headers))
        assert got.headers["Content-Type"] == "application/json"
        assert got.headers["webhook-id"] == events[-1]["id"]
        assert got.headers["webhook-id"].startswith("evt_")
    assert [e["type"] for e in events] == ["contact.created", "contact.deleted"]
    assert events[0]["data"]["contact"]["phone"] == "+14155550301"
    # tampering with the id, the timestamp or the body breaks the signature
    sample = receiver.received[0]
    assert abs(int(sample.headers["webhook-timestamp"]) - time.time()) < 60
    for header, value in (
        ("webhook-id", "evt_forged"),
        ("webhook-timestamp", str(int(sample.headers["webhook-timestamp"]) - 7)),
    ):
        with pytest.raises(WebhookVerificationError):
            verifier.verify(sample.body, {**sample.headers, header: value})
    with pytest.raises(WebhookVerificationError):
        verifier.verify(sample.body.replace(b"Hook", b"Hack"), sample.headers)
    log = await deliveries(client, hook)
    assert [d["status"] for d in log] == ["delivered", "delivered"]
    assert all(d["last_status_code"] == 200 and d["attempts"] == 1 for d in log)


async def test_failures_are_retried_on_the_schedule_then_succeed(env, client, private_ok, receiver):
    receiver.answer = lambda n, r: (500, {}, 0.0) if n <= 2 else (200, {}, 0.0)
    hook = await register(client, receiver)
    await make_contact(client)
    async with relay_for(env, webhook_retry_schedule="0.3,0.6") as relay:
        await receiver.wait_for(3, relay)
        await relay.drain()
    times = [r.at for r in receiver.received]
    assert times[1] - times[0] >= 0.3 * 0.8
    assert times[2] - times[1] >= 0.6 * 0.8
    assert len({r.headers["webhook-id"] for r in receiver.received}) == 1  # same message
    [log] = await deliveries(client, hook)
    assert log["status"] == "delivered"
    assert log["attempts"] == 3


async def test_retry_after_is_honoured(env, client, private_ok, receiver):
    receiver.answer = lambda n, r: (429, {"Retry-After": "1"}, 0.0) if n == 1 else (200, {}, 0.0)
    await register(client, receiver)
    await make_contact(client)
    async with relay_for(env, webhook_retry_schedule="0.05") as relay:
        await receiver.wait_for(2, relay)
    assert receiver.received[1].at - receiver.received[0].at >= 0.95


async def test_giving_up_and_final_4xx(env, client, private_ok, receiver):
    receiver.answer = lambda n, r: (400, {}, 0.0) if r.path == "/bad" else (503, {}, 0.0)
    bad = await register(client, receiver, path="/bad")
    down = await register(client, receiver, path="/down")
    await make_contact(client)
    async with relay_for(env, webhook_retry_schedule="0.05,0.05") as relay:
        await receiver.wait_for(4, relay)  # /bad once, /down 1 + 2 retries
        await relay.drain()
        for _ in range(10):
            await relay.tick()
            await asyncio.sleep(0.06)
        await relay.drain()
    paths = [r.path for r in receiver.received]
    assert paths.count("/bad") == 1
    assert paths.count("/down") == 3
    [b] = await deliveries(client, bad)
    assert (b["status"], b["last_status_code"], b["attempts"]) == ("failed", 400, 1)
    [d] = await deliveries(client, down)
    assert (d["status"], d["last_status_code"], d["attempts"]) == ("failed", 503, 3)


async def test_410_disables_the_endpoint_with_an_event(env, client, private_ok, receiver):
    receiver.answer = lambda n, r: (410, {}, 0.0)
    hook = await register(client, receiver, events=["contact.*"])
    await make_contact(client)
    async with relay_for(env) as relay:
        await receiver.wait_for(1, relay)
        await relay.drain()
        await make_contact(client)  # after the 410: never sent
        for _ in range(5):
            await relay.tick()
        await relay.drain()
    assert len(receiver.received) == 1
    got = (await client.get(f"/v1/webhooks/{hook['id']}")).json()
    assert got["enabled"] is False
    assert "410" in got["disabled_reason"]
    feed = (await client.get("/v1/events", params={"type": "webhook.disabled"})).json()["data"]
    assert feed[0]["data"]["webhook"]["id"] == hook["id"]


async def test_sustained_failure_disables_the_endpoint(env, client, private_ok, receiver):
    receiver.answer = lambda n, r: (500, {}, 0.0)
    hook = await register(client, receiver)
    for _ in range(3):
        await make_contact(client)
    async with relay_for(
        env, webhook_retry_schedule="0.1,0.1,0.1,0.1,0.1", webhook_disable_after=0.3
    ) as relay:
        deadline = time.monotonic() + 10
        while (await client.get(f"/v1/webhooks/{hook['id']}")).json()["enabled"]:
            assert time.monotonic() < deadline
            await relay.tick()
            await asyncio.sleep(0.05)
        await relay.drain()
    reason = (await client.get(f"/v1/webhooks/{hook['id']}")).json()["disabled_reason"]
    assert "failed" in reason


async def test_redirects_are_not_followed(env, client, private_ok, receiver):
    receiver.answer = lambda n, r: (302, {"Location": receiver.url("/elsewhere")}, 0.0)
    hook = await register(client, receiver)
    await make_contact(client)
    async with relay_for(env) as relay:
        await receiver.wait_for(1, relay)
        await relay.drain()
    assert [r.path for r in receiver.received] == ["/hook"]
    [d] = await deliveries(client, hook)
    assert d["status"] == "failed"
    assert d["last_status_code"] == 302


async def test_events_about_one_contact_arrive_in_order(env, client, private_ok, receiver):
    """A's first event fails once; A's later events wait behind it, B's do not."""
    accepted: list[tuple[str, int, float]] = []  # (who, version, when) answered 200

    def answer(n, r):
        contact = r.event["data"]["contact"]
        who, version = contact["first_name"], contact["version"]
        if (
            who == "A"
            and version == 1
            and not any(a[0] == "A" for a in accepted)
            and sum(1 for x in receiver.received if x.event["data"]["contact"]["first_name"] == "A")
            == 1
        ):
            return 500, {}, 0.0
        accepted.append((who, version, r.at))
        return 200, {}, 0.0

    receiver.answer = answer
    await register(client, receiver)
    a = await make_contact(client, first_name="A")
    b = await make_contact(client, first_name="B")
    for i in range(3):
        await client.patch(f"/v1/contacts/{a['id']}", json={"status": f"s{i}"})
        await client.patch(f"/v1/contacts/{b['id']}", json={"status": f"s{i}"})
    async with relay_for(env, webhook_retry_schedule="0.5") as relay:
        await receiver.wait_for(9, relay)
        await relay.drain()
    for who in ("A", "B"):
        assert [v for w, v, _ in accepted if w == who] == [1, 2, 3, 4], accepted
    first_a_attempt = next(
        r.at for r in receiver.received if r.event["data"]["contact"]["first_name"] == "A"
    )
    a_retry = next(t for w, v, t in accepted if w == "A")
    b_last = max(t for w, v, t in accepted if w == "B")
    assert a_retry - first_a_attempt >= 0.4  # the retry waited its turn
    assert b_last < a_retry  # and B's events did not wait for it


async def test_a_hanging_endpoint_does_not_hold_up_the_others(env, client, private_ok, receiver):
    receiver.answer = lambda n, r: (200, {}, 30.0) if r.path == "/hang" else (200, {}, 0.0)
    await register(client, receiver, path="/hang")
    await register(client, receiver, path="/fast")
    for _ in range(20):
        await make_contact(client)
    async with relay_for(
        env, webhook_endpoint_concurrency=2, webhook_concurrency=8, webhook_timeout=2.0
    ) as relay:
        deadline = time.monotonic() + 20
        while sum(r.path == "/fast" for r in receiver.received) < 20:
            assert time.monotonic() < deadline
            await relay.tick()
            await asyncio.sleep(0.01)
        hanging = sum(r.path == "/hang" for r in receiver.received)
        assert hanging <= 2  # never more in flight than the per-endpoint cap
        for task in list(relay.inflight):
            task.cancel()
        await asyncio.gather(*relay.inflight, return_exceptions=True)


async def test_rotation_signs_with_both_secrets(env, client, private_ok, receiver):
    hook = await register(client, receiver)
    rotated = (await client.post(f"/v1/webhooks/{hook['id']}/rotate-secret")).json()
    assert rotated["secret"] != hook["secret"]
    await make_contact(client)
    async with relay_for(env) as relay:
        await receiver.wait_for(1, relay)
        await relay.drain()
    got = receiver.received[0]
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    Webhook(hook["secret"]).verify(got.body, got.headers)
    Webhook(rotated["secret"]).verify(got.body, got.headers)


async def test_ping_and_manual_retry(env, client, private_ok, receiver):
    receiver.answer = lambda n, r: (500, {}, 0.0) if n == 2 else (200, {}, 0.0)
    hook = await register(client, receiver)
    ping = (await client.post(f"/v1/webhooks/{hook['id']}/test")).json()
    assert ping == {
        "delivered": True,
        "status_code": 200,
        "latency_ms": ping["latency_ms"],
        "error": None,
    }
    assert (
        Webhook(hook["secret"]).verify(receiver.received[0].body, receiver.received[0].headers)[
            "type"
        ]
        == "webhook.test"
    )
    await make_contact(client)
    async with relay_for(env, webhook_retry_schedule="3600") as relay:
        await receiver.wait_for(2, relay)
        await relay.drain()
        [d] = await deliveries(client, hook)
        assert d["status"] == "pending"
        assert d["last_status_code"] == 500
        r = await client.post(f"/v1/webhooks/{hook['id']}/deliveries/{d['id']}/retry")
        assert r.status_code == 202
        await receiver.wait_for(3, relay)
        await relay.drain()
    [d] = await deliveries(client, hook)
    assert d["status"] == "delivered"


async def test_internal_targets_are_refused_again_at_delivery(env, client, private_ok, receiver):
    hook = await register(client, receiver)  # allowed while the setting was on
    await make_contact(client)
    async with relay_for(env, webhooks_allow_private=False) as relay:
        for _ in range(5):
            await relay.tick()
        await relay.drain()
    assert receiver.received == []
    [d] = await deliveries(client, hook)
    assert d["status"] == "failed"
    assert "forbidden" in d["last_error"]


async def test_a_disabled_endpoints_backlog_ends_in_one_pass_and_is_never_sent(
    env, client, private_ok, receiver
):
    off = await register(client, receiver, path="/off")
    on = await register(client, receiver, path="/on")
    for _ in range(12):
        await make_contact(client)
    # The feed numbers the events, which creates both endpoints' deliveries.
    await client.get("/v1/events")
    patched = await client.patch(f"/v1/webhooks/{off['id']}", json={"enabled": False})
    assert patched.status_code == 200, patched.text
    # Room for 4 claims a pass: sent one by one, the 12 ended deliveries would take 3 passes.
    async with relay_for(env, webhook_concurrency=1) as relay:
        await relay.tick()
        ended = await deliveries(client, off)
        assert [(x["status"], x["attempts"]) for x in ended] == [("failed", 0)] * 12
        assert {x["last_error"] for x in ended} == {"endpoint disabled"}
        await receiver.wait_for(12, relay)
        await relay.drain()
    assert {r.path for r in receiver.received} == {"/on"}
    assert [x["status"] for x in await deliveries(client, on)] == ["delivered"] * 12
