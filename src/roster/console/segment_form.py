"""The segment builder's form as a filter expression, and back.

The builder is a tree of groups (all / any / none of their parts) holding conditions
(field, op, value) and further groups, as deep as the filter language allows. Each node
is named by its path from the root group ``r``: the third part of the root is ``r-2``, the
first part of that group ``r-2-0``. A group sends ``match_<path>``; a condition sends
``field_<path>``, ``op_<path>`` and ``value_<path>``. Values are read by the field's kind,
as a person types them; the filter language itself checks the result
(``roster.filters.parse``), and its problems are shown beside the condition they name.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from roster.filters import catalogue
from roster.filters.schema import MAX_CONDITIONS, MAX_DEPTH

ROOT = "r"
# Empty condition rows a new builder starts with.
START_ROWS = 3
OPS = (
    ("eq", "is"),
    ("neq", "is not"),
    ("contains", "contains"),
    ("starts_with", "starts with"),
    ("ends_with", "ends with"),
    ("in", "is one of (a, b)"),
    ("not_in", "is none of (a, b)"),
    ("gt", "greater than"),
    ("gte", "at least"),
    ("lt", "less than"),
    ("lte", "at most"),
    ("between", "between (a, b)"),
    ("exists", "is set"),
    ("not_exists", "is not set"),
    ("has", "has"),
    ("has_any", "has any of (a, b)"),
    ("has_all", "has all of (a, b)"),
    ("has_none", "has none of (a, b)"),
    ("within_last", "within the last (30d)"),
    ("not_within_last", "not within the last (30d)"),
)
MATCHES = (
    ("all", "all of these"),
    ("any", "any of these"),
    ("none", "none of these"),
)
FIELDS = (
    "tags",
    "status",
    "country",
    "first_name",
    "last_name",
    "company",
    "email",
    "phone",
    "source",
    "created_at",
    "preferences.sms",
    "preferences.email",
    "preferences.whatsapp",
    "lists",
    "activity.last_at",
)
_NO_VALUE = {"exists", "not_exists"}
_MANY = {"in", "not_in", "has_any", "has_all", "has_none", "between"}
_NUMBER = re.compile(r"-?\d+(\.\d+)?")
_NAME = re.compile(rf"^(match|field|op|value)_(r(?:-\d{{1,3}}){{0,{MAX_DEPTH}}})$")

Node = dict[str, Any]


def _scalar(kind: str | None, text: str) -> Any:
    text = text.strip()
    if kind in ("number", "custom") and _NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    # A custom field holds any JSON type: true / false are read as booleans there too, so
    # that a saved condition on a boolean custom field keeps its meaning when edited.
    if kind in ("bool", "custom") and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def group(match: str = "all", children: list[Node] | None = None) -> Node:
    return {"kind": "group", "match": match, "children": children or []}


def condition(field: str = "", op: str = "eq", value: str = "") -> Node:
    return {"kind": "condition", "field": field, "op": op, "value": value}


def blank() -> Node:
    """The builder of a new segment: an "all" group of empty rows."""
    return group("all", [condition() for _ in range(START_ROWS)])


def _order(path: str) -> tuple[int, ...]:
    return tuple(int(part) for part in path.split("-")[1:])


def read(form: FormData) -> Node:
    """The builder's tree as the form sent it (paths that do not fit the tree are left out)."""
    values: dict[str, dict[str, str]] = {}
    for name, value in form.multi_items():
        found = _NAME.match(name)
        if found and isinstance(value, str):
            values.setdefault(found.group(2), {}).setdefault(found.group(1), value)
    nodes: dict[str, Node] = {ROOT: group(_match(values.get(ROOT, {}).get("match")))}
    for path in sorted(values, key=_order):
        given = values[path]
        parent = nodes.get(path.rsplit("-", 1)[0]) if path != ROOT else None
        if parent is None or parent["kind"] != "group":
            continue
        if "match" in given:
            node = group(_match(given["match"]))
        else:
            node = condition(given.get("field", ""), given.get("op", "eq"), given.get("value", ""))
        nodes[path] = node
        parent["children"].append(node)
    return nodes[ROOT]


def _match(value: str | None) -> str:
    return value if value in ("any", "none") else "all"


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    return "" if value is None else str(value)


def from_expression(raw: dict[str, Any]) -> Node:
    """A saved filter as the builder's tree; a bare condition becomes an "all" group of one,
    a "not" a "none" group."""

    def node(part: dict[str, Any]) -> Node:
        if "all" in part or "any" in part:
            match = "all" if "all" in part else "any"
            return group(match, [node(p) for p in part[match]])
        if "not" in part:
            inner = part["not"]
            if "any" in inner:
                return group("none", [node(p) for p in inner["any"]])
            return group("none", [node(inner)])
        return condition(
            str(part.get("field", "")), str(part.get("op", "eq")), _text(part.get("value"))
        )

    root = node(raw)
    return root if root["kind"] == "group" else group("all", [root])


def expression(tree: Node) -> tuple[dict[str, Any] | None, dict[str, str]]:
    """The filter the tree describes (None when it has no condition yet), and which builder
    path each of its parts came from, keyed by the part's path in the filter."""
    origin: dict[str, str] = {}

    def build(node: Node, path: str, where: str) -> dict[str, Any] | None:
        if node["kind"] == "condition":
            name = node["field"].strip()
            if not name:
                return None
            origin[where] = path
            return _condition(name, node["op"].strip() or "eq", node["value"])
        key = "any" if node["match"] in ("any", "none") else "all"
        inner = f"{where}.not" if node["match"] == "none" else where
        parts: list[dict[str, Any]] = []
        for index, child in enumerate(node["children"]):
            spot = f"{inner}.{key}[{len(parts)}]"
            built = build(child, f"{path}-{index}", spot)
            if built is not None:
                parts.append(built)
        if not parts:
            return None
        origin[where] = path
        body = {key: parts}
        return {"not": body} if node["match"] == "none" else body

    built = build(tree, ROOT, "filter")
    return built, origin


def _condition(name: str, op: str, value: str) -> dict[str, Any]:
    body: dict[str, Any] = {"field": name, "op": op}
    if op not in _NO_VALUE:
        found = catalogue.resolve(name)
        kind = found.kind if found is not None else None
        if op in _MANY:
            body["value"] = [_scalar(kind, p) for p in value.split(",") if p.strip()]
        else:
            body["value"] = _scalar(kind, value)
    return body


def node_errors(problems: list[tuple[str, str]], origin: dict[str, str]) -> dict[str, str]:
    """Builder path → message, from the filter's problems (named like
    ``filter.all[2].any[0].value``): each goes to the deepest part its name starts with."""
    found: dict[str, str] = {}
    spots = sorted(origin, key=len, reverse=True)
    for field, message in problems:
        spot = next((s for s in spots if field == s or field.startswith((s + ".", s + "["))), None)
        if spot is not None:
            found.setdefault(origin[spot], message)
    return found


def change(tree: Node, form: FormData) -> bool:
    """Apply the builder button that was pressed (add a condition or a group to a group,
    remove a part); True when one was."""
    for action in ("add", "add_group", "remove"):
        target = form.get(action)
        if isinstance(target, str) and target:
            _apply(tree, action, target)
            return True
    return False


def _find(tree: Node, path: str) -> tuple[Node | None, Node | None]:
    """The node at ``path`` and its parent group."""
    if path == ROOT:
        return tree, None
    parent, node = None, tree
    for part in path.split("-")[1:]:
        if node["kind"] != "group" or not part.isdigit() or int(part) >= len(node["children"]):
            return None, None
        parent, node = node, node["children"][int(part)]
    return node, parent


def _apply(tree: Node, action: str, path: str) -> None:
    node, parent = _find(tree, path)
    if node is None:
        return
    if action == "remove" and parent is not None:
        parent["children"].remove(node)
    elif node["kind"] == "group" and count(tree) < MAX_CONDITIONS:
        if action == "add":
            node["children"].append(condition())
        elif action == "add_group" and depth(path) + 1 < MAX_DEPTH:
            node["children"].append(group("any", [condition(), condition()]))


def depth(path: str) -> int:
    """How deep a builder path is (the root group is 0)."""
    return path.count("-")


def count(tree: Node) -> int:
    """The condition rows of the tree."""
    if tree["kind"] == "condition":
        return 1
    return sum(count(child) for child in tree["children"])


def view(tree: Node, errors: dict[str, str]) -> Node:
    """The tree with what the template needs on each node: its path, depth, what may be
    added, and its number in reading order (conditions "Field 1", "Field 2"..., nested
    groups "Group 1"...)."""
    room = count(tree) < MAX_CONDITIONS
    numbers = {"condition": 0, "group": 0}

    def walk(node: Node, path: str, level: int) -> Node:
        shown = {**node, "path": path, "depth": depth(path), "error": errors.get(path)}
        if path != ROOT:
            numbers[node["kind"]] += 1
            shown["number"] = numbers[node["kind"]]
        if node["kind"] == "condition":
            return shown
        # The filter depth of this group's parts ("none" is a "not" around an "any").
        inner = level + 1 + (1 if node["match"] == "none" else 0)
        # Numbered as the page shows them: a group's conditions, then its groups.
        indexed = sorted(enumerate(node["children"]), key=lambda p: p[1]["kind"] == "group")
        shown["children"] = [walk(c, f"{path}-{i}", inner) for i, c in indexed]
        shown["can_add"] = room
        shown["can_nest"] = room and inner + 1 <= MAX_DEPTH
        return shown

    return walk(tree, ROOT, 0)
