"""The segment builder: a live count and sample, field-level problems, saving."""

from __future__ import annotations

from tests.conftest import Env, make_contact
from tests.console.helpers import signed_in, token_of


async def _preview(http, token: str, **form: str):
    return await http.post("/console/segments/preview", data=form, headers={"X-CSRF-Token": token})


async def test_the_builder_counts_as_the_filter_changes_and_saves(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        await make_contact(api, first_name="Vip1", tags=["vip"], country="DE")
        await make_contact(api, first_name="Vip2", tags=["vip"], country="FR")
        await make_contact(api, first_name="Plain", country="DE")
    async with signed_in(env, key) as http:
        builder = await http.get("/console/segments/new")
        assert builder.status_code == 200
        token = token_of(builder.text)
        empty = await _preview(http, token, match="all")
        assert "Add a condition" in empty.text
        vip = await _preview(http, token, match="all", field_0="tags", op_0="has", value_0="vip")
        assert '<strong class="segment-count">2</strong>' in vip.text and "Vip1" in vip.text
        both = await _preview(
            http,
            token,
            match="all",
            field_0="tags",
            op_0="has",
            value_0="vip",
            field_1="country",
            op_1="eq",
            value_1="DE",
        )
        assert '<strong class="segment-count">1</strong>' in both.text
        either = await _preview(
            http,
            token,
            match="any",
            field_0="tags",
            op_0="has",
            value_0="vip",
            field_1="country",
            op_1="in",
            value_1="DE, FR",
        )
        assert '<strong class="segment-count">3</strong>' in either.text
        bad = await _preview(http, token, match="all", field_2="nonsense", op_2="eq", value_2="x")
        assert "Condition 3: " in bad.text and "unknown field" in bad.text
        missing = await http.post("/console/segments/preview", data={"field_0": "tags"})
        assert missing.status_code == 403
        saved = await http.post(
            "/console/segments/new",
            data={
                "csrf_token": token,
                "name": "VIPs",
                "match": "all",
                "field_0": "tags",
                "op_0": "has",
                "value_0": "vip",
            },
        )
        assert saved.status_code == 303
        members = await http.get(saved.headers["location"])
        assert "Vip1" in members.text and "Plain" not in members.text
        listing = await http.get("/console/segments")
        assert "VIPs" in listing.text
        again = await http.post(
            "/console/segments/new",
            data={
                "csrf_token": token,
                "name": "VIPs",
                "field_0": "tags",
                "op_0": "has",
                "value_0": "x",
            },
        )
        assert again.status_code == 422 and "already has this name" in again.text
    async with env.client(key) as api:
        names = [s["name"] for s in (await api.get("/v1/segments")).json()["data"]]
    assert names == ["VIPs"]


async def test_a_read_only_key_previews_but_cannot_save(env: Env):
    tenant_id, _ = await env.tenant()
    reader = await env.key(tenant_id, ["contacts:read"])
    async with signed_in(env, reader) as http:
        listing = await http.get("/console/segments")
        assert "New segment" not in listing.text
        assert (await http.get("/console/segments/new")).status_code == 403
        token = token_of(listing.text)
        preview = await _preview(http, token, field_0="tags", op_0="has", value_0="vip")
        assert preview.status_code == 200
        saved = await http.post(
            "/console/segments/new",
            data={"csrf_token": token, "name": "X", "field_0": "tags", "value_0": "vip"},
        )
        assert saved.status_code == 403
