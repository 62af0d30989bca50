"""Unit tests for roster.contacts.normalize (pure functions, no database)."""

import math

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from roster.contacts.normalize import (
    CUSTOM_FIELD_KEY,
    HANDLE_CHANNELS,
    MAX_CUSTOM_FIELDS_BYTES,
    PHONE_HANDLES,
    check_custom_fields,
    merge_custom_fields,
    normalize_country,
    normalize_email,
    normalize_handle,
    normalize_language,
    normalize_phone,
    normalize_tags,
    normalize_text,
    normalize_url,
    parse_handle_query,
    phone_region,
)

# --- phone -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "region", "expected"),
    [
        ("+1 (415) 555-1234", None, "+14155551234"),
        ("415.555.1234", "US", "+14155551234"),
        ("(415) 555-1234", "us", "+14155551234"),
        ("tel:+1-415-555-1234", None, "+14155551234"),
        ("1-800-FLOWERS", "US", "+18003569377"),
        ("011 44 20 7946 0958", "US", "+442079460958"),
        ("00 44 20 7946 0958", "GB", "+442079460958"),
        ("00 44 20 7946 0958", "DE", "+442079460958"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("07400 123456", "GB", "+447400123456"),
        ("+44 7400 123456", None, "+447400123456"),
        ("+49 1512 3456789", None, "+4915123456789"),
        ("01512 3456789", "DE", "+4915123456789"),
        ("030 123456", "DE", "+4930123456"),
        ("+91 98765 43210", None, "+919876543210"),
        ("098765 43210", "IN", "+919876543210"),
        ("+55 11 91234-5678", None, "+5511912345678"),
        ("(11) 91234-5678", "BR", "+5511912345678"),
        ("  +14155551234  ", None, "+14155551234"),
        ("+44 7400 123456", "US", "+447400123456"),
    ],
)
def test_normalize_phone_accepts_common_formats(
    raw: str, region: str | None, expected: str
) -> None:
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(
    ("raw", "region", "message"),
    [
        ("", "US", "must not be empty"),
        ("   ", None, "must not be empty"),
        ("415 555 1234", None, "not a valid phone number"),
        ("00 44 20 7946 0958", None, "not a valid phone number"),
        ("hello", "US", "not a valid phone number"),
        ("+1 415", None, "not a valid phone number"),
        ("12", "US", "not a valid phone number"),
        ("+1 123 456 7890", None, "not a valid phone number"),
        ("+999 1234 5678", None, "not a valid phone number"),
        ("+1 415 555 1234 ext. 5", None, "phone extensions are not supported"),
        ("+1 415 555 1234" + " " * 60 + "5", None, "must be at most 64 characters"),
    ],
)
def test_normalize_phone_rejects(raw: str, region: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=rf"^{message}$"):
        normalize_phone(raw, region)


def _mobile_examples() -> list[tuple[str, phonenumbers.PhoneNumber]]:
    examples = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
        if number is not None:
            examples.append((region, number))
    return examples


MOBILE_EXAMPLES = _mobile_examples()
FORMATS = (
    phonenumbers.PhoneNumberFormat.NATIONAL,
    phonenumbers.PhoneNumberFormat.INTERNATIONAL,
    phonenumbers.PhoneNumberFormat.E164,
)


@given(st.sampled_from(MOBILE_EXAMPLES), st.sampled_from(FORMATS))
def test_normalize_phone_round_trips_example_mobiles(
    example: tuple[str, phonenumbers.PhoneNumber], style: int
) -> None:
    region, number = example
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    formatted = phonenumbers.format_number(number, style)
    assert normalize_phone(formatted, region) == e164


def test_normalize_phone_round_trips_every_example_mobile() -> None:
    for region, number in MOBILE_EXAMPLES:
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        for style in FORMATS:
            formatted = phonenumbers.format_number(number, style)
            assert normalize_phone(formatted, region) == e164, (region, formatted)


@pytest.mark.parametrize(
    ("e164", "expected"),
    [
        ("+14155551234", "US"),
        ("+14165551234", "CA"),
        ("+447400123456", "GB"),
        ("+5511912345678", "BR"),
        ("+80012345678", None),  # international freephone, region "001"
    ],
)
def test_phone_region(e164: str, expected: str | None) -> None:
    assert phone_region(e164) == expected


@pytest.mark.parametrize("bad", ["", "4155551234", "+", "+abc"])
def test_phone_region_rejects_non_e164(bad: str) -> None:
    with pytest.raises(ValueError, match=r"not an e.164 phone number"):
        phone_region(bad)


# --- email -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Jane.Doe@Example.COM", ("Jane.Doe@example.com", "jane.doe@example.com")),
        ("  bob@example.org \n", ("bob@example.org", "bob@example.org")),
        (
            "user+tag@Sub.Example.co.uk",
            ("user+tag@sub.example.co.uk", "user+tag@sub.example.co.uk"),
        ),
        ("Ann@Bücher.Example", ("Ann@bücher.example", "ann@bücher.example")),
        ("ann@xn--bcher-kva.example", ("ann@bücher.example", "ann@bücher.example")),
    ],
)
def test_normalize_email(raw: str, expected: tuple[str, str]) -> None:
    assert normalize_email(raw) == expected


@pytest.mark.parametrize(
    "bad",
    [
        "plainaddress",
        "a@b",
        "@example.com",
        "jane@",
        "jane doe@example.com",
        "jane..doe@example.com",
        "jane@example..com",
        "jane@@example.com",
        "jane@localhost",
        "x" * 300 + "@example.com",
    ],
)
def test_normalize_email_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match=r"^not a valid email address: [a-z]"):
        normalize_email(bad)


def test_normalize_email_limits() -> None:
    with pytest.raises(ValueError, match=r"must not be empty"):
        normalize_email("  ")
    with pytest.raises(ValueError, match=r"at most 320 characters"):
        normalize_email("x" * 320 + "@example.com")


# --- country and language ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"), [("us", "US"), ("GB", "GB"), (" de ", "DE"), ("Br", "BR")]
)
def test_normalize_country(raw: str, expected: str) -> None:
    assert normalize_country(raw) == expected


@pytest.mark.parametrize("bad", ["", "XX", "USA", "U", "12", "uk"])
def test_normalize_country_rejects(bad: str) -> None:
    with pytest.raises(ValueError, match=r"country code"):
        normalize_country(bad)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("PT_br", "pt-BR"),
        ("zh-hant-tw", "zh-Hant-TW"),
        ("zh_HANS", "zh-Hans"),
        ("es-419", "es-419"),
        ("fil", "fil"),
        ("eng", "en"),
        ("por-BR", "pt-BR"),
        ("sl-rozaj", "sl-rozaj"),
        ("de-CH-1996", "de-CH-1996"),
        ("sr-latn-RS", "sr-Latn-RS"),
    ],
)
def test_normalize_language(raw: str, expected: str) -> None:
    assert normalize_language(raw) == expected


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "must not be empty"),
        ("xx", "unknown language"),
        ("qqq", "unknown language"),
        ("en-XX", "unknown region"),
        ("english", "not a valid language tag"),
        ("e", "not a valid language tag"),
        ("en-", "not a valid language tag"),
        ("en--US", "not a valid language tag"),
        ("en-US-x-private", "not a valid language tag"),
        ("de-1996-1996", "repeated variant"),
        ("de-" + "-".join(["abcde"] * 6), "at most 35 characters"),
    ],
)
def test_normalize_language_rejects(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_language(bad)


# --- text and tags -------------------------------------------------------------------------


def test_normalize_text() -> None:
    assert normalize_text(None) is None
    assert normalize_text("") is None
    assert normalize_text("  \t ") is None
    assert normalize_text("  Jane  ") == "Jane"
    assert normalize_text("a" * 255) == "a" * 255
    assert normalize_text("  " + "a" * 255 + "  ") == "a" * 255
    assert normalize_text("a" * 10, max_length=10) == "a" * 10


def test_normalize_text_rejects() -> None:
    with pytest.raises(ValueError, match=r"^must be at most 255 characters$"):
        normalize_text("a" * 256)
    with pytest.raises(ValueError, match=r"^must be at most 10 characters$"):
        normalize_text("a" * 11, max_length=10)
    for bad in ("a\x00b", "line\nbreak", "tab\there", "bell\x07", "del\x7f", "c1\x85x"):
        with pytest.raises(ValueError, match=r"control characters"):
            normalize_text(bad)


def test_normalize_tags() -> None:
    assert normalize_tags([]) == []
    assert normalize_tags([" vip ", "b", "vip", "a", "VIP"]) == ["VIP", "a", "b", "vip"]
    assert normalize_tags(["x" * 64]) == ["x" * 64]
    hundred = [f"t{i:03}" for i in range(100)]
    assert normalize_tags(list(reversed(hundred)) + hundred) == hundred


def test_normalize_tags_rejects() -> None:
    with pytest.raises(ValueError, match=r"^at most 100 tags$"):
        normalize_tags([f"t{i}" for i in range(101)])
    with pytest.raises(ValueError, match=r"^tag 1: must be at most 64 characters$"):
        normalize_tags(["ok", "x" * 65])
    with pytest.raises(ValueError, match=r"^tag 2: must not be empty$"):
        normalize_tags(["a", "b", "   "])
    with pytest.raises(ValueError, match=r"^tag 0: must not contain control characters$"):
        normalize_tags(["a\nb"])


# --- custom fields -------------------------------------------------------------------------


def test_check_custom_fields_accepts() -> None:
    check_custom_fields({})
    check_custom_fields({f"k{i}": i for i in range(100)})
    check_custom_fields(
        {
            "s": "x",
            "i": 1,
            "f": 1.5,
            "b": True,
            "n": None,
            "l": [1, "a", None],
            "d": {"nested": {"ok": [1.0]}},
            "_x": 0,
            "a.b-c_d": 0,
            "K" * 64: 0,
        }
    )
    check_custom_fields({"big": "x" * (MAX_CUSTOM_FIELDS_BYTES - 20)})


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({f"k{i}": i for i in range(101)}, "at most 100 custom fields"),
        ({"big": "x" * 17 * 1024}, "at most 16384 bytes"),
        ({"x y": 1}, "^invalid key 'x y': "),
        ({"": 1}, "^invalid key '': "),
        ({".hidden": 1}, "^invalid key '.hidden': "),
        ({"-dash": 1}, "^invalid key '-dash': "),
        ({"k" * 65: 1}, "^invalid key "),
        ({"trailing\n": 1}, "^invalid key "),
        ({"ключ": 1}, "^invalid key "),
        ({"v": {1, 2}}, "json values"),
        ({"v": object()}, "json values"),
        ({"v": 2**70}, "json values"),
        ({"v": math.nan}, "nan or infinite"),
        ({"v": [{"deep": math.inf}]}, "nan or infinite"),
    ],
)
def test_check_custom_fields_rejects(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_custom_fields(fields)


def test_custom_field_key_pattern() -> None:
    assert CUSTOM_FIELD_KEY.fullmatch("crm_id")
    assert not CUSTOM_FIELD_KEY.fullmatch("crm id")


def test_merge_custom_fields() -> None:
    current: dict[str, object] = {"a": 1, "b": {"x": 1}, "c": "keep"}
    patch: dict[str, object] = {"a": None, "b": {"y": 2}, "d": [1], "missing": None}
    merged = merge_custom_fields(current, patch)
    assert merged == {"b": {"y": 2}, "c": "keep", "d": [1]}
    assert current == {"a": 1, "b": {"x": 1}, "c": "keep"}
    assert patch == {"a": None, "b": {"y": 2}, "d": [1], "missing": None}
    assert merged is not current
    assert merge_custom_fields({}, {}) == {}


# --- handles, urls, handle queries ---------------------------------------------------------


def test_channels() -> None:
    assert set(HANDLE_CHANNELS) == {
        "whatsapp",
        "viber",
        "rcs",
        "telegram",
        "messenger",
        "instagram",
    }
    assert {"whatsapp", "viber", "rcs"} == PHONE_HANDLES


@pytest.mark.parametrize(
    ("channel", "raw", "region", "expected"),
    [
        ("whatsapp", "+1 (415) 555-1234", None, "+14155551234"),
        ("viber", "07400 123456", "GB", "+447400123456"),
        ("rcs", "tel:+44-7400-123456", None, "+447400123456"),
        ("telegram", " @Jane_Doe ", None, "jane_doe"),
        ("telegram", "@@jane", None, "@jane"),
        ("instagram", "Jane.Doe", "US", "jane.doe"),
        ("messenger", " Jane.Doe.123 ", None, "Jane.Doe.123"),
        ("messenger", "Jane Doe", None, "Jane Doe"),
    ],
)
def test_normalize_handle(channel: str, raw: str, region: str | None, expected: str) -> None:
    assert normalize_handle(channel, raw, region) == expected


@pytest.mark.parametrize(
    ("channel", "raw", "message"),
    [
        ("skype", "jane", "unknown channel 'skype'"),
        ("WhatsApp", "+14155551234", "unknown channel"),
        ("whatsapp", "jane", "not a valid phone number"),
        ("whatsapp", "415 555 1234", "not a valid phone number"),
        ("telegram", "@", "must not be empty"),
        ("telegram", "   ", "must not be empty"),
        ("instagram", "jane doe", "must not contain whitespace"),
        ("messenger", "", "must not be empty"),
        ("messenger", "a" * 256, "at most 255 characters"),
        ("telegram", "a" * 256, "at most 255 characters"),
        ("messenger", "a\x00b", "control characters"),
    ],
)
def test_normalize_handle_rejects(channel: str, raw: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_handle(channel, raw, None)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://cdn.example.com/a.png", "https://cdn.example.com/a.png"),
        ("  http://example.com  ", "http://example.com"),
        ("HTTPS://Example.com:8443/x?y=1#z", "HTTPS://Example.com:8443/x?y=1#z"),
        ("http://[2001:db8::1]/a.png", "http://[2001:db8::1]/a.png"),
        ("https://example.com/" + "a" * 2000, "https://example.com/" + "a" * 2000),
    ],
)
def test_normalize_url(raw: str, expected: str) -> None:
    assert normalize_url(raw) == expected


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("", "must not be empty"),
        ("ftp://example.com/a.png", "http or https"),
        ("javascript:alert(1)", "http or https"),
        ("example.com/a.png", "http or https"),
        ("https://", "must have a host"),
        ("https:///path", "must have a host"),
        ("http://[::1/a.png", "not a valid url"),
        ("http://example.com:port/", "not a valid url"),
        ("http://exa mple.com/", "whitespace"),
        ("https://example.com/" + "a" * 2048, "at most 2048 characters"),
    ],
)
def test_normalize_url_rejects(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        normalize_url(bad)


def test_parse_handle_query() -> None:
    assert parse_handle_query("whatsapp:+14155551234") == ("whatsapp", "+14155551234")
    assert parse_handle_query("telegram:@jane") == ("telegram", "@jane")
    assert parse_handle_query("messenger:a:b") == ("messenger", "a:b")
    assert parse_handle_query(" WhatsApp : +1 415 555 1234 ") == ("whatsapp", "+1 415 555 1234")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("+14155551234", "channel:value"),
        ("skype:jane", "unknown channel"),
        (":jane", "unknown channel"),
        ("telegram:", "missing handle value"),
    ],
)
def test_parse_handle_query_rejects(bad: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_handle_query(bad)
