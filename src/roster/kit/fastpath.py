"""Fast paths for the common shapes of phone numbers and email addresses.

Imports and batches validate every row with phonenumbers and email-validator, which cost
most of an imported row's time. The functions here decide the most common shapes (a North
American number written as "(212) 555-1234", "212.555.1234" or "+1 212 555 1234"; an
address such as "ada.lovelace+news@example.com" or "josé.müller@example.com", whose local
part is ASCII or accented Latin letters and whose domain is ASCII) with a fraction of the
work, and answer None for anything else, which then goes through the libraries. They only ever
accept: whatever they accept, the libraries accept with the same normalised result, and
whatever they are unsure of they leave to the libraries. tests/contacts/
test_fastpath_differential.py checks that over more than a million generated inputs,
hard cases included.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

# A NANP number of ten digits (area code and exchange cannot start with 0 or 1 there, so
# neither a national prefix nor an international one can be read into them), as
# "+1 212 555 1234", "+12125551234", "(212) 555-1234", "212.555.1234", "212-555-1234".
_NANP = re.compile(
    r"(\+1[ .-]?)?(?:\(([2-9][0-9]{2})\) ?|([2-9][0-9]{2})[ .-]?)([2-9][0-9]{2})[ .-]?([0-9]{4})"
)
_NANP_REGIONS = frozenset(phonenumbers.region_codes_for_country_code(1))
# NANP regions that phonenumbers.region_code_for_number finds by checking the number
# against the region's number types (the others it finds by leading digits alone).
_FOUND_BY_TYPE = frozenset(
    region
    for region in _NANP_REGIONS
    if (metadata := phonenumbers.PhoneMetadata.metadata_for_region(region)) is not None
    and metadata.leading_digits is None
)

_LOCAL = re.compile(r"[A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*")
# The same with the letters of Latin-1 and Latin Extended-A (the accented letters of most
# European names: "josé.müller"). Each is one code point already in NFC and of Unicode
# category L, so email-validator keeps them in a local part as they are (RFC 6531); it
# then skips the case-insensitive mailbox names, which are ASCII.
_LATIN = "\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u017f"
_LOCAL_LATIN = re.compile(f"[A-Za-z0-9_+{_LATIN}-]+(?:\\.[A-Za-z0-9_+{_LATIN}-]+)*")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}")
_MAILBOXES = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)
_SPECIAL = tuple(SPECIAL_USE_DOMAIN_NAMES)


def phone(text: str, region: str | None) -> tuple[str, str | None] | None:
    """``(E.164, the number's region or None)`` of a valid NANP number in a common shape
    (``text`` already trimmed; ``region``: the default region, upper case), else None."""
    match = _NANP.fullmatch(text)
    if match is None:
        return None
    international, area_in_parens, area, exchange, line = match.groups()
    if international is None and region not in _NANP_REGIONS:
        return None
    digits = f"{area_in_parens or area}{exchange}{line}"
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(digits))
    # What phonenumbers.is_valid_number does, keeping the region it finds. A region found
    # by the number's type has already been checked the way is_valid_number_for_region
    # checks it (the number has a known type there), so that is not done twice.
    found = phonenumbers.region_code_for_number(number)
    if found is None:
        return None
    if found not in _FOUND_BY_TYPE and not phonenumbers.is_valid_number_for_region(number, found):
        return None
    return f"+1{digits}", None if found in ("001", "ZZ") else str(found)


E164_NANP = re.compile(r"\+1[2-9][0-9]{9}")
"""What ``phone_region`` takes: an E.164 NANP number whose area code can be one."""


def phone_region(e164: str) -> str | None:
    """The region of an E.164 number that ``E164_NANP`` matches."""
    number = phonenumbers.PhoneNumber(country_code=1, national_number=int(e164[2:]))
    region = phonenumbers.region_code_for_number(number)
    return None if not region or region in ("001", "ZZ") else str(region)


def email(text: str) -> tuple[str, str] | None:
    """``(email, key)`` of a plain address (``text`` already trimmed): an ASCII domain, and
    a local part of ASCII or of accented Latin letters too, else None."""
    local, at, domain = text.partition("@")
    if (
        not at
        or len(text) > 254
        or len(local) > 64
        or len(domain) > 253
        or "--" in domain
        or _DOMAIN.fullmatch(domain) is None
    ):
        return None
    if local.isascii():
        if _LOCAL.fullmatch(local) is None or local.lower() in _MAILBOXES:
            return None
    elif _LOCAL_LATIN.fullmatch(local) is None or len(text.encode()) > 254:
        return None
    domain = domain.lower()
    for special in _SPECIAL:
        if domain == special or domain.endswith("." + special):
            return None
    address = f"{local}@{domain}"
    return address, address.lower()
