"""Tenant isolation, for every route of the OpenAPI document, found at run time.

Tenant 1 creates objects (every param-less POST whose path can also be listed), then every
authenticated operation is called with tenant 2's admin credential, carrying tenant 1's
ids in the path, in id-like query parameters and body fields, and tenant 1's identifying
values (email, phone, …) in query parameters named after them. Expected:

* an operation with tenant 1's id in its path answers 404, exactly as it answers for an id
  that does not exist (same status and detail: nothing leaks existence);
* any other operation answers without a 5xx and shows none of tenant 1's ids;
* afterwards every tenant 1 object and listing is unchanged.

A new route is covered without a new test. When the walker cannot build a request for it
(no tenant 1 object to take an id from, or no valid body), the test fails and names the
route: add a seed body to ``SEEDS`` or a value to ``PATH_VALUES``.
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

from tests.conftest import Env

# Create bodies for tenant 1's objects where a minimal body from the schema is too bare.
SEEDS: dict[str, dict[str, Any]] = {
    "/v1/contacts": {
        "name": "Tenant One Person",
        "external_id": "t1-{u}",
        "email": "t1-{u}@example.com",
        "phone": "+1415555{n}",
        "tags": ["t1-tag"],
        "handles": {"telegram": "@t1_{u}"},
    },
    # A public address literal: it passes the SSRF guard without DNS (no relay runs here).
    "/v1/webhooks": {"url": "https://93.184.216.34/t1-hook", "events": ["contact.*"]},
    "/v1/segments": {
        "name": "t1-seg-{u}",
        "filter": {"field": "tags", "op": "has", "value": "t1-tag"},
    },
    "/v1/lists": {"name": "t1-list-{u}"},
    # Without a segment_id (a made-up one is a 404): every contact of tenant 1.
    "/v1/contacts/export": {"format": "ndjson"},
    "/v1/fields": {"key": "t1_field_{u}", "label": "T1", "type": "text"},
    "/compat/lynkist/api/v1/public/contacts": {
        "first_name": "Tenant One",
        "email": "t1-lynkist-{u}@example.com",
        "phone": "+1415557{n}",
        "tags": ["t1-tag"],
    },
    "/compat/omnichannel/v1/contacts": {
        "first_name": "Tenant One",
        "email": "t1-omni-{u}@example.com",
        "phone": "+1415558{n}",
        "tags": ["t1-tag"],
    },
    "/compat/omnichannel/v1/contacts/lists": {"name": "t1-omni-list-{u}"},
    "/compat/yebolink/api/v1/contacts": {
        "phone": "+1415559{n}",
        "email": "t1-yebolink-{u}@example.com",
        "name": "Tenant One",
        "tags": ["t1-tag"],
    },
    "/compat/yoursend/v1/contacts": {
        "phone": "+1415554{n}",
        "email": "t1-yoursend-{u}@example.com",
        "name": "Tenant One",
        "tags": ["t1-tag"],
    },
    "/compat/omnichannel/v1/contacts/segments": {
        "name": "t1-omni-seg-{u}",
        "filter": {"field": "tags", "op": "has", "value": "t1-tag"},
    },
}
# Values for non-id path parameters, when the parent object has no field to take one from.
# Request bodies where a minimal body from the schema would fail validation (a 422 comes
# before the 404 and proves nothing either way).
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/v1/contacts/{contact_id}/activities"): {"type": "message.sent", "channel": "sms"},
    ("post", "/v1/segments/preview"): {"filter": {"field": "status", "op": "eq", "value": "x"}},
    ("post", "/v1/contacts/search"): {"filter": {"field": "status", "op": "eq", "value": "x"}},
    ("post", "/v1/contacts/{contact_id}/merge"): {
        "duplicate_ids": ["01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a57"]
    },
    # Tenant 1's ids include some that are not UUIDs (events), which contact_ids refuses.
    ("post", "/v1/lists/{list_id}/members"): {
        "contact_ids": ["01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a58"]
    },
}
# Nested objects under a tenant 1 contact: any id will do, the contact's id makes it a 404.
PATH_VALUES: dict[str, str] = {
    "note_id": "01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a55",
    "delivery_id": "01935f0e-7b7c-7d51-9c1e-0b7e2c3f4a56",
}
# Objects listed under another collection: every import is a job.
# The dialects whose list is not a "data" array list the same contacts as /v1. (channel has
# no list; its ids come from /v1/contacts, and its not-found is its General 403.)
COLLECTIONS: dict[str, str] = {
    "/v1/jobs": "/v1/imports",
    "/compat/yebolink/api/v1/contacts": "/v1/contacts",
    "/compat/yoursend/v1/contacts": "/v1/contacts",
}
_PARAM = re.compile(r"\{([^}]+)\}")
_ID_NAME = re.compile(r"(^id$|_id$|^ids$|_ids$)")
# (request_id and timestamp: the meta of a dialect's answers, new on every request.)
_VOLATILE = {"last_used_at", "exported_at", "request_id", "timestamp"}


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = doc["components"]["schemas"][name]
    return schema


def _value(doc: dict[str, Any], schema: dict[str, Any], ids: list[str]) -> Any:
    schema = _resolve(doc, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if _resolve(doc, s).get("type") != "null"]
            return _value(doc, options[0], ids) if options else None
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        return _body(doc, schema, ids)
    if kind == "array":
        return [_value(doc, schema.get("items", {}), ids)] * max(1, schema.get("minItems", 1))
    if kind == "integer" or kind == "number":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if schema.get("format") == "uuid":
        return ids[0] if ids else str(uuid.uuid4())
    return "x" * max(1, schema.get("minLength", 1))


def _body(doc: dict[str, Any], schema: dict[str, Any], ids: list[str]) -> dict[str, Any]:
    """Required properties only, plus every id-like property filled with tenant 1's ids."""
    schema = _resolve(doc, schema)
    props = schema.get("properties", {})
    out = {name: _value(doc, props[name], ids) for name in schema.get("required", [])}
    for name, prop in props.items():
        if _is_uuid(doc, prop):
            out[name] = ids[0] if ids else str(uuid.uuid4())
        elif _is_uuid(doc, _resolve(doc, prop).get("items", {})):
            out[name] = list(ids)
    return out


def _is_uuid(doc: dict[str, Any], schema: dict[str, Any]) -> bool:
    """A reference to an object: a uuid-formatted string (possibly nullable)."""
    schema = _resolve(doc, schema)
    options = schema.get("anyOf", []) + schema.get("oneOf", []) + [schema]
    return any(_resolve(doc, o).get("format") == "uuid" for o in options)


def _references(value: Any, key: str = "") -> set[str]:
    """Every string under a key ``id``, ``*_id`` or ``*_ids`` in a JSON document."""
    found: set[str] = set()
    if isinstance(value, dict):
        for k, v in value.items():
            found |= _references(v, k)
    elif isinstance(value, list):
        for item in value:
            found |= _references(item, key)
    elif isinstance(value, str) and _ID_NAME.search(key) and key != "external_id":
        found.add(value)
    return found


def _seed(path: str) -> dict[str, Any] | None:
    if path not in SEEDS:
        return None
    u = uuid.uuid4().hex[:10]
    n = f"{random.randint(0, 9999):04d}"
    raw = repr(SEEDS[path]).replace("{u}", u).replace("{n}", n)
    value: dict[str, Any] = eval(raw)
    return value


def _request_body(
    doc: dict[str, Any], op: dict[str, Any], ids: list[str], key: tuple[str, str] = ("", "")
) -> Any:
    if key in BODIES:
        return BODIES[key]
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _body(doc, content["application/json"]["schema"], ids)


def _snapshot(response: Any) -> Any:
    """A response's JSON without volatile fields, or its text (CSV downloads)."""
    if "json" in response.headers.get("content-type", ""):
        return _strip(response.json())
    return response.text


def _strip(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v) for k, v in value.items() if k not in _VOLATILE}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


async def test_every_route_is_tenant_isolated(env: Env) -> None:
    _, key_one = await env.tenant()
    _, key_two = await env.tenant()
    async with env.client() as anon:
        doc = (await anon.get("/openapi.json")).json()
    operations = [
        (path, method, op)
        for path, item in doc["paths"].items()
        for method, op in item.items()
        if op.get("security")
    ]
    listable = [p for p, item in doc["paths"].items() if "{" not in p and "get" in item]

    async with env.client(key_one) as one, env.client(key_two) as two:
        # 1. Tenant 1's objects.
        for path, method, op in operations:
            if method == "post" and "{" not in path and path in listable:
                content = op.get("requestBody", {}).get("content", {})
                if "multipart/form-data" in content:  # uploads: a one-row CSV file
                    csv = f"phone,name\n+1415556{random.randint(0, 9999):04d},Upload One\n"
                    r = await one.post(path, files={"file": ("t1.csv", csv, "text/csv")})
                else:
                    body = _seed(path) or _request_body(doc, op, [])
                    r = await one.post(path, json=body)
                assert r.status_code in (200, 201, 202), (
                    f"seeding {path}: {r.text}; add SEEDS[{path!r}]"
                )

        async def listings() -> dict[str, Any]:
            out = {}
            for path in listable:
                if doc["paths"][path]["get"].get("security"):
                    r = await one.get(path)
                    if r.status_code == 200 and "json" in r.headers["content-type"]:
                        out[path] = _strip(r.json())
            return out

        collections = {
            p: v["data"]
            for p, v in (await listings()).items()
            if isinstance(v, dict) and isinstance(v.get("data"), list)
        }
        ids = sorted({o["id"] for objs in collections.values() for o in objs if "id" in o})
        assert ids, "tenant 1 has no objects"
        values: dict[str, str] = {}
        for objs in collections.values():
            for obj in objs:
                values.update({k: v for k, v in obj.items() if isinstance(v, str) and k != "id"})

        def fill(path: str) -> tuple[str, str, list[str]]:
            """The path with tenant 1's values, the same with unknown ids, and the ids used."""
            real, fake, used = path, path, []
            parent: dict[str, Any] = {}
            for name in _PARAM.findall(path):
                prefix = path[: path.index("{" + name + "}")].rstrip("/")
                listed = collections.get(prefix) or collections.get(COLLECTIONS.get(prefix, ""))
                objs = [o for o in listed or [] if "id" in o]
                if objs:  # the fullest object: it has a value for every nested parameter
                    parent = max(objs, key=lambda o: sum(1 for v in o.values() if v))
                    real = real.replace("{" + name + "}", parent["id"])
                    fake = fake.replace("{" + name + "}", str(uuid.uuid4()))
                    used.append(parent["id"])
                    continue
                keyed = [o for o in collections.get(prefix, []) if name in o]
                if keyed:  # objects named by a key rather than an id (field definitions)
                    parent = keyed[0]
                plural, single = parent.get(name + "s"), parent.get(name)
                value = PATH_VALUES.get(name) or (
                    plural[0] if isinstance(plural, list) and plural else single
                )
                owner = collections.get(f"/v1/{name.removesuffix('_id')}s", [])
                if value is None and name.endswith("_id") and owner:
                    value = owner[0]["id"]  # e.g. a contact under a list
                assert value is not None, f"{path}: no tenant 1 value for {{{name}}}"
                real = real.replace("{" + name + "}", str(value))
                fake = fake.replace("{" + name + "}", str(value))
            return real, fake, used

        before_objects = {}
        for path, method, _ in operations:
            if method == "get" and _PARAM.search(path):
                real, _, used = fill(path)
                if used:
                    before_objects[real] = _snapshot(await one.get(real))
        before_lists = await listings()

        # 2. Tenant 2 at every operation.
        checked = 0
        for path, method, op in operations:
            real, fake, used = fill(path)
            body = _request_body(doc, op, ids, (method, path))
            query_names = [p["name"] for p in op.get("parameters", []) if p["in"] == "query"]
            id_query = {
                p["name"]: ids[0]
                for p in op.get("parameters", [])
                if p["in"] == "query" and _is_uuid(doc, p.get("schema", {}))
            }
            kwargs: dict[str, Any] = {"json": body} if body is not None else {}
            if used:
                r = await two.request(method, real, params=id_query, **kwargs)
                assert r.status_code == 404, f"{method.upper()} {path}: {r.status_code} {r.text}"
                unknown = await two.request(method, fake, params=id_query, **kwargs)
                assert (unknown.status_code, unknown.json().get("detail")) == (
                    404,
                    r.json().get("detail"),
                ), f"{method.upper()} {path} tells tenant 1's ids from unknown ones"
                checked += 1
                continue
            attempts = [id_query] + [
                {n: values[n]} for n in query_names if n in values and n not in id_query
            ]
            for params in attempts:
                r = await two.request(method, real, params=params, **kwargs)
                label = f"{method.upper()} {path} {params}"
                assert r.status_code < 500, f"{label}: {r.status_code} {r.text}"
                if "json" in r.headers.get("content-type", ""):
                    shown = _references(r.json()) & set(ids)
                else:  # a download: no id of tenant 1 anywhere in it
                    shown = {i for i in ids if i in r.text}
                assert not shown, f"{label} shows tenant 1's {shown}"
                checked += 1
        assert checked >= len(operations)

        # 3. Nothing of tenant 1 changed.
        for url, snapshot in before_objects.items():
            assert _snapshot(await one.get(url)) == snapshot, url
        assert await listings() == before_lists
