"""Rules every route shares, written into the generated OpenAPI document once.

FastAPI documents what each route declares; the middleware and the exception handlers that
every request passes through are invisible to it. Their answers are declared here, so that
the document describes what the server does (``tests/app/test_conformance.py`` holds the
two to each other):

- a route that reads a body answers 400 when it is missing or not JSON and 415 when its
  Content-Type is not one the route reads; a route with query parameters answers 400 for
  a malformed one;
- no string of a request holds NUL (U+0000), which PostgreSQL cannot store
  (``kit.jsonguard`` refuses it: 422 in a JSON body, 400 in the query string);
- ``If-Match`` says which values match (any other, the empty one too, is a 412).

The helpers (``trimmed``, ``comma_separated``, ``formatted``, ``omittable``, ``JsonInt``)
let a request model state in the document the rules its service checks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from pydantic import BeforeValidator, Field


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be an integer")
    return value


# An integer as JSON Schema has it: a number without a fractional part (2 or 2.0), not a
# string or a boolean, which pydantic would also take.
JsonInt = Annotated[int, BeforeValidator(_number)]


def formatted(name: str) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` for a string the server checks by its meaning (a phone number,
    an email address): the document names the rule as ``format``, which bounds the length
    too, so the raw length limit pydantic applies first is left out of it."""

    def document(node: dict[str, Any]) -> None:
        for branch in node.get("anyOf", [node]):
            if branch.get("type") == "string":
                branch.pop("maxLength", None)
                branch["format"] = name

    return document


def omittable(*, schema: dict[str, Any] | None = None, **field: Any) -> Any:
    """``x: X | None = omittable()``: a field a body may leave out but not set to null. It
    is validated as ``X | None`` (the service refuses the null, naming the field) and
    documented without the null branch and its default. ``schema`` adds keywords to the
    documented schema; ``field`` goes to pydantic's ``Field``."""

    def document(node: dict[str, Any]) -> None:
        branches = [branch for branch in node.pop("anyOf", []) if branch != {"type": "null"}]
        if len(branches) == 1:
            node.update(branches[0])
        elif branches:
            node["anyOf"] = branches
        node.pop("default", None)
        node.update(schema or {})

    return Field(default=None, json_schema_extra=document, **field)


NO_NUL = "^[^\\u0000]*$"
# Python's whitespace (``str.strip``, ``str.isspace``) and the control characters (category
# Cc), spelled out: the \s of other regex dialects (JSON Schema validators') differs.
SPACE_CHARS = (
    "\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
)
SPACE = f"[{SPACE_CHARS}]"
CONTROL = "\\x00-\\x1f\\x7f-\\x9f"


def trimmed(maximum: int, *, control: bool = False, blank: bool = False) -> str:
    """A pattern for text the server trims before it checks it: 1 to ``maximum`` characters
    between the surrounding whitespace, no control character among them unless
    ``control`` (and never NUL); whitespace alone (read as absent) only when ``blank``."""
    core = _core(maximum, "\\x00" if control else CONTROL)
    return f"^{SPACE}*(?:{core})?{SPACE}*$" if blank else f"^{SPACE}*{core}{SPACE}*$"


def comma_separated(maximum: int) -> str:
    """A pattern for a list split at commas: blank items are skipped, the others are
    trimmed and hold 1 to ``maximum`` characters, none a control character."""
    item = f"{SPACE}*(?:{_core(maximum, CONTROL + ',')})?{SPACE}*"
    return f"^{item}(?:,{item})*$"


def _core(maximum: int, refused: str) -> str:
    # 1 to ``maximum`` characters, none of ``refused``, no whitespace at either end.
    edge = f"[^{SPACE_CHARS}{refused}]"
    return edge if maximum == 1 else f"{edge}(?:[^{refused}]{{0,{maximum - 2}}}{edge})?"


# Any JSON value without NUL in a string or a key, for the free-form parts of a body.
JSON_VALUE = "JsonValue"
# Written without a union (each keyword applies to the JSON type it names), so that client
# generators, which cannot follow a union that refers to itself, read it as "any value".
_JSON_VALUE_SCHEMA: dict[str, Any] = {
    "description": "Any JSON value; no string or key holds NUL (U+0000)",
    "pattern": NO_NUL,
    "items": {"$ref": f"#/components/schemas/{JSON_VALUE}"},
    "propertyNames": {"pattern": NO_NUL},
    "additionalProperties": {"$ref": f"#/components/schemas/{JSON_VALUE}"},
}
IF_MATCH = (
    'The ETag of a GET (`"3"`), a list of them, or `*`: the write happens only while one '
    "of them is current. Any other value, the empty one included, names no current version: "
    "412, and nothing changes."
)
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
_METHODS = ("get", "put", "post", "delete", "patch")


def refine(schema: dict[str, Any], *, item_paths: tuple[str, ...]) -> None:
    """Declare the shared answers and the NUL rule. ``item_paths``: routes whose body is a
    list of items answered one by one, where NUL fails its item, not the request."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    refs: set[str] = set()
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            _error_answers(operation)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    _no_nul(parameter.get("schema", {}), refs)
                elif parameter.get("in") == "header" and parameter["name"].lower() == "if-match":
                    parameter["description"] = IF_MATCH
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None and path not in item_paths:
                _no_nul(body.get("schema", {}), refs)
    done: set[str] = set()
    while refs - done:
        name = (refs - done).pop()
        done.add(name)
        if name in components and name != JSON_VALUE:
            _no_nul(components[name], refs)
    if JSON_VALUE in refs:
        components[JSON_VALUE] = _JSON_VALUE_SCHEMA


def _error_answers(operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    wanted: dict[str, str] = {}
    if "requestBody" in operation:
        wanted["400"] = "The body is missing or is not valid JSON"
        wanted["415"] = "The body's Content-Type is not one this route reads"
    if any(p.get("in") == "query" for p in operation.get("parameters", [])):
        wanted.setdefault("400", "A query parameter is malformed or out of range")
    for status, description in wanted.items():
        responses.setdefault(status, {"description": description, "content": _PROBLEM})


def _subschemas(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        yield from (child for child in node.get(key, []) if isinstance(child, dict))
    for key in ("items", "not", "propertyNames"):
        if isinstance(node.get(key), dict):
            yield node[key]
    for key in ("properties", "patternProperties"):
        yield from (child for child in node.get(key, {}).values() if isinstance(child, dict))
    if isinstance(node.get("additionalProperties"), dict):
        yield node["additionalProperties"]


def _free_form(node: dict[str, Any]) -> bool:
    """A schema that allows any JSON value (``{}``, a title or description at most)."""
    return not (set(node) - {"title", "description", "default", "examples"})


def _no_nul(node: dict[str, Any], refs: set[str], *, constrained: bool = False) -> None:
    """Forbid NUL in every string ``node`` allows, in place; collect the components it
    refers to (they are request schemas too)."""
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        refs.add(ref.rsplit("/", 1)[1])
        return
    if _free_form(node):
        node["$ref"] = f"#/components/schemas/{JSON_VALUE}"
        refs.add(JSON_VALUE)
        return
    # A pattern, format or enum (here, or on the node whose branch this is) already says
    # which strings are allowed; none of them admits NUL.
    constrained = constrained or any(key in node for key in ("pattern", "format", "enum"))
    types = node.get("type")
    is_string = types == "string" or (isinstance(types, list) and "string" in types)
    if is_string and not constrained:
        node["pattern"] = NO_NUL
    if node.get("type") == "object":
        if node.get("additionalProperties", True) is True:
            node["additionalProperties"] = {"$ref": f"#/components/schemas/{JSON_VALUE}"}
            refs.add(JSON_VALUE)
        if node.get("additionalProperties") not in (None, False):
            node.setdefault("propertyNames", {"pattern": NO_NUL})
    branches = [b for key in ("anyOf", "oneOf") for b in node.get(key, []) if isinstance(b, dict)]
    for child in _subschemas(node):
        _no_nul(child, refs, constrained=constrained and any(child is b for b in branches))
