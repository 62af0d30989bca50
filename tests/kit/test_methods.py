"""405 and its Allow header: a method a path does not support is answered 405, and Allow
lists every method the path does support (RFC 9110 §15.5.6), whichever route the router
tried first, and also for a literal path that a parametrised sibling would match."""

from __future__ import annotations

import re
import uuid

import httpx
from fastapi.routing import iter_route_contexts

from tests.conftest import Env

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# A value for each path parameter that names nothing in particular.
_VALUES = {"key": "plan", "tag": "vip", "code": "not_found"}


def _templates(env: Env) -> dict[str, set[str]]:
    """Every route template of the app and its methods."""
    found: dict[str, set[str]] = {}
    for route in iter_route_contexts(env.app.routes):
        if route.methods:
            found.setdefault(route.path, set()).update(route.methods)
    return found


def _path(template: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: _VALUES.get(m[1], str(uuid.uuid4())), template)


async def test_every_route_answers_other_methods_405_listing_its_own(
    env: Env, client: httpx.AsyncClient
) -> None:
    templates = _templates(env)
    assert "/v1/contacts/batch" in templates and "/v1/lists" in templates
    wrong = []
    for template, allowed in templates.items():
        for method in set(METHODS) - allowed:
            r = await client.request(method, _path(template))
            got = {m.strip() for m in r.headers.get("allow", "").split(",") if m.strip()}
            if r.status_code != 405 or got != allowed:
                wrong.append(f"{method} {template}: {r.status_code} Allow={sorted(got)}")
            elif not template.startswith("/compat/") and r.json()["code"] != "method_not_allowed":
                # (A dialect's 405 is in its platform's body: tests/compat.)
                wrong.append(f"{method} {template}: {r.text}")
    assert not wrong, "\n".join(wrong)


async def test_allow_lists_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    # The router tried the GET route first and named only GET.
    r = await client.delete("/v1/lists")
    assert r.status_code == 405
    assert r.headers["allow"] == "GET, POST"
    r = await client.post(f"/v1/segments/{uuid.uuid4()}")
    assert r.headers["allow"] == "DELETE, GET, PATCH"


async def test_a_literal_path_is_not_taken_for_an_id(client: httpx.AsyncClient) -> None:
    # PUT /v1/contacts/{contact_id} matched these paths and answered 404 for the "id".
    for path, allow in (
        ("/v1/contacts/batch", "POST"),
        ("/v1/contacts/bulk-actions", "POST"),
        ("/v1/contacts/export", "GET, POST"),
        ("/v1/contacts/search", "POST"),
    ):
        r = await client.put(path, json={})
        assert (r.status_code, r.headers.get("allow")) == (405, allow), path
        assert r.headers["content-type"] == "application/problem+json"
    r = await client.get("/v1/segments/preview")
    assert (r.status_code, r.headers.get("allow")) == (405, "POST")
    # A malformed id on a route that has the method is still no such object.
    r = await client.get("/v1/contacts/not-an-id")
    assert r.status_code == 404
