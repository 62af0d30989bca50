# ruff: noqa: RUF001
"""Generators and checks for test_fastpath_differential (a module of its own so that worker
processes can import it).

The references are the libraries called as normalize.py called them before it had fast
paths; the candidates are normalize.py's functions as they are now. Every input must give
the same answer (the same value, or a ValueError with the same message) both ways.
"""

from __future__ import annotations

import functools
import random
import string
from collections.abc import Callable, Iterator
from typing import Any

import email_validator
import phonenumbers
from email_validator import SPECIAL_USE_DOMAIN_NAMES
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from roster.contacts import normalize
from roster.kit import fastpath

# --- references -----------------------------------------------------------------------


def reference_phone(raw: str, region: str | None) -> tuple[str, str | None]:
    """normalize_phone then phone_region, through phonenumbers only."""
    text = raw.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > normalize.MAX_PHONE_INPUT:
        raise ValueError(f"must be at most {normalize.MAX_PHONE_INPUT} characters")
    try:
        number = phonenumbers.parse(text, region.upper() if region else None)
    except phonenumbers.NumberParseException:
        raise ValueError("not a valid phone number") from None
    if number.extension:
        raise ValueError("phone extensions are not supported")
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, reference_region(e164)


def reference_region(e164: str) -> str | None:
    number = phonenumbers.parse(e164, None)
    region = phonenumbers.region_code_for_number(number)
    return None if not region or region in ("001", "ZZ") else str(region)


def candidate_phone(raw: str, region: str | None) -> tuple[str, str | None]:
    e164 = normalize.normalize_phone(raw, region)
    return e164, normalize.phone_region(e164)


def reference_email(raw: str) -> tuple[str, str]:
    text = raw.strip()
    if not text:
        raise ValueError("must not be empty")
    if len(text) > normalize.MAX_EMAIL:
        raise ValueError(f"must be at most {normalize.MAX_EMAIL} characters")
    try:
        result = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError as error:
        reason = str(error)
        reason = reason[:1].lower() + reason[1:]
        raise ValueError(f"not a valid email address: {reason}") from None
    email = f"{result.local_part}@{result.domain.lower()}"
    return email, email.lower()


def _outcome(function: Callable[..., Any], *args: Any) -> tuple[str, Any]:
    try:
        return "ok", function(*args)
    except ValueError as exc:
        return "error", str(exc)


# --- phone inputs ---------------------------------------------------------------------

REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
NANP = sorted(phonenumbers.region_codes_for_country_code(1))
SEPARATORS = ["", " ", "-", ".", "  ", "--", " - ", "/", "\u00a0", "\u2011", "\u3000", "_", "–"]
UNICODE_DIGITS = [
    "０１２３４５６７８９",  # fullwidth
    "٠١٢٣٤٥٦٧٨٩",  # Arabic-Indic
    "۰۱۲۳۴۵۶۷۸۹",  # Extended Arabic-Indic
    "०१२३४५६७८९",  # Devanagari
]
SUFFIXES = [" x12", " ext. 5", " ext 123", "#7", ";ext=9", " #", ",", ".", ")", " (home)", "x"]
PREFIXES = ["+", "＋", "tel:", "Tel: ", "(", "00", "011 ", "1 ", "1-", "+ 1 ", "+11", "++1 "]


def _digits(rnd: random.Random, n: int) -> str:
    return "".join(rnd.choice(string.digits) for _ in range(n))


def _nanp_parts(rnd: random.Random) -> tuple[str, str, str]:
    """Area code and exchange over their whole range, weighted to the plausible ones."""
    if rnd.random() < 0.7:
        area = str(rnd.randint(200, 999))
        exchange = str(rnd.randint(200, 999))
    else:
        area, exchange = _digits(rnd, 3), _digits(rnd, 3)
    return area, exchange, _digits(rnd, 4)


def _nanp_shape(rnd: random.Random, area: str, exchange: str, line: str) -> str:
    shape = rnd.randrange(12)
    if shape == 0:
        return f"({area}) {exchange}-{line}"
    if shape == 1:
        return f"{area}.{exchange}.{line}"
    if shape == 2:
        return f"+1 {area} {exchange} {line}"
    if shape == 3:
        return f"+1{area}{exchange}{line}"
    if shape == 4:
        return f"{area}{exchange}{line}"
    if shape == 5:
        return f"{area}-{exchange}-{line}"
    if shape == 6:
        return f"+1 ({area}) {exchange}-{line}"
    if shape == 7:
        return f"+1-{area}-{exchange}-{line}"
    if shape == 8:
        return f"({area}){exchange}-{line}"
    if shape == 9:
        return f"+1.{area}.{exchange}.{line}"
    # Any separators, including ones the fast path does not take.
    a, b, c = (rnd.choice(SEPARATORS) for _ in range(3))
    lead = rnd.choice(["", "+1", "1", "+", "+01", "001"])
    if rnd.random() < 0.3:
        area = f"({area})" if rnd.random() < 0.6 else rnd.choice([f"({area}", f"{area})"])
    return f"{lead}{a}{area}{b}{exchange}{c}{line}"


def _mutate(rnd: random.Random, text: str) -> str:
    """One small change of the kind that trips parsers."""
    kind = rnd.randrange(12)
    if not text:
        return text
    i = rnd.randrange(len(text) + 1)
    if kind == 0:  # drop a character
        return text[: max(0, i - 1)] + text[i:]
    if kind == 1:  # insert a digit
        return text[:i] + rnd.choice(string.digits) + text[i:]
    if kind == 2:  # insert a letter (vanity numbers, extensions)
        return text[:i] + rnd.choice("abcdefxXtT") + text[i:]
    if kind == 3:  # a unicode digit in place of an ASCII one
        table = rnd.choice(UNICODE_DIGITS)
        return "".join(table[int(ch)] if ch.isdigit() and rnd.random() < 0.3 else ch for ch in text)
    if kind == 4:
        return text + rnd.choice(SUFFIXES)
    if kind == 5:
        return rnd.choice(PREFIXES) + text
    if kind == 6:  # odd punctuation inside
        return text[:i] + rnd.choice("()[]-./ ~*#,;:'\"!\\") + text[i:]
    if kind == 7:  # whitespace around
        return rnd.choice([" ", "\t", "\n", "\u00a0", "\u2003"]) + text + rnd.choice([" ", "\r\n"])
    if kind == 8:  # stretch to the length limit
        pad = max(0, rnd.randint(62, 66) - len(text))
        return text[:i] + rnd.choice([" ", "-", "0"]) * pad + text[i:]
    if kind == 9:
        return text.replace(" ", rnd.choice(SEPARATORS))
    if kind == 10:  # a zero-width or control character
        return text[:i] + rnd.choice(["\u200b", "\u200e", "\x00", "\x7f", "\ufeff"]) + text[i:]
    return text[::-1]


@functools.cache
def _examples() -> list[str]:
    """Every region's example numbers of every type, in every format."""
    kinds = [
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
        phonenumbers.PhoneNumberType.PREMIUM_RATE,
        phonenumbers.PhoneNumberType.VOIP,
    ]
    formats = [
        phonenumbers.PhoneNumberFormat.E164,
        phonenumbers.PhoneNumberFormat.INTERNATIONAL,
        phonenumbers.PhoneNumberFormat.NATIONAL,
        phonenumbers.PhoneNumberFormat.RFC3966,
    ]
    found = []
    for region in REGIONS:
        for kind in kinds:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None:
                found += [phonenumbers.format_number(number, f) for f in formats]
    return found


def _example(rnd: random.Random) -> str:
    """An example number as formatted for its region, often with its last digits changed
    (another number of the same shape)."""
    text = rnd.choice(_examples())
    if rnd.random() < 0.5:
        chars = list(text)
        positions = [i for i, ch in enumerate(chars) if ch.isdigit()]
        for i in positions[-rnd.randint(1, max(1, len(positions) - 2)) :]:
            chars[i] = rnd.choice(string.digits)
        text = "".join(chars)
    return text


def phone_inputs(seed: int, count: int) -> Iterator[tuple[str, str | None]]:
    rnd = random.Random(seed)
    for _ in range(count):
        pick = rnd.random()
        if pick < 0.55:
            text = _nanp_shape(rnd, *_nanp_parts(rnd))
        elif pick < 0.75:
            text = _example(rnd)
        elif pick < 0.85:  # lengths at the edges
            text = rnd.choice(["", "+", "+1"]) + _digits(
                rnd, rnd.choice([0, 1, 2, 8, 9, 11, 12, 17])
            )
        else:
            text = _nanp_shape(rnd, *_nanp_parts(rnd))
        while rnd.random() < 0.35:
            text = _mutate(rnd, text)
        roll = rnd.random()
        if roll < 0.45:
            region: str | None = "US"
        elif roll < 0.65:
            region = rnd.choice(NANP)
        elif roll < 0.9:
            region = rnd.choice(REGIONS)
        elif roll < 0.95:
            region = None
        else:
            region = rnd.choice(["ZZ", "001", "XX", "us", "Ca", "UK", "EU"])
        yield text, region


# --- email inputs ---------------------------------------------------------------------

ATEXT = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~"
LOCAL_CHARS = string.ascii_letters + string.digits + "._+-"
TLDS = ["com", "org", "net", "io", "de", "co", "uk", "museum", "x", "c0m", "123", "technology"]
SPECIAL = [*SPECIAL_USE_DOMAIN_NAMES, "example", "example.com", "localhost"]
UNICODE_BITS = [
    "é",
    "ſ",
    "Ā",
    "ÿ",
    "À",
    "×",
    "÷",
    "¿",
    "ª",
    "µ",
    "ƀ",
    "ü",
    "ß",
    "ı",
    "İ",
    "ﬁ",
    "Ⅸ",
    "ａ",
    "＠",
    "．",
    "例",
    "пример",
    "\u200b",
    "\u0301",
    "😀",
]


def _label(rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.7:
        return "".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(1, 12)))
    if roll < 0.8:
        n = rnd.choice([1, 2, 62, 63, 64, 65])
        return "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(n))
    if roll < 0.9:  # hyphens, in every position
        core = "".join(rnd.choice(string.ascii_lowercase + "-") for _ in range(rnd.randint(1, 10)))
        return rnd.choice(
            [core, "-" + core, core + "-", "ab--" + core, "xn--" + core, "xn--bcher-kva"]
        )
    return "".join(
        rnd.choice(string.ascii_letters + string.digits) for _ in range(rnd.randint(1, 8))
    )


def _local(rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.5:
        first = rnd.choice(
            [
                *("ada", "Alan", "grace", "LINUS", "o'neil", "jose", "wei"),
                # Accented Latin letters, at and beyond the ends of the fast path's ranges.
                *("josé", "Zoë", "MÜLLER", "łukasz", "İlker", "çelik", "ĳssel", "ŉa", "ſam"),
                *("Ñandú", "ÿ", "Ø", "À", "ö÷", "×x", "ƀa", "µ", "ªb", "e\u0301", "Å\u0308"),
            ]
        )
        return rnd.choice(
            [first, f"{first}.{rnd.choice(['x', 'Lee', 'smith'])}{rnd.randint(0, 999)}"]
        )
    if roll < 0.7:
        return "".join(rnd.choice(LOCAL_CHARS) for _ in range(rnd.randint(1, 20)))
    if roll < 0.8:
        return "".join(rnd.choice(ATEXT + ".") for _ in range(rnd.randint(1, 20)))
    if roll < 0.87:
        n = rnd.choice([63, 64, 65, 70])
        return "".join(rnd.choice(string.ascii_lowercase) for _ in range(n))
    if roll < 0.93:
        return (
            rnd.choice(CASE_INSENSITIVE_MAILBOX_NAMES).upper()
            if rnd.random() < 0.5
            else (rnd.choice(CASE_INSENSITIVE_MAILBOX_NAMES).title())
        )
    return rnd.choice(['"quoted"', '"a b"', "a..b", ".a", "a.", "", "a@b", "a b"])


def _domain(rnd: random.Random) -> str:
    roll = rnd.random()
    if roll < 0.08:
        return rnd.choice(SPECIAL) if rnd.random() < 0.5 else f"{_label(rnd)}.{rnd.choice(SPECIAL)}"
    if roll < 0.12:
        return rnd.choice(["[127.0.0.1]", "[IPv6:::1]", "localhost", "com", "a", ""])
    if roll < 0.16:  # long domains, around the 253 limit
        labels = []
        while len(".".join(labels)) < rnd.choice([240, 250, 253, 254, 260]):
            labels.append(
                "".join(rnd.choice(string.ascii_lowercase) for _ in range(rnd.randint(1, 63)))
            )
        return (
            ".".join(labels)[: rnd.choice([249, 250, 251, 252, 253, 254, 255])].strip(".") + ".com"
        )
    labels = [_label(rnd) for _ in range(rnd.choice([1, 1, 1, 2, 3]))]
    tld = rnd.choice(TLDS) if rnd.random() < 0.9 else _label(rnd)
    domain = ".".join([*labels, tld])
    if rnd.random() < 0.3:
        domain = domain.upper() if rnd.random() < 0.5 else domain.title()
    return domain


def _mutate_email(rnd: random.Random, text: str) -> str:
    kind = rnd.randrange(10)
    i = rnd.randrange(len(text) + 1)
    if kind == 0:
        return text[:i] + rnd.choice(UNICODE_BITS) + text[i:]
    if kind == 1:
        return text[:i] + rnd.choice(' .@-_"()<>,;:\\[]\t\x00\x7f') + text[i:]
    if kind == 2:
        return text[: max(0, i - 1)] + text[i:]
    if kind == 3:
        name = rnd.choice(["Ada", '"Ada L"', ""])
        return f"{name} <{text}>"
    if kind == 4:
        return text + rnd.choice([".", "..", " ", "\n", "-"])
    if kind == 5:
        return rnd.choice([" ", "\u00a0", "\u3000", "\t"]) + text
    if kind == 6:
        return text.replace(".", rnd.choice(["..", "．", "。"]), 1)
    if kind == 7:
        return text + "a" * rnd.randint(0, 80)
    if kind == 8:
        return text.replace("@", rnd.choice(["@@", "＠", " @ ", "@."]), 1)
    return text.swapcase()


def email_inputs(seed: int, count: int) -> Iterator[str]:
    rnd = random.Random(seed)
    for _ in range(count):
        text = f"{_local(rnd)}@{_domain(rnd)}"
        while rnd.random() < 0.3:
            text = _mutate_email(rnd, text)
        yield text


# --- the checks -----------------------------------------------------------------------


def check_phones(seed: int, count: int) -> tuple[int, int, list[str]]:
    """(inputs, inputs the fast path took, mismatches) for ``count`` generated phones.

    Every input the fast path takes is checked against phonenumbers (value and region);
    an input it leaves goes to phonenumbers by construction, which a sample checks end to
    end (so the wiring in normalize.py is checked too).
    """
    fast = 0
    mismatches: list[str] = []
    sample = random.Random(seed + 1)
    for text, region in phone_inputs(seed, count):
        stripped = text.strip()
        taken = fastpath.phone(stripped, region.upper() if region else None)
        # The region fast path, on E.164 numbers valid or not.
        if fastpath.E164_NANP.fullmatch(stripped) and fastpath.phone_region(
            stripped
        ) != reference_region(stripped):
            mismatches.append(f"phone_region({stripped!r})")
        wiring = sample.random() < 0.02
        if taken is None and not wiring:
            continue
        fast += taken is not None
        expected = _outcome(reference_phone, text, region)
        got = _outcome(candidate_phone, text, region) if wiring else expected
        if (taken is not None and ("ok", taken) != expected) or expected != got:
            mismatches.append(f"{text!r} {region!r}: expected {expected}, got {got}")
        if len(mismatches) >= 20:
            break
    return count, fast, mismatches


def check_emails(seed: int, count: int) -> tuple[int, int, list[str]]:
    """As check_phones, for email addresses."""
    fast = 0
    mismatches: list[str] = []
    sample = random.Random(seed + 1)
    for text in email_inputs(seed, count):
        taken = fastpath.email(text.strip())
        wiring = sample.random() < 0.02
        if taken is None and not wiring:
            continue
        fast += taken is not None
        expected = _outcome(reference_email, text)
        got = _outcome(normalize.normalize_email, text) if wiring else expected
        if (taken is not None and ("ok", taken) != expected) or expected != got:
            mismatches.append(f"{text!r}: expected {expected}, got {got}")
        if len(mismatches) >= 20:
            break
    return count, fast, mismatches


def check(job: tuple[str, int, int]) -> tuple[str, int, int, list[str]]:
    kind, seed, count = job
    checker = check_phones if kind == "phone" else check_emails
    return (kind, *checker(seed, count))
