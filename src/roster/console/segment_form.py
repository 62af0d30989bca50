"""The segment builder's form as a filter expression: one row per condition (field, op,
value) under one group (all / any). Values are read by the field's kind, as a person types
them; the filter language itself checks the result (``roster.filters.parse``)."""

from __future__ import annotations

import re
from typing import Any

from starlette.datastructures import FormData

from roster.filters import catalogue

ROWS = 5
OPS = (
    ("eq", "is"),
    ("neq", "is not"),
    ("contains", "contains"),
    ("starts_with", "starts with"),
    ("in", "is one of (a, b)"),
    ("gt", "greater than"),
    ("lt", "less than"),
    ("exists", "is set"),
    ("not_exists", "is not set"),
    ("has", "has"),
    ("has_any", "has any of (a, b)"),
    ("has_none", "has none of (a, b)"),
    ("within_last", "within the last (30d)"),
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
_ROW = re.compile(r"^filter\.(?:all|any)\[(\d+)\]")


def _scalar(kind: str | None, text: str) -> Any:
    text = text.strip()
    if kind in ("number", "custom") and _NUMBER.fullmatch(text):
        return float(text) if "." in text else int(text)
    if kind == "bool" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def rows(form: FormData) -> list[dict[str, str]]:
    """The builder's rows as the form sent them (for showing the form again)."""
    found = []
    for i in range(ROWS):
        values = {k: form.get(f"{k}_{i}") for k in ("field", "op", "value")}
        found.append({k: v if isinstance(v, str) else "" for k, v in values.items()})
    return found


def expression(form: FormData) -> tuple[dict[str, Any], list[int]]:
    """The filter the form describes, and which form row each of its conditions came from."""
    conditions: list[dict[str, Any]] = []
    origin: list[int] = []
    for i, row in enumerate(rows(form)):
        name = row["field"].strip()
        if not name:
            continue
        op = row["op"].strip() or "eq"
        condition: dict[str, Any] = {"field": name, "op": op}
        if op not in _NO_VALUE:
            found = catalogue.resolve(name)
            kind = found.kind if found is not None else None
            if op in _MANY:
                parts = [p for p in row["value"].split(",") if p.strip()]
                condition["value"] = [_scalar(kind, p) for p in parts]
            else:
                condition["value"] = _scalar(kind, row["value"])
        conditions.append(condition)
        origin.append(i)
    group = "any" if form.get("match") == "any" else "all"
    return {group: conditions}, origin


def row_errors(problems: list[tuple[str, str]], origin: list[int]) -> dict[int, str]:
    """Form row → message, from the filter's problems (named like ``filter.all[2].value``)."""
    found: dict[int, str] = {}
    for field, message in problems:
        match = _ROW.match(field)
        if match and int(match.group(1)) < len(origin):
            found.setdefault(origin[int(match.group(1))], message)
    return found
