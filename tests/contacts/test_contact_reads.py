"""``GET /v1/contacts/{id}`` is served without the router (roster.contacts.endpoints
.ContactReads); any query string sends it through the router instead. Both must answer alike,
success and every failure, and the direct path must really be the one that served."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import event, update

from roster.auth import keys
from roster.contacts.endpoints import ContactReads
from roster.contacts.repository import _KEY_AND_CONTACT
from roster.kit.db import direct as direct_reads
from roster.kit.db import transaction
from roster.kit.timeutil import utcnow
from roster.models import api_keys
from tests.conftest import make_contact

# Headers that differ between any two responses, whichever path served them.
VARYING = {"x-request-id", "date", "ratelimit"}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The contact ids the direct path served."""
    seen: list[str] = []
    original = ContactReads.serve

    async def counting(self, scope, receive, send, contact_id):  # type: ignore[no-untyped-def]
        seen.append(contact_id)
        await original(self, scope, receive, send, contact_id)

    monkeypatch.setattr(ContactReads, "serve", counting)
    return seen


async def both(
    http: httpx.AsyncClient, contact_id: str, method: str = "GET", **kwargs: object
) -> tuple[httpx.Response, httpx.Response]:
    direct = await http.request(method, f"/v1/contacts/{contact_id}", **kwargs)  # type: ignore[arg-type]
    routed = await http.request(
        method,
        f"/v1/contacts/{contact_id}",
        params={"include_deleted": "false"},
        **kwargs,  # type: ignore[arg-type]
    )
    return direct, routed


def assert_same(direct: httpx.Response, routed: httpx.Response, status: int) -> None:
    assert direct.status_code == routed.status_code == status, (direct.text, routed.text)
    assert direct.content == routed.content
    strip = lambda r: sorted((k, v) for k, v in r.headers.items() if k not in VARYING)  # noqa: E731
    assert strip(direct) == strip(routed)
    assert ("ratelimit" in direct.headers) == ("ratelimit" in routed.headers)


async def test_a_contact_reads_alike_both_ways(env, served):
    _, key = await env.tenant()
    async with env.client(key) as http:
        contact = await make_contact(
            http, phone="+14155550123", tags=["vip"], custom_fields={"plan": "pro"}
        )
        direct, routed = await both(http, contact["id"])
        assert_same(direct, routed, 200)
        assert direct.json() == contact
        assert direct.headers["etag"] == f'"{contact["version"]}"'
        assert direct.headers["content-type"] == "application/json"
        assert direct.headers["ratelimit-policy"]

        # Other methods are the router's (HEAD is not served for this route).
        direct, routed = await both(http, contact["id"], "HEAD")
        assert direct.status_code == routed.status_code == 405
    assert served == [contact["id"]]


async def test_the_driver_read_converts_every_kind_of_value_alike(env, served):
    # The direct path reads the key and the contact in one statement, which runs on the
    # driver's connection (roster.kit.db.direct); every kind of stored value must come back
    # exactly as SQLAlchemy's own conversion gives it (the routed path reads them apart,
    # through SQLAlchemy).
    _, key = await env.tenant()
    async with env.client(key) as http:
        contact = await make_contact(
            http,
            first_name="Zoë",
            last_name="Ñandú 🦤",
            email="Zoe.N@Example.COM",
            phone="+442071838750",
            company='Quote " and \\ backslash',
            tags=["b", "a", "ünï"],
            custom_fields={
                "n": 3,
                "f": 2.5,
                "big": 12345678901234,
                "neg": -0.125,
                "t": True,
                "none": None,
                "s": "x\ny",
                "list": [1, "two", {"three": 3}],
                "obj": {"nested": {"deep": [None, False]}},
            },
            preferences={"email": "opted_in", "sms": "opted_out"},
            handles={"whatsapp": "+442071838750"},
        )
        for _ in range(3):
            direct, routed = await both(http, contact["id"])
            assert_same(direct, routed, 200)
            assert direct.json() == contact
        archived = await make_contact(http, email="gone@example.com")
        assert (await http.delete(f"/v1/contacts/{archived['id']}")).status_code == 204
        for _ in range(2):
            direct, routed = await both(http, archived["id"])
            assert_same(direct, routed, 404)
    # The direct path's statement ran on the driver (it has a plan: it did not fall back).
    assert direct_reads._PLANS[env.app.state.engine.sync_engine][_KEY_AND_CONTACT] is not None
    assert served == [contact["id"]] * 3 + [archived["id"]] * 2


async def test_failures_read_alike_both_ways(env, served):
    tenant_id, key = await env.tenant()
    other_tenant, other_key = await env.tenant()
    async with env.client(other_key) as other:
        foreign = await make_contact(other)
    async with env.client(key) as http:
        archived = await make_contact(http)
        assert (await http.delete(f"/v1/contacts/{archived['id']}")).status_code == 204
        contact = await make_contact(http)
        missing = str(uuid.uuid4())
        for contact_id in (missing, foreign["id"], archived["id"]):
            direct, routed = await both(http, contact_id)
            assert_same(direct, routed, 404)
            assert direct.headers["content-type"] == "application/problem+json"

    write_only = await env.key(tenant_id, ["contacts:write"])
    async with env.client(write_only) as http:
        assert_same(*await both(http, contact["id"]), 403)

    async with env.client() as anonymous:
        for header in (None, "Basic dXNlcjpwYXNz", "Bearer", "Bearer " + keys.generate_key()):
            headers = {"Authorization": header} if header else {}
            assert_same(*await both(anonymous, contact["id"], headers=headers), 401)

    revoked = await env.key(tenant_id, ["admin"])
    expired = await env.key(tenant_id, ["admin"])
    async with transaction(env.app.state.engine, write=True) as conn:
        for token, values in (
            (revoked, {"revoked_at": utcnow()}),
            (expired, {"expires_at": utcnow() - timedelta(seconds=1)}),
        ):
            await conn.execute(
                update(api_keys).where(api_keys.c.key_hash == keys.hash_key(token)).values(values)
            )
    for token in (revoked, expired):
        async with env.client(token) as http:
            assert_same(*await both(http, contact["id"]), 401)

    # Over the credential's limit: the same 429 (Retry-After and the RateLimit headers).
    limited = await env.key(tenant_id, ["admin"], rate_limit="2/hour")
    async with env.client(limited) as http:
        assert (await http.get(f"/v1/contacts/{contact['id']}")).status_code == 200
        assert (await http.get(f"/v1/contacts/{contact['id']}?a=1")).status_code == 200
        direct, routed = await both(http, contact["id"])
        assert_same(direct, routed, 429)
        remaining = [r.headers["ratelimit"].split(";t=")[0] for r in (direct, routed)]
        assert remaining == ['"default";r=0'] * 2
    assert other_tenant != tenant_id
    # Every direct request above was served by the direct path, none fell through.
    assert len(served) == 3 + 1 + 4 + 2 + 2


async def test_other_shapes_go_through_the_router(env, served):
    _, key = await env.tenant()
    async with env.client(key) as http:
        contact = await make_contact(http)
        upper = contact["id"].upper()
        response = await http.get(f"/v1/contacts/{upper}")
        assert response.status_code == 200
        assert response.json()["id"] == contact["id"]
        assert (await http.get("/v1/contacts/not-a-uuid")).status_code == 404
        assert (await http.get(f"/v1/contacts/{contact['id']}/")).status_code in (307, 404)
        assert (await http.get("/v1/contacts/lookup?email=x%40example.com")).status_code == 404
        assert (await http.get(f"/v1/contacts/{contact['id']}/activities")).status_code == 200
    assert served == []


async def test_metrics_label_the_direct_path_as_the_route(env, served):
    _, key = await env.tenant()
    async with env.client(key) as http:
        contact = await make_contact(http)
        assert (await http.get(f"/v1/contacts/{contact['id']}")).status_code == 200
        text = (await http.get("/metrics")).text
    assert served == [contact["id"]]
    assert 'route="/v1/contacts/{contact_id}"' in text


async def test_a_pooled_connection_reads_in_one_round_trip(env, served):
    # PostgreSQL: once the read runs on the driver directly, its connection comes from the
    # pool without the liveness ping (kit.db.single_read), so a GET costs one query on it.
    if env.name != "postgresql":
        pytest.skip("PostgreSQL only: SQLite's pool has no ping")
    _, key = await env.tenant()
    engine = env.app.state.engine
    queries: list[tuple[Any, int]] = []  # each checkout: its driver connection, count then

    def checked_out(_dbapi: Any, _record: Any, proxy: Any) -> None:
        driver = proxy.driver_connection
        queries.append((driver, driver._protocol.queries_count))

    # Ahead of the ping's own listener, so that a ping would be counted.
    event.listen(engine.sync_engine, "checkout", checked_out, insert=True)
    try:
        async with env.client(key) as http:
            contact = await make_contact(http)
            for _ in range(3):  # SQLAlchemy's way first; the key's use recorded
                assert (await http.get(f"/v1/contacts/{contact['id']}")).status_code == 200
            for _ in range(5):
                queries.clear()
                response = await http.get(f"/v1/contacts/{contact['id']}")
                assert response.status_code == 200
                assert response.json() == contact
                sent = [driver._protocol.queries_count - before for driver, before in queries]
                assert sent == [1]
            # Any other read still takes a pinged connection (the ping, then its queries).
            queries.clear()
            assert (await http.get(f"/v1/contacts/{contact['id']}?a=1")).status_code == 200
            assert sum(d._protocol.queries_count - before for d, before in queries) > 2
    finally:
        event.remove(engine.sync_engine, "checkout", checked_out)
    assert len(served) == 8
