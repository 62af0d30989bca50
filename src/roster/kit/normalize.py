"""Normalisers of plain values any feature may need: phone numbers, email addresses, URLs.

Contacts normalise their fields with them (``contacts.normalize``) and typed custom fields
check theirs (``fielddefs.types``); they live here, below both, because they know nothing
of either. Every function is pure and raises ``ValueError`` with a short lower-case phrase
naming the problem; values come out in one canonical form.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

import email_validator
import phonenumbers

from roster.kit import fastpath

MAX_PHONE_INPUT = 64
MAX_EMAIL = 320
MAX_URL = 2048


def has_control(text: str) -> bool:
    """Whether ``text`` holds a control character (Unicode category Cc)."""
    return any(unicodedata.category(char) == "Cc" for char in text)


def preview(value: str, limit: int = 40) -> str:
    """Quote ``value`` for an error message, cut short so messages stay small."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def normalize_phone(raw: str, region: str | None) -> str:
    """Parse a phone number in any common format and return it in E.164.

    Numbers without an international prefix are read in ``region`` (ISO alpha-2); with no
    region only international numbers parse. Extensions are refused because E.164 cannot
    carry them and the number is used as a unique identifier.
    """
    text = raw.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > MAX_PHONE_INPUT:
        raise ValueError(f"must be at most {MAX_PHONE_INPUT} characters")
    fast = fastpath.phone(text, region.upper() if region else None)
    if fast is not None:
        global _last_region
        _last_region = fast
        return fast[0]
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        raise ValueError("not a valid phone number") from None
    if number.extension:
        raise ValueError("phone extensions are not supported")
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The last number the fast path normalised and its region: contact writes ask for the
# region of the number they have just normalised (a pure function, so this only saves
# working it out twice).
_last_region: tuple[str, str | None] = ("", None)


def phone_region(e164: str) -> str | None:
    """Return the ISO alpha-2 region of an E.164 number, or None if it has none.

    Non-geographic numbers (region "001") and numbers of no known region give None.
    """
    last, region = _last_region
    if last == e164:
        return region
    if fastpath.E164_NANP.fullmatch(e164):
        return fastpath.phone_region(e164)
    if not e164.startswith("+"):
        raise ValueError("not an e.164 phone number")
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        raise ValueError("not an e.164 phone number") from None
    region = phonenumbers.region_code_for_number(number)
    if not region or region in ("001", "ZZ"):
        return None
    return str(region)


def normalize_email(raw: str) -> tuple[str, str]:
    """Check an email address's syntax and return ``(email, key)``.

    ``email`` keeps the local part's case and lower-cases the domain (as normalised by
    email-validator, IDN domains in Unicode); ``key`` is ``email`` lower-cased, for
    case-insensitive uniqueness. Deliverability is not checked (no network).
    """
    text = raw.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > MAX_EMAIL:
        raise ValueError(f"must be at most {MAX_EMAIL} characters")
    fast = fastpath.email(text)
    if fast is not None:
        return fast
    try:
        result = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        reason = str(error)
        reason = reason[:1].lower() + reason[1:]
        raise ValueError(f"not a valid email address: {reason}") from None
    email = f"{result.local_part}@{result.domain.lower()}"
    return email, email.lower()


def normalize_url(raw: str) -> str:
    """Check an http(s) URL with a host (used for avatars) and return it trimmed."""
    url = raw.strip()
    if not url:
        raise ValueError("must not be empty")
    if len(url) > MAX_URL:
        raise ValueError(f"must be at most {MAX_URL} characters")
    if has_control(url) or any(char.isspace() for char in url):
        raise ValueError("must not contain whitespace or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise ValueError("not a valid url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValueError("must be an http or https url")
    if not parts.hostname:
        raise ValueError("url must have a host")
    return url
