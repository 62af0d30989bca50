"""Which fields a filter may name, what kind of value each holds, and which ops apply.

This whitelist is the only way a filter reaches a column: a field name that is not here is
refused, so no expression can name arbitrary SQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from roster.contacts.normalize import CUSTOM_FIELD_KEY
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS

Kind = Literal["text", "bool", "datetime", "number", "set", "custom", "preference"]

Op = Literal[
    "eq",
    "neq",
    "in",
    "not_in",
    "contains",
    "starts_with",
    "ends_with",
    "gt",
    "gte",
    "lt",
    "lte",
    "between",
    "exists",
    "not_exists",
    "has",
    "has_any",
    "has_all",
    "has_none",
    "within_last",
    "not_within_last",
]

EQUALITY = frozenset({"eq", "neq", "in", "not_in"})
TEXT_MATCH = frozenset({"contains", "starts_with", "ends_with"})
ORDERING = frozenset({"gt", "gte", "lt", "lte", "between"})
PRESENCE = frozenset({"exists", "not_exists"})
SET_OPS = frozenset({"has", "has_any", "has_all", "has_none"})
RELATIVE = frozenset({"within_last", "not_within_last"})

OPS_BY_KIND: dict[Kind, frozenset[str]] = {
    "text": EQUALITY | TEXT_MATCH | PRESENCE,
    "bool": frozenset({"eq", "neq"}) | PRESENCE,
    "datetime": frozenset({"eq", "neq"}) | ORDERING | PRESENCE | RELATIVE,
    "number": EQUALITY | ORDERING,
    "set": SET_OPS | PRESENCE,
    "custom": EQUALITY | TEXT_MATCH | ORDERING | PRESENCE | RELATIVE,
    "preference": EQUALITY,
}

PREFERENCE_VALUES = ("opted_in", "opted_out", "unknown")

# Scalar contact fields: API name → (kind, column).
SCALARS: dict[str, tuple[Kind, str]] = {
    **{
        name: ("text", name)
        for name in (
            "first_name",
            "last_name",
            "name",
            "phone",
            "email",
            "external_id",
            "company",
            "job_title",
            "status",
            "country",
            "language",
            "source",
            "avatar_url",
            "suppressed_reason",
        )
    },
    "suppressed": ("bool", "suppressed"),
    "created_at": ("datetime", "created_at"),
    "updated_at": ("datetime", "updated_at"),
}

_ACTIVITY_TYPE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


@dataclass(frozen=True)
class Field:
    """A resolved filter field.

    ``column`` names the contacts column for scalars, preferences and handles; ``key`` is
    the custom-field key, the handle or preference channel, or the activity type.
    """

    name: str
    kind: Kind
    source: Literal["column", "tags", "lists", "custom", "activity_last", "activity_count"]
    column: str | None = None
    key: str | None = None


def resolve(name: str) -> Field | None:
    """The field a filter names, or None when it is not one of §4's fields."""
    if name in SCALARS:
        kind, column = SCALARS[name]
        return Field(name, kind, "column", column=column)
    if name == "tags":
        return Field(name, "set", "tags")
    if name == "lists":
        return Field(name, "set", "lists")
    prefix, dot, rest = name.partition(".")
    if not dot:
        return None
    if prefix == "custom_fields" and CUSTOM_FIELD_KEY.fullmatch(rest):
        return Field(name, "custom", "custom", key=rest)
    if prefix == "preferences" and rest in PREFERENCE_CHANNELS:
        return Field(name, "preference", "column", column=f"pref_{rest}", key=rest)
    if prefix == "handles" and rest in HANDLE_CHANNELS:
        return Field(name, "text", "column", column=f"handle_{rest}", key=rest)
    if prefix == "activity":
        if rest == "last_at":
            return Field(name, "datetime", "activity_last")
        kind_name, dot, count = rest.rpartition(".")
        if dot and count == "count" and _ACTIVITY_TYPE.fullmatch(kind_name):
            return Field(name, "number", "activity_count", key=kind_name)
    return None


def field_hint() -> str:
    return (
        "a contact field (" + ", ".join(SCALARS) + "), tags, lists, custom_fields.<key>, "
        "preferences.<channel>, handles.<channel>, activity.last_at or activity.<type>.count"
    )
