"""``GET /v1/contacts`` is served without the router (roster.filters.endpoints.ContactPages)
when its typed parameters are in plain form; any other form goes through the router. Both
must answer alike, pages and every failure, and the direct path must really be the one that
served."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from roster.filters.endpoints import ContactPages
from tests.conftest import make_contact

# Headers that differ between any two responses, whichever path served them.
VARYING = {"x-request-id", "date", "ratelimit"}


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The query strings the direct path served."""
    seen: list[str] = []
    original = ContactPages.serve

    async def counting(self, scope, receive, send, paged, params):  # type: ignore[no-untyped-def]
        seen.append(scope["query_string"].decode())
        await original(self, scope, receive, send, paged, params)

    monkeypatch.setattr(ContactPages, "serve", counting)
    return seen


# The same request in a form only the router takes: a boolean spelt as the framework and
# the filter parser both read it, but not in the plain form the direct path takes.
ROUTED = ("include_deleted", "False")


async def both(
    http: httpx.AsyncClient, params: list[tuple[str, str]], **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    direct = await http.get("/v1/contacts", params=params, **kwargs)
    routed = await http.get("/v1/contacts", params=[*params, ROUTED], **kwargs)
    return direct, routed


def assert_same(direct: httpx.Response, routed: httpx.Response, status: int) -> None:
    assert direct.status_code == routed.status_code == status, (direct.text, routed.text)
    strip = lambda r: sorted((k, v) for k, v in r.headers.items() if k not in VARYING)  # noqa: E731
    if status == 200:
        # Cursors bind the filter, and the routed request's filter names include_deleted.
        a, b = direct.json(), routed.json()
        assert a["data"] == b["data"] and a["has_more"] == b["has_more"]
        assert a.get("total") == b.get("total")
        assert (a["next_cursor"] is None) == (b["next_cursor"] is None)
        assert [h for h in strip(direct) if h[0] != "content-length"] == [
            h for h in strip(routed) if h[0] != "content-length"
        ]
    else:
        assert direct.content == routed.content
        assert strip(direct) == strip(routed)
    assert ("ratelimit" in direct.headers) == ("ratelimit" in routed.headers)


async def test_pages_read_alike_both_ways(env, served):
    _, key = await env.tenant()
    async with env.client(key) as http:
        made = [
            await make_contact(
                http,
                first_name=f"Ana{n}",
                phone=f"+1415555{n:04d}",
                tags=["vip"] if n % 2 else ["promo"],
                custom_fields={"plan": "pro" if n % 3 else "free", "n": n},
                preferences={"sms": "opted_out"} if n % 4 == 0 else {},
            )
            for n in range(7)
        ]
        lists = await http.post("/v1/lists", json={"name": "Picked"})
        list_id = lists.json()["id"]
        await http.post(f"/v1/lists/{list_id}/members", json={"contact_ids": [made[0]["id"]]})
        cases: list[list[tuple[str, str]]] = [
            [],
            [("limit", "2")],
            [("limit", "3"), ("sort", "name"), ("include_total", "true")],
            [("q", "ana1")],
            [("tag", "vip"), ("tag", "vip")],
            [("any_tag", "vip"), ("any_tag", "promo"), ("sort", "-updated_at")],
            [("custom_fields.plan", "pro"), ("status", "lead")],
            [("custom_fields.n", "3")],
            [("opted_out", "sms"), ("suppressed", "false")],
            [("list_id", list_id)],
            [("page", "2"), ("limit", "2")],
            [("offset", "1"), ("limit", "5")],
        ]
        for params in cases:
            direct, routed = await both(http, params)
            assert_same(direct, routed, 200)
        # Following a cursor the direct path made reads the rest, as the router's does.
        first = (await http.get("/v1/contacts", params={"limit": 4})).json()
        rest = await http.get("/v1/contacts", params={"cursor": first["next_cursor"]})
        assert [c["id"] for c in first["data"] + rest.json()["data"]] == [
            c["id"] for c in reversed(made)
        ]
    assert len(served) == len(cases) + 2


async def test_failures_read_alike_both_ways(env, served):
    tenant_id, key = await env.tenant()
    _, other_key = await env.tenant()
    async with env.client(other_key) as other:
        foreign = (await other.post("/v1/lists", json={"name": "Theirs"})).json()["id"]
    async with env.client(key) as http:
        await make_contact(http)
        for params in (
            [("list_id", foreign)],  # another tenant's list: 404
            [("segment_id", str(uuid.uuid4()))],
            [("limit", "0")],
            [("limit", "101")],
            [("page", "0")],
            [("cursor", "nonsense")],
            [("cursor", "x"), ("page", "2")],
            [("no_such", "1")],
            [("created_after", "yesterday")],
            [("country", "USA")],
            [("q", "x" * 201)],
            [("custom_fields.bad key", "1")],
            [("tag", "")],
        ):
            direct, routed = await both(http, params)
            assert_same(direct, routed, 404 if params[0][0].endswith("_id") else 400)
            assert direct.headers["content-type"] == "application/problem+json"

    write_only = await env.key(tenant_id, ["contacts:write"])
    async with env.client(write_only) as http:
        assert_same(*await both(http, []), 403)
    async with env.client() as anonymous:
        for header in (None, "Basic dXNlcjpwYXNz", "Bearer x"):
            headers = {"Authorization": header} if header else {}
            assert_same(*await both(anonymous, [], headers=headers), 401)

    limited = await env.key(tenant_id, ["admin"], rate_limit="2/hour")
    async with env.client(limited) as http:
        assert (await http.get("/v1/contacts")).status_code == 200
        assert (await http.get("/v1/contacts", params=[ROUTED])).status_code == 200
        direct, routed = await both(http, [])
        assert_same(direct, routed, 429)
    assert len(served) == 13 + 1 + 3 + 2


async def test_other_forms_go_through_the_router(env, served):
    _, key = await env.tenant()
    async with env.client(key) as http:
        await make_contact(http)
        for params in (
            {"limit": "+5"},
            {"limit": "abc"},  # the framework's own 400 names it
            {"include_total": "1"},
            {"sort": "email"},
            {"list_id": str(uuid.uuid4()).upper()},
            {"opted_out": "fax"},
        ):
            response = await http.get("/v1/contacts", params=params)
            assert response.status_code in (200, 400, 404), response.text
        assert (await http.get("/v1/contacts", params=[("limit", "1"), ("limit", "2")])).status_code
        assert (await http.get("/v1/contacts/")).status_code in (200, 307, 404)
    assert served == []


async def test_metrics_label_the_direct_path_as_the_route(env, served):
    _, key = await env.tenant()
    async with env.client(key) as http:
        assert (await http.get("/v1/contacts")).status_code == 200
        text = (await http.get("/metrics")).text
    assert served == [""]
    assert 'method="GET",route="/v1/contacts",status="200"' in text
