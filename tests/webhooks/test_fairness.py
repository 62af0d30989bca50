"""One tenant's backlog of deliveries does not hold back another tenant's."""

from __future__ import annotations

from tests.conftest import make_contact
from tests.webhooks.conftest import register, relay_for


async def test_a_flood_of_one_tenant_does_not_starve_another(env, client, private_ok, receiver):
    await register(client, receiver, path="/flood")
    for _ in range(16):
        await make_contact(client)
    _, key = await env.tenant()
    async with env.client(key) as other:
        await register(other, receiver, path="/other")
        await make_contact(other)
    # Four deliveries a pass at most, and an endpoint may hold eight: without turns the
    # flood's older deliveries would fill every pass until they ran out.
    async with relay_for(env, webhook_concurrency=1) as relay:
        while not any(got.path == "/other" for got in receiver.received):
            assert await relay.tick() > 0
            await relay.drain()
    before = [got.path for got in receiver.received].index("/other")
    assert before < 8, [got.path for got in receiver.received]
