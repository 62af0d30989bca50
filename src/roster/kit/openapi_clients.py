"""What a client generator needs from the OpenAPI document, added to it once (issue 26).

- one tag per operation, its resource (the operationIds come from ``kit.operations``);
- unique, meaningful schema names: FastAPI falls back to the module path when two modules
  define a class of one name (``roster__bulk__batch__BatchResponse``) and names multipart
  bodies after the operation (``Body_imports_create``);
- names for enum members whose values are not identifiers (``-created_at``);
- a query array with open items is declared an array of strings, which is what a query holds;
- a schema that states a rule with ``oneOf`` beside its ``properties`` keeps the rule under
  ``allOf``, which means the same and which generators read as one model;
- the headers the middleware adds (``X-Request-Id``, ``Idempotent-Replayed``, ``ETag``,
  ``Location``, ``Retry-After``), and examples on the main request bodies.

Dialect routes (``/compat/…``) keep their own tags and bodies: only the renames reach them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from roster.kit.operations import tag_of

RENAMES = {
    "roster__activities__schemas__BatchResponse": "ActivityBatchResponse",
    "roster__activities__schemas__BatchResult": "ActivityBatchResult",
    "roster__bulk__batch__BatchResponse": "ContactBatchResponse",
    "roster__bulk__batch__BatchResult": "ContactBatchResult",
    "Body_imports_create": "ImportUpload",
}
_REF = "#/components/schemas/"
_STRING = {"type": "string"}
REQUEST_ID = {
    "description": "The request's id (an incoming well-formed one is echoed); quote it when "
    "reporting a problem",
    "schema": _STRING,
}
REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the same "
    "Idempotency-Key",
    "schema": {"type": "string", "enum": ["true"]},
}
ETAG = {"description": 'The object\'s version, e.g. `"3"`: send it as If-Match', "schema": _STRING}
LOCATION = {"description": "The path of the object made", "schema": _STRING}
RETRY_AFTER = {"description": "Seconds to wait before retrying", "schema": {"type": "integer"}}
# Responses with these bodies carry the object's ETag.
VERSIONED = ("Contact", "ListDetail", "SegmentDetail")

_CONTACT = {
    "first_name": "Jane",
    "last_name": "Doe",
    "phone": "+14155551234",
    "email": "jane@example.com",
    "external_id": "crm-1234",
    "company": "Acme",
    "tags": ["beta", "vip"],
    "custom_fields": {"plan": "pro"},
}
_FILTER = {
    "all": [
        {"field": "tags", "op": "has_any", "value": ["vip", "premium"]},
        {"field": "country", "op": "in", "value": ["US", "CA"]},
    ]
}
EXAMPLES: dict[str, Any] = {
    "contacts_create": _CONTACT,
    "contacts_upsert": _CONTACT,
    "contacts_update": {"company": "Acme Inc.", "custom_fields": {"plan": None}},
    "contacts_replace": {"company": "Acme Inc."},
    "contacts_search": {"filter": _FILTER, "sort": "-created_at", "limit": 50},
    "contacts_batch": {
        "mode": "upsert",
        "match_on": "email",
        "contacts": [{"email": "ann@example.com"}, {"email": "bob@example.com"}],
    },
    "contacts_tags_add": {"tags": ["vip"]},
    "contacts_export_by_filter": {"filter": _FILTER},
    "lists_create": {"name": "Newsletter", "description": "Monthly news"},
    "segments_create": {"name": "VIPs in North America", "filter": _FILTER},
    "segments_preview": {"filter": _FILTER},
    "webhooks_create": {"url": "https://example.com/hooks/roster", "events": ["contact.*"]},
    "api_keys_create": {"name": "CRM sync", "scopes": ["contacts:read", "contacts:write"]},
    "notes_create": {"body": "Asked for a call back on Monday", "author": "ann"},
    "activities_create": {
        "type": "message.sent",
        "channel": "sms",
        "summary": "Welcome message",
        "external_id": "msg_123",
    },
    "fields_create": {"key": "plan", "label": "Plan", "type": "enum", "options": ["free", "pro"]},
    "consent_preferences_set": {"preferences": {"sms": "opted_out"}, "source": "keyword:STOP"},
}


def document(schema: dict[str, Any]) -> None:
    """Apply every rule of the module docstring to ``schema``, in place."""
    _rename(schema)
    components = schema.get("components", {}).get("schemas", {})
    for component in components.values():
        _one_model(component)
    for node in _walk(schema):
        _enum_names(node)
    for path, item in schema.get("paths", {}).items():
        dialect = path.startswith("/compat/")
        for method, operation in item.items():
            if not isinstance(operation, dict) or dialect:
                continue
            operation["tags"] = [tag_of(operation["operationId"])]
            for parameter in operation.get("parameters", []):
                _typed_items(parameter)
            _headers(method, operation)
            example = EXAMPLES.get(operation["operationId"])
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if example is not None and body is not None:
                body["example"] = example


def _rename(schema: dict[str, Any]) -> None:
    components = schema.get("components", {}).get("schemas", {})
    for old, new in RENAMES.items():
        if old in components:
            components[new] = components.pop(old)
            components[new]["title"] = new
    for node in _walk(schema):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_REF) and ref[len(_REF) :] in RENAMES:
            node["$ref"] = _REF + RENAMES[ref[len(_REF) :]]


def _one_model(component: dict[str, Any]) -> None:
    if component.get("type") == "object" and "properties" in component:
        for key in ("oneOf", "anyOf"):
            if key in component:
                component.setdefault("allOf", []).append({key: component.pop(key)})


def _enum_names(node: dict[str, Any]) -> None:
    values = node.get("enum")
    if not isinstance(values, list) or "x-enum-varnames" in node:
        return
    if not all(isinstance(v, str) for v in values) or all(v[:1].isalpha() for v in values):
        return
    names = [re.sub(r"\W+", "_", v.lstrip("-")).strip("_") or "empty" for v in values]
    names = [n + "_desc" if v.startswith("-") else n for n, v in zip(names, values, strict=True)]
    if len(set(names)) == len(names):
        node["x-enum-varnames"] = names


def _typed_items(parameter: dict[str, Any]) -> None:
    # A query array whose items are left open holds strings all the same: say so, since a
    # generator makes no type of an open item.
    if parameter.get("in") == "query":
        for node in _walk(parameter.get("schema", {})):
            if node.get("type") == "array" and "items" not in node:
                node["items"] = {"type": "string"}


def _headers(method: str, operation: dict[str, Any]) -> None:
    has_key = any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", []))
    for status, response in operation.get("responses", {}).items():
        headers = response.setdefault("headers", {})
        headers["X-Request-Id"] = REQUEST_ID
        if status.startswith("2") and has_key:
            headers["Idempotent-Replayed"] = REPLAYED
        if status in ("201", "202") and method == "post":
            headers["Location"] = LOCATION
        if status == "503":
            headers["Retry-After"] = RETRY_AFTER
        body = response.get("content", {}).get("application/json", {}).get("schema", {})
        if status.startswith("2") and body.get("$ref", "").removeprefix(_REF) in VERSIONED:
            headers["ETag"] = ETAG


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
