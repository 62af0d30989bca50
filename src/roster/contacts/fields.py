"""Turning a client's contact fields into column values, applying every rule of the contract.

``apply`` is the one place the field rules live: create, PATCH/PUT, upsert and tag changes
all pass through it, so they cannot drift apart. It collects every bad field before failing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

from roster.contacts import normalize
from roster.errors import FieldProblem, ValidationFailed
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS

T = TypeVar("T")

# Plain text fields: trimmed, at most 255 characters, empty reads as null.
TEXT_FIELDS = (
    "first_name",
    "last_name",
    "external_id",
    "company",
    "job_title",
    "status",
    "suppressed_reason",
)
# Fields that may not be set to null (they have a value on every contact).
NOT_NULL = ("source", "tags", "custom_fields", "handles", "preferences", "suppressed")
IDENTITY = ("phone", "email", "external_id")

# Every column a client's write can change, in a stable order.
WRITABLE_COLUMNS = (
    "first_name",
    "last_name",
    "name",
    "name_set",
    "phone",
    "email",
    "email_key",
    "external_id",
    "company",
    "job_title",
    "status",
    "country",
    "language",
    "avatar_url",
    "source",
    "tags",
    "custom_fields",
    *(f"handle_{ch}" for ch in HANDLE_CHANNELS),
    *(f"pref_{ch}" for ch in PREFERENCE_CHANNELS),
    "suppressed",
    "suppressed_reason",
)


def blank() -> dict[str, Any]:
    """Column values of a contact before any field is given."""
    values: dict[str, Any] = dict.fromkeys(WRITABLE_COLUMNS)
    values.update(name_set=False, source="api", tags=[], custom_fields={}, suppressed=False)
    values.update({f"pref_{ch}": "unknown" for ch in PREFERENCE_CHANNELS})
    return values


# A custom field definition's check: (value, region) → value as stored, or ValueError.
FieldCheck = Callable[[Any, str], Any]


def apply(
    current: dict[str, Any],
    patch: dict[str, Any],
    default_region: str,
    definitions: Mapping[str, FieldCheck] | None = None,
) -> dict[str, Any]:
    """The contact's column values after ``patch`` (JSON Merge Patch semantics).

    ``definitions`` holds the tenant's custom field definitions: each custom field value
    written for a defined key must pass its check. Raises ``ValidationFailed`` naming every
    field that breaks a rule.
    """
    errors: list[FieldProblem] = []
    new = {key: current.get(key) for key in WRITABLE_COLUMNS}

    def rule(field: str, normalizer: Callable[..., T], raw: Any, *args: Any) -> T | None:
        """``normalizer(raw, *args)``; null stays null; a ValueError becomes a field problem."""
        if raw is None:
            return None
        try:
            return normalizer(raw, *args)
        except ValueError as exc:
            errors.append(FieldProblem(field, str(exc)))
            return None

    for field in NOT_NULL:
        if field in patch and patch[field] is None:
            errors.append(FieldProblem(field, "must not be null"))
    patch = {k: v for k, v in patch.items() if not (k in NOT_NULL and v is None)}

    if "country" in patch:
        new["country"] = rule("country", normalize.normalize_country, patch["country"])
    region = new["country"] or default_region
    for field in TEXT_FIELDS:
        if field in patch:
            new[field] = rule(field, normalize.normalize_text, patch[field])
    if "source" in patch:
        new["source"] = rule("source", normalize.normalize_text, patch["source"]) or "api"
    if "name" in patch:
        new["name"] = rule("name", normalize.normalize_text, patch["name"])
        new["name_set"] = new["name"] is not None
    if "phone" in patch:
        new["phone"] = rule("phone", normalize.normalize_phone, patch["phone"], region)
    if "email" in patch:
        pair = rule("email", normalize.normalize_email, patch["email"])
        new["email"], new["email_key"] = pair or (None, None)
    if "language" in patch:
        new["language"] = rule("language", normalize.normalize_language, patch["language"])
    if "avatar_url" in patch:
        new["avatar_url"] = rule("avatar_url", normalize.normalize_url, patch["avatar_url"])
    if "tags" in patch:
        new["tags"] = rule("tags", normalize.normalize_tags, patch["tags"]) or []
    if "custom_fields" in patch:
        merged = normalize.merge_custom_fields(new["custom_fields"] or {}, patch["custom_fields"])
        for key, value in patch["custom_fields"].items():
            if value is not None and definitions and key in definitions:
                merged[key] = rule(f"custom_fields.{key}", definitions[key], value, region)
        if rule("custom_fields", _checked, merged) is not None:
            new["custom_fields"] = merged
    for channel, raw in (patch.get("handles") or {}).items():
        handle = partial(normalize.normalize_handle, channel)
        new[f"handle_{channel}"] = rule(f"handles.{channel}", handle, raw, region)
    for channel, state in (patch.get("preferences") or {}).items():
        new[f"pref_{channel}"] = state
    if "suppressed" in patch:
        new["suppressed"] = bool(patch["suppressed"])

    if not new["name_set"]:
        joined = " ".join(p for p in (new["first_name"], new["last_name"]) if p)
        new["name"] = joined[:255] or None
    if new["country"] is None and new["phone"]:
        new["country"] = normalize.phone_region(new["phone"])
    if not errors and not any(new[f] for f in IDENTITY):
        errors.append(
            FieldProblem("phone", "a contact needs at least one of phone, email, external_id")
        )
    if errors:
        raise ValidationFailed(errors)
    return new


def _checked(fields: dict[str, Any]) -> dict[str, Any]:
    normalize.check_custom_fields(fields)
    return fields


def changed(current: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Names of the columns whose value differs."""
    return [key for key in WRITABLE_COLUMNS if current.get(key) != new.get(key)]


def api_names(columns: list[str]) -> list[str]:
    """Changed columns as the API names the fields (``pref_sms`` → ``preferences.sms``)."""
    names: list[str] = []
    for column in columns:
        if column in ("email_key", "name_set"):
            continue
        if column.startswith("handle_"):
            column = "handles." + column.removeprefix("handle_")
        elif column.startswith("pref_"):
            column = "preferences." + column.removeprefix("pref_")
        if column not in names:
            names.append(column)
    return names
