"""The segment builder: nested groups, a live count and sample, problems beside the part
they are about, saving, editing a saved segment, and its page with the members."""

from __future__ import annotations

import html
import re

from tests.conftest import Env, make_contact
from tests.console.helpers import signed_in, token_of


async def _preview(http, token: str, **form: str):
    return await http.post("/console/segments/preview", data=form, headers={"X-CSRF-Token": token})


def _count(page: str) -> int:
    found = re.search(r'<strong class="segment-count">(\d+)</strong>', page)
    assert found, page
    return int(found.group(1))


def _fields(**conditions: tuple[str, str, str]) -> dict[str, str]:
    """Form fields of conditions given by builder path (``r_0`` for ``r-0``)."""
    form = {}
    for name, (field, op, value) in conditions.items():
        path = name.replace("_", "-")
        form.update({f"field_{path}": field, f"op_{path}": op, f"value_{path}": value})
    return form


async def test_the_builder_counts_as_the_filter_changes_and_saves(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        await make_contact(api, first_name="Vip1", tags=["vip"], country="DE")
        await make_contact(api, first_name="Vip2", tags=["vip"], country="FR")
        await make_contact(api, first_name="Plain", country="DE")
    async with signed_in(env, key) as http:
        builder = await http.get("/console/segments/new")
        assert builder.status_code == 200
        assert 'name="match_r"' in builder.text and 'name="field_r-2"' in builder.text
        token = token_of(builder.text)
        empty = await _preview(http, token, match_r="all")
        assert "Add a condition" in empty.text
        vip = await _preview(http, token, match_r="all", **_fields(r_0=("tags", "has", "vip")))
        assert _count(vip.text) == 2 and "Vip1" in vip.text
        both = _fields(r_0=("tags", "has", "vip"), r_1=("country", "eq", "DE"))
        assert _count((await _preview(http, token, match_r="all", **both)).text) == 1
        either = _fields(r_0=("tags", "has", "vip"), r_1=("country", "in", "DE, FR"))
        assert _count((await _preview(http, token, match_r="any", **either)).text) == 3
        neither = await _preview(http, token, match_r="none", **either)
        assert _count(neither.text) == 0
        bad = await _preview(http, token, **_fields(r_2=("nonsense", "eq", "x")))
        assert "Condition 1: " in bad.text and "unknown field" in bad.text
        missing = await http.post("/console/segments/preview", data={"field_r-0": "tags"})
        assert missing.status_code == 403
        saved = await http.post(
            "/console/segments/new",
            data={"csrf_token": token, "name": "VIPs", **_fields(r_0=("tags", "has", "vip"))},
        )
        assert saved.status_code == 303
        members = await http.get(saved.headers["location"])
        assert "Segment VIPs" in members.text and _count(members.text) == 2
        assert "Vip1" in members.text and "Plain" not in members.text
        listing = await http.get("/console/segments")
        assert "VIPs" in listing.text
        again = await http.post(
            "/console/segments/new",
            data={"csrf_token": token, "name": "VIPs", **_fields(r_0=("tags", "has", "x"))},
        )
        assert again.status_code == 422 and "already has this name" in again.text
        nothing = await http.post("/console/segments/new", data={"csrf_token": token, "name": "N"})
        assert nothing.status_code == 422 and "Add at least one condition." in nothing.text
    async with env.client(key) as api:
        names = [s["name"] for s in (await api.get("/v1/segments")).json()["data"]]
    assert names == ["VIPs"]


async def test_a_nested_filter_counts_as_the_api_searches(env: Env):
    _, key = await env.tenant()
    async with env.client(key) as api:
        for n, (tags, country, status) in enumerate(
            [
                (["vip"], "DE", "customer"),
                (["vip"], "FR", "lead"),
                (["vip"], "US", "customer"),
                (["vip", "churn"], "DE", "lead"),
                ([], "DE", "customer"),
                (["vip"], "GB", "lead"),
            ]
        ):
            await make_contact(api, first_name=f"N{n}", tags=tags, country=country, status=status)
        # vip AND (country DE OR (status customer AND NOT tagged churn))
        expression = {
            "all": [
                {"field": "tags", "op": "has", "value": "vip"},
                {
                    "any": [
                        {"field": "country", "op": "eq", "value": "DE"},
                        {
                            "all": [
                                {"field": "status", "op": "eq", "value": "customer"},
                                {
                                    "not": {
                                        "any": [{"field": "tags", "op": "has", "value": "churn"}]
                                    }
                                },
                            ]
                        },
                    ]
                },
            ]
        }
        searched = await api.post(
            "/v1/contacts/search", json={"filter": expression, "include_total": True}
        )
        assert searched.status_code == 200, searched.text
        expected = searched.json()["total"]
    assert expected == 3
    form = {
        "match_r": "all",
        "match_r-1": "any",
        "match_r-1-1": "all",
        "match_r-1-1-1": "none",
        **_fields(
            r_0=("tags", "has", "vip"),
            r_1_0=("country", "eq", "DE"),
            r_1_1_0=("status", "eq", "customer"),
            r_1_1_1_0=("tags", "has", "churn"),
        ),
    }
    async with signed_in(env, key) as http:
        token = token_of((await http.get("/console/segments/new")).text)
        preview = await _preview(http, token, **form)
        assert _count(preview.text) == expected
        # A problem deep inside is named by the condition it is about.
        bad = await _preview(http, token, **{**form, "op_r-1-1-0": "has"})
        assert bad.status_code == 200 and "Condition 3: " in bad.text
        saved = await http.post(
            "/console/segments/new", data={**form, "name": "Nested", "csrf_token": token}
        )
        assert saved.status_code == 303, saved.text
        segment_id = saved.headers["location"].rsplit("/", 1)[1]
    async with env.client(key) as api:
        stored = (await api.get(f"/v1/segments/{segment_id}")).json()
    assert stored["filter"] == expression and stored["contact_count"] == expected


async def test_builder_buttons_add_and_remove_groups_and_conditions(env: Env):
    _, key = await env.tenant()
    async with signed_in(env, key) as http:
        token = token_of((await http.get("/console/segments/new")).text)
        base = {"match_r": "all", **_fields(r_0=("tags", "has", "vip"))}
        grouped = await http.post(
            "/console/segments/builder",
            data={**base, "add_group": "r"},
            headers={"X-CSRF-Token": token},
        )
        assert grouped.text.startswith('<div id="builder">')
        assert 'name="match_r-1"' in grouped.text and 'name="field_r-1-1"' in grouped.text
        assert 'value="vip"' in grouped.text and "Group 1 needs" in grouped.text
        added = await http.post(
            "/console/segments/builder",
            data={**base, "match_r-1": "any", "add": "r-1"},
            headers={"X-CSRF-Token": token},
        )
        assert 'name="field_r-1-0"' in added.text and 'name="field_r-1-1"' not in added.text
        removed = await http.post(
            "/console/segments/builder",
            data={**base, "match_r-1": "any", "remove": "r-0"},
            headers={"X-CSRF-Token": token},
        )
        assert 'value="vip"' not in removed.text and 'name="match_r-0"' in removed.text
        # Groups nest only as deep as the filter language allows.
        deep = {f"match_r{'-0' * d}": "all" for d in range(5)}
        last = await http.post(
            "/console/segments/builder", data=deep, headers={"X-CSRF-Token": token}
        )
        assert "Add a group to group 4" not in last.text and "Add a group to group 3" in last.text
        # Without htmx the same buttons post the whole form, which comes back changed.
        plain = await http.post(
            "/console/segments/new", data={**base, "name": "X", "add": "r", "csrf_token": token}
        )
        assert plain.status_code == 200 and 'name="field_r-1"' in plain.text
    async with env.client(key) as api:
        assert (await api.get("/v1/segments")).json()["data"] == []


async def test_a_saved_segment_is_edited_and_its_members_change(env: Env):
    tenant_id, key = await env.tenant()
    async with env.client(key) as api:
        await make_contact(api, first_name="Gold1", tags=["gold"])
        await make_contact(api, first_name="Silver1", tags=["silver"])
        created = await api.post(
            "/v1/segments",
            json={
                "name": "Gold",
                "description": "best <b>customers</b>",
                "filter": {"any": [{"field": "tags", "op": "has_any", "value": ["gold"]}]},
            },
        )
        segment = created.json()
    url = f"/console/segments/{segment['id']}"
    async with signed_in(env, key) as http:
        page = await http.get(url)
        assert "Gold1" in page.text and "Silver1" not in page.text
        assert "best &lt;b&gt;customers&lt;/b&gt;" in page.text
        edit = await http.get(url + "/edit")
        assert edit.status_code == 200
        # The saved filter is loaded into the builder.
        assert re.search(r'<option value="any" selected>', edit.text)
        assert 'name="field_r-0" value="tags"' in edit.text
        assert re.search(r'<option value="has_any" selected>', edit.text)
        assert 'name="value_r-0" value="gold"' in edit.text
        token = token_of(edit.text)
        form = {
            "csrf_token": token,
            "name": "Gold or silver",
            "description": "",
            "version": str(segment["version"]),
            "match_r": "any",
            **_fields(r_0=("tags", "has_any", "gold, silver")),
        }
        saved = await http.post(url + "/edit", data=form)
        assert saved.status_code == 303 and saved.headers["location"] == url
        page = await http.get(url)
        assert "Segment Gold or silver" in page.text
        assert "Gold1" in page.text and "Silver1" in page.text and _count(page.text) == 2
        # A form opened before that change does not overwrite it.
        stale = await http.post(url + "/edit", data={**form, "name": "Stale"})
        assert stale.status_code == 409 and "open it again" in stale.text
        bad = await http.post(
            url + "/edit", data={**form, "version": "2", **_fields(r_0=("tags", "gt", ""))}
        )
        assert bad.status_code == 422 and 'aria-invalid="true"' in bad.text
    async with env.client(key) as api:
        stored = (await api.get(f"/v1/segments/{segment['id']}")).json()
    assert stored["name"] == "Gold or silver" and stored["description"] is None
    assert stored["filter"] == {
        "any": [{"field": "tags", "op": "has_any", "value": ["gold", "silver"]}]
    }
    reader = await env.key(tenant_id, ["contacts:read"])
    async with signed_in(env, reader) as http:
        page = await http.get(url)
        assert page.status_code == 200 and "Edit" not in page.text
        assert (await http.get(url + "/edit")).status_code == 403
        forged = await http.post(url + "/edit", data={**form, "csrf_token": token_of(page.text)})
        assert forged.status_code == 403
        deleted = await http.post(url + "/delete", data={"csrf_token": token_of(page.text)})
        assert deleted.status_code == 403
    _, other = await env.tenant()
    async with signed_in(env, other) as http:
        assert (await http.get(url)).status_code == 404
        assert (await http.get(url + "/edit")).status_code == 404
    async with signed_in(env, key) as http:
        page = await http.get(url)
        gone = await http.post(url + "/delete", data={"csrf_token": token_of(page.text)})
        assert gone.status_code == 303
        assert "No segments yet" in (await http.get("/console/segments")).text


async def test_a_read_only_key_previews_but_cannot_save(env: Env):
    tenant_id, _ = await env.tenant()
    reader = await env.key(tenant_id, ["contacts:read"])
    async with signed_in(env, reader) as http:
        listing = await http.get("/console/segments")
        assert "New segment" not in listing.text
        assert (await http.get("/console/segments/new")).status_code == 403
        token = token_of(listing.text)
        preview = await _preview(http, token, **_fields(r_0=("tags", "has", "vip")))
        assert preview.status_code == 200
        saved = await http.post(
            "/console/segments/new",
            data={"csrf_token": token, "name": "X", **_fields(r_0=("tags", "has", "vip"))},
        )
        assert saved.status_code == 403


def _form_of(page: str) -> dict[str, str]:
    """The builder's fields as the page fills them (inputs' values, selects' choices)."""
    form = {}
    for name, value in re.findall(r'<input id="[^"]*" name="([^"]*)" value="([^"]*)"', page):
        form[name] = html.unescape(value)
    for name, options in re.findall(
        r'<select id="[^"]*" name="([^"]*)">(.*?)</select>', page, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        if chosen:
            form[name] = chosen.group(1)
    return form


async def test_a_saved_filter_keeps_its_meaning_through_the_builder(env: Env):
    """Numbers and booleans of custom fields, a value-less condition and a "not" written
    through the API come back from the builder unchanged in meaning."""
    _, key = await env.tenant()
    saved_filter = {
        "all": [
            {"field": "custom_fields.vip", "op": "eq", "value": True},
            {"field": "custom_fields.ltv", "op": "gte", "value": 500},
            {"field": "tags", "op": "exists"},
            {"not": {"field": "status", "op": "eq", "value": "churned"}},
        ]
    }
    async with env.client(key) as api:
        await make_contact(api, tags=["a"], custom_fields={"vip": True, "ltv": 900})
        await make_contact(api, tags=["a"], custom_fields={"vip": "true", "ltv": 900})
        await make_contact(
            api, tags=["a"], status="churned", custom_fields={"vip": True, "ltv": 900}
        )
        created = (
            await api.post("/v1/segments", json={"name": "S", "filter": saved_filter})
        ).json()
        assert created["contact_count"] == 1
    url = f"/console/segments/{created['id']}"
    async with signed_in(env, key) as http:
        edit = await http.get(url + "/edit")
        form = _form_of(edit.text)
        assert form["match_r-3"] == "none" and form["value_r-0"] == "true"
        saved = await http.post(url + "/edit", data={**form, "csrf_token": token_of(edit.text)})
        assert saved.status_code == 303, saved.text
    async with env.client(key) as api:
        stored = (await api.get(f"/v1/segments/{created['id']}")).json()
    assert stored["contact_count"] == 1
    assert stored["filter"]["all"][:3] == saved_filter["all"][:3]
    assert stored["filter"]["all"][3] == {
        "not": {"any": [{"field": "status", "op": "eq", "value": "churned"}]}
    }
