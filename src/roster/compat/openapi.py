"""The dialects in the OpenAPI document: their error answers in their own bodies.

Under a dialect's prefix the ``Dialects`` middleware answers every error with the dialect's
body, as ``application/json``. ``app._openapi`` leaves the error answers a dialect's routes
declare (with their models) as they are; Roster's later passes (idempotency, rate limits,
the shared 400/415) add answers as problem+json, and FastAPI its own 422 shape. ``document``
runs last and declares those in the dialect's ``error_model`` (as problem+json when it has
none), so that no dialect route claims a body it never sends.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from roster.compat import NAMES, PREFIX, load

_REF = "#/components/schemas/{model}"
_FRAMEWORK = {"$ref": _REF.format(model="HTTPValidationError")}
_PROBLEM = {"application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}}


def document(schema: dict[str, Any]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for path, item in schema.get("paths", {}).items():
        parts = path.split("/")
        if not path.startswith(PREFIX + "/") or parts[2] not in NAMES:
            continue
        model = load(parts[2]).error_model
        content = _PROBLEM
        if model is not None:
            _component(components, model)
            content = {"application/json": {"schema": {"$ref": _REF.format(model=model.__name__)}}}
        for operation in item.values():
            for status, response in operation.get("responses", {}).items():
                if not status.isdigit() or int(status) < 400:
                    continue
                declared = response.get("content", {}).get("application/json", {})
                if not declared or declared.get("schema") == _FRAMEWORK:
                    response["content"] = content


def _component(components: dict[str, Any], model: type[BaseModel]) -> None:
    """Make sure ``model`` (and the models it holds) are among the components."""
    if model.__name__ in components:
        return
    schema = model.model_json_schema(ref_template=_REF)
    for name, definition in schema.pop("$defs", {}).items():
        components.setdefault(name, definition)
    components[model.__name__] = schema
