"""Which CSV column feeds which contact field, and turning one CSV row into a contact patch.

Without an explicit mapping, each header is matched by name and by the synonyms below,
which cover the export columns of common CRMs and mailing tools (HubSpot, Mailchimp,
Brevo, Google Contacts, Outlook). Matching ignores case, spaces and punctuation. When two
columns match one field, the one with the better-ranked synonym wins and the other is
skipped (a Google export's "E-mail 1 - Value" beats its "E-mail 2 - Value").
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import pycountry

from roster.contacts.normalize import CUSTOM_FIELD_KEY
from roster.errors import FieldProblem, ValidationFailed
from roster.exports.stream import TEXT_COLUMNS
from roster.fielddefs.types import Validator, from_text, validator
from roster.models import HANDLE_CHANNELS, PREFERENCE_CHANNELS

# The contact's plain text columns, as exports write them, plus the suppression reason.
TEXT_TARGETS = (*TEXT_COLUMNS, "suppressed_reason")
IDENTIFIER_TARGETS = ("phone", "email", "external_id", *(f"handles.{c}" for c in HANDLE_CHANNELS))
PREFERENCE_VALUES = ("opted_in", "opted_out", "unknown")

# Field → header synonyms, best first (compared after `_simplify`).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": (
        "email",
        "email address",
        "e mail",
        "e mail address",
        "e mail 1 value",
        "email 1",
        "primary email",
        "mail",
        "work email",
        "e mail 2 value",
    ),
    "phone": (
        "phone",
        "phone number",
        "mobile",
        "mobile phone",
        "mobile phone number",
        "mobile number",
        "sms",
        "cell",
        "cell phone",
        "phone 1 value",
        "primary phone",
        "telephone",
        "tel",
        "business phone",
        "home phone",
        "phone 2 value",
    ),
    "first_name": ("first name", "firstname", "given name", "first", "fname", "prenom"),
    "last_name": ("last name", "lastname", "family name", "surname", "last", "lname", "nom"),
    "name": ("name", "full name", "display name", "contact name"),
    "company": (
        "company",
        "company name",
        "organization",
        "organisation",
        "organization 1 name",
        "organization name",
        "account name",
    ),
    "job_title": ("job title", "title", "organization 1 title", "position", "role"),
    "external_id": (
        "external id",
        "externalid",
        "record id",
        "contact id",
        "customer id",
        "user id",
        "unique id",
    ),
    "country": ("country", "country code", "country region", "business country region"),
    "language": ("language", "locale", "preferred language", "lang"),
    "tags": ("tags", "tag", "labels", "group membership"),
    "status": ("status",),
    "source": ("source",),
    "avatar_url": ("avatar url", "avatar", "photo", "photo url", "picture"),
    "suppressed": ("suppressed",),
    "suppressed_reason": ("suppressed reason",),
    **{f"handles.{ch}": (ch, f"{ch} handle", f"handles {ch}") for ch in HANDLE_CHANNELS},
    # Roster's own export columns that are not writable.
    "skip": ("id", "created at", "updated at", "deleted at", "version"),
}


def _simplify(header: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", header.strip().lower()).strip()


@functools.cache
def _synonym_ranks() -> dict[str, tuple[str, int]]:
    ranks: dict[str, tuple[str, int]] = {}
    for target, names in SYNONYMS.items():
        for rank, name in enumerate(names):
            ranks.setdefault(name, (target, rank))
    return ranks


def check_target(target: str) -> str | None:
    """None when ``target`` is a field a column can feed, else the reason it is not."""
    if target in (*TEXT_TARGETS, "tags", "suppressed", "skip"):
        return None
    prefix, _, rest = target.partition(".")
    if prefix == "custom_fields":
        return None if CUSTOM_FIELD_KEY.fullmatch(rest) else f"invalid custom field key {rest!r}"
    if prefix == "handles" and rest in HANDLE_CHANNELS:
        return None
    if prefix == "preferences" and rest in PREFERENCE_CHANNELS:
        return None
    return f"unknown field {target!r}"


def _target_of_header(header: str) -> tuple[str, int] | None:
    text = header.strip()
    prefix, dot, _ = text.partition(".")
    if dot and prefix in ("custom_fields", "handles", "preferences") and check_target(text) is None:
        return text, -1
    return _synonym_ranks().get(_simplify(text))


def resolve(header: list[str], explicit: dict[str, str] | None) -> dict[int, str]:
    """Column index → target field. Raises ValidationFailed naming bad mapping entries."""
    plan: dict[int, str] = {}
    if explicit is not None:
        problems = []
        positions = {name: i for i, name in reversed(list(enumerate(header)))}
        # A field fed by two columns would keep one of them silently: name both instead.
        fed_by: dict[str, str] = {}
        for column, target in explicit.items():
            if not isinstance(target, str):
                problems.append(FieldProblem(f"mapping.{column}", "must be a field name"))
            elif (reason := check_target(target)) is not None:
                problems.append(FieldProblem(f"mapping.{column}", reason))
            elif column not in positions:
                problems.append(FieldProblem(f"mapping.{column}", "no such column in the file"))
            elif target != "skip" and target in fed_by:
                message = f"column {fed_by[target]!r} is mapped to {target} too"
                problems.append(FieldProblem(f"mapping.{column}", message))
            elif target != "skip":
                fed_by[target] = column
                plan[positions[column]] = target
        if problems:
            raise ValidationFailed(problems)
        return plan
    best: dict[str, tuple[int, int]] = {}
    for index, name in enumerate(header):
        found = _target_of_header(name)
        if found is None or found[0] == "skip":
            continue
        target, rank = found
        if target not in best or rank < best[target][1]:
            best[target] = (index, rank)
    return {index: target for target, (index, _) in best.items()}


@dataclass(frozen=True)
class Plan:
    """Everything needed to turn a row's cells into a contact patch (picklable)."""

    columns: tuple[tuple[int, str], ...]
    width: int
    tags_separator: str
    match_on: str | None
    region: str
    # The tenant's custom field definitions: (key, type, enum options).
    definitions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()


_TRUE = {"true", "yes", "y", "1", "t"}
_FALSE = {"false", "no", "n", "0", "f"}


@functools.lru_cache(maxsize=1024)
def _country(text: str) -> str:
    """An alpha-2 code as given, or the code of an exact country name ("Germany" → "DE")."""
    if len(text) == 2:
        return text
    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        return text


@functools.lru_cache(maxsize=64)
def _kinds(definitions: tuple[tuple[str, str, tuple[str, ...]], ...]) -> dict[str, str]:
    return {key: kind for key, kind, _ in definitions}


@functools.lru_cache(maxsize=64)
def checks(definitions: tuple[tuple[str, str, tuple[str, ...]], ...]) -> dict[str, Validator]:
    """The definitions' validators, built once per process (validators do not pickle)."""
    return {key: validator(kind, list(options) or None) for key, kind, options in definitions}


def to_patch(cells: list[str], plan: Plan) -> dict[str, Any]:
    """The contact patch of one row; empty cells are left out. Raises ValidationFailed for
    cells no field rule can take (a preference or flag that is not one of its values)."""
    if len(cells) > plan.width:
        raise ValidationFailed.one(
            "_row", f"the row has {len(cells)} cells but the header has {plan.width}"
        )
    patch: dict[str, Any] = {}
    problems: list[FieldProblem] = []
    kinds = _kinds(plan.definitions) if plan.definitions else {}
    for index, target in plan.columns:
        if index >= len(cells):
            continue
        value = cells[index].strip()
        if not value:
            continue
        prefix, _, key = target.partition(".")
        if prefix == "custom_fields":
            kind = kinds.get(key)
            if kind is not None:
                try:
                    value = from_text(kind, value)
                except ValueError as exc:
                    problems.append(FieldProblem(target, str(exc)))
            patch.setdefault("custom_fields", {})[key] = value
        elif prefix == "handles":
            patch.setdefault("handles", {})[key] = value
        elif prefix == "preferences":
            if value.lower() not in PREFERENCE_VALUES:
                problems.append(FieldProblem(target, "must be opted_in, opted_out or unknown"))
            patch.setdefault("preferences", {})[key] = value.lower()
        elif target == "tags":
            tags = [t.strip() for t in value.split(plan.tags_separator)]
            patch["tags"] = [t for t in tags if t]
        elif target == "suppressed":
            if value.lower() not in _TRUE | _FALSE:
                problems.append(FieldProblem(target, "must be true or false"))
            patch["suppressed"] = value.lower() in _TRUE
        elif target == "country":
            patch["country"] = _country(value)
        else:
            patch[target] = value
    if problems:
        raise ValidationFailed(problems)
    return patch
