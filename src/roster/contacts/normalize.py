"""Validation and normalisation of contact fields.

Every function here is pure (no I/O, no network) and raises ``ValueError`` with a short
lower-case phrase naming the problem; the caller attaches the field name. Values come out
in one canonical form so that uniqueness checks and lookups compare like with like. Phone
numbers, email addresses and URLs are normalised in ``roster.kit.normalize`` (typed custom
fields use them too) and re-exported here.
"""

from __future__ import annotations

import functools
import math
import re

import orjson
import pycountry

from roster.kit.normalize import MAX_EMAIL as MAX_EMAIL
from roster.kit.normalize import MAX_PHONE_INPUT as MAX_PHONE_INPUT
from roster.kit.normalize import MAX_URL as MAX_URL
from roster.kit.normalize import has_control, preview
from roster.kit.normalize import normalize_email as normalize_email
from roster.kit.normalize import normalize_phone as normalize_phone
from roster.kit.normalize import normalize_url as normalize_url
from roster.kit.normalize import phone_region as phone_region
from roster.models.contacts import HANDLE_CHANNELS as HANDLE_CHANNELS  # re-exported

PHONE_HANDLES = frozenset({"whatsapp", "viber", "rcs"})
"""Handle channels whose values are phone numbers."""

CUSTOM_FIELD_KEY = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")
MAX_CUSTOM_FIELDS = 100
MAX_CUSTOM_FIELDS_BYTES = 16 * 1024

MAX_LANGUAGE_TAG = 35
MAX_TAGS = 100
MAX_TAG = 64
MAX_HANDLE = 255

_LANGUAGE_TAG = re.compile(
    r"(?P<language>[A-Za-z]{2,3})"
    r"(?:-(?P<script>[A-Za-z]{4}))?"
    r"(?:-(?P<region>[A-Za-z]{2}|[0-9]{3}))?"
    r"(?P<variants>(?:-(?:[A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*)"
)


@functools.cache
def _country_codes() -> frozenset[str]:
    """ISO 3166-1 alpha-2 codes, loaded on first use."""
    return frozenset(country.alpha_2 for country in pycountry.countries)


@functools.cache
def _language_codes() -> dict[str, str]:
    """ISO 639 alpha-2 and alpha-3 codes (lower case) → the code BCP 47 uses for them: the
    two-letter code where one exists ("eng" → "en"), so one language has one spelling."""
    codes: dict[str, str] = {}
    for language in pycountry.languages:
        alpha_2 = getattr(language, "alpha_2", None)
        alpha_3 = getattr(language, "alpha_3", None)
        shortest = alpha_2 if isinstance(alpha_2, str) else alpha_3
        for code in (alpha_2, alpha_3):
            if isinstance(code, str) and isinstance(shortest, str):
                codes[code.lower()] = shortest.lower()
    return codes


def normalize_country(raw: str) -> str:
    """Return an ISO 3166-1 alpha-2 country code in upper case."""
    code = raw.strip().upper()
    if len(code) != 2 or code not in _country_codes():
        raise ValueError("not an iso 3166-1 alpha-2 country code")
    return code


def normalize_language(raw: str) -> str:
    """Return a BCP 47 language tag (language, script, region, variants) in canonical case.

    "PT_br" gives "pt-BR" and "zh-hant-tw" gives "zh-Hant-TW". Extensions and private-use
    subtags are not accepted.
    """
    text = raw.strip().replace("_", "-")
    if not text:
        raise ValueError("must not be empty")
    if len(text) > MAX_LANGUAGE_TAG:
        raise ValueError(f"must be at most {MAX_LANGUAGE_TAG} characters")
    match = _LANGUAGE_TAG.fullmatch(text)
    if match is None:
        raise ValueError("not a valid language tag")
    language = match["language"].lower()
    if language not in _language_codes():
        raise ValueError(f"unknown language {preview(language)}")
    parts = [_language_codes()[language]]
    if match["script"]:
        parts.append(match["script"].title())
    if region := match["region"]:
        region = region.upper()
        if region.isalpha() and region not in _country_codes():
            raise ValueError(f"unknown region {preview(region)}")
        parts.append(region)
    variants = [variant.lower() for variant in match["variants"].split("-") if variant]
    if len(set(variants)) != len(variants):
        raise ValueError("repeated variant in language tag")
    parts.extend(variants)
    return "-".join(parts)


def normalize_text(raw: str | None, *, max_length: int = 255) -> str | None:
    """Trim free text; empty becomes None. Control characters are refused."""
    if raw is None:
        return None
    text = raw.strip()
    if not text:
        return None
    if len(text) > max_length:
        raise ValueError(f"must be at most {max_length} characters")
    if has_control(text):
        raise ValueError("must not contain control characters")
    return text


def normalize_tags(raw: list[str]) -> list[str]:
    """Trim, check, de-duplicate (case-sensitively) and sort a list of tags."""
    tags: set[str] = set()
    for index, item in enumerate(raw):
        if not isinstance(item, str):
            raise ValueError(f"tag {index}: must be a string")
        tag = item.strip()
        if not tag:
            raise ValueError(f"tag {index}: must not be empty")
        if len(tag) > MAX_TAG:
            raise ValueError(f"tag {index}: must be at most {MAX_TAG} characters")
        if has_control(tag):
            raise ValueError(f"tag {index}: must not contain control characters")
        tags.add(tag)
    if len(tags) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    return sorted(tags)


def _check_finite(value: object) -> None:
    """Refuse NaN and infinities, which JSON cannot represent (orjson would write null)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("values must not be nan or infinite")
    if isinstance(value, dict):
        for item in value.values():
            _check_finite(item)
    elif isinstance(value, list):
        for item in value:
            _check_finite(item)


def check_custom_fields(fields: dict[str, object]) -> None:
    """Check custom fields: key count and shape, JSON values, serialised size."""
    if len(fields) > MAX_CUSTOM_FIELDS:
        raise ValueError(f"at most {MAX_CUSTOM_FIELDS} custom fields")
    for key in fields:
        if not isinstance(key, str) or not CUSTOM_FIELD_KEY.fullmatch(key):
            shown = preview(key) if isinstance(key, str) else repr(type(key).__name__)
            raise ValueError(
                f"invalid key {shown}: must be 1-64 letters, digits, '_', '.' or '-',"
                " not starting with '.' or '-'"
            )
    _check_finite(fields)
    try:
        size = len(orjson.dumps(fields))
    except orjson.JSONEncodeError as error:
        raise ValueError(f"values must be json values: {error}") from None
    if size > MAX_CUSTOM_FIELDS_BYTES:
        raise ValueError(f"must be at most {MAX_CUSTOM_FIELDS_BYTES} bytes as json")


def merge_custom_fields(current: dict[str, object], patch: dict[str, object]) -> dict[str, object]:
    """Apply a one-level JSON Merge Patch: None removes a key, anything else sets it.

    Returns a new dict; neither input is changed.
    """
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def normalize_handle(channel: str, raw: str, region: str | None) -> str:
    """Normalise a messaging handle for ``channel``.

    Phone-based channels give E.164; Telegram and Instagram usernames are case-insensitive,
    so they lose one leading '@' and are lower-cased; Messenger ids keep their case.
    """
    if channel not in HANDLE_CHANNELS:
        raise ValueError(f"unknown channel {preview(channel)}")
    if channel in PHONE_HANDLES:
        return normalize_phone(raw, region)
    handle = raw.strip()
    if channel in ("telegram", "instagram"):
        handle = handle.removeprefix("@").lower()
        if any(char.isspace() for char in handle):
            raise ValueError("must not contain whitespace")
    if not handle:
        raise ValueError("must not be empty")
    if len(handle) > MAX_HANDLE:
        raise ValueError(f"must be at most {MAX_HANDLE} characters")
    if has_control(handle):
        raise ValueError("must not contain control characters")
    return handle


def parse_handle_query(text: str) -> tuple[str, str]:
    """Split a lookup such as "whatsapp:+14155551234" into ``(channel, value)``.

    The value is returned trimmed but otherwise as given; normalise it with
    ``normalize_handle`` before comparing.
    """
    channel, separator, value = text.partition(":")
    channel = channel.strip().lower()
    if not separator:
        raise ValueError("must look like 'channel:value'")
    if channel not in HANDLE_CHANNELS:
        raise ValueError(f"unknown channel {preview(channel)}")
    value = value.strip()
    if not value:
        raise ValueError("missing handle value")
    return channel, value
