"""The hardened wire readers: every reader returns a clean value or raises ``InputError``
naming the field, whatever the bytes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart.adapters._wire import (
    MAX_DEPTH,
    MAX_ID,
    MAX_INTEGER,
    MAX_MAJOR_UNITS,
    MAX_NUMBER_DIGITS,
    Wire,
    _deeper_than,
    card_mask,
    mask_pan,
)
from paychart.errors import InputError
from paychart.money import Money

WIRE = Wire("acme", max_body=10_000)

HOSTILE_IDS = ["ord\x00er", "ord\x07er", "ord\x85er", "ord\u200ber", "ord\u202eer",
               "ord\u2066er", "ord\u061cer", "ord\ufeffer", "ord\u00ader", "ord\U000e0041er",
               "ord\ud800er", "ord er", "ord\ter", "ord\u3000er", "x" * (MAX_ID + 1)]
NON_ASCII_DIGITS = ["١٢٣", "１２３", "¹²³", "۱۲۳", "१२३", "𝟏𝟐𝟑", "12³"]


@contextmanager
def refused(field: str) -> Iterator[None]:
    """The block raises ``InputError`` naming exactly ``field``."""
    with pytest.raises(InputError) as caught:
        yield
    assert (caught.value.field, caught.value.provider) == (field, "acme"), caught.value


def depth_of(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max((depth_of(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((depth_of(v) for v in value), default=0)
    return 0


def numbers_as_text(value: object) -> object:
    if isinstance(value, dict):
        return {k: numbers_as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [numbers_as_text(v) for v in value]
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


# -- bodies ---------------------------------------------------------------------------------

def test_json_numbers_stay_text_and_a_leading_bom_is_dropped() -> None:
    body = '\ufeff{"amount": 1999, "rate": 1.25, "ok": true, "id": "é"}'.encode()
    assert WIRE.load_json(body) == {"amount": "1999", "rate": "1.25", "ok": True, "id": "é"}


def test_a_bom_anywhere_else_is_refused() -> None:
    with refused("body"):
        WIRE.load_json('\ufeff\ufeff{"a": 1}'.encode())
    with refused("id"):
        WIRE.text(WIRE.load_json('{"id": "a\ufeffb"}'.encode()), "id")


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_json_nested_too_deep_is_refused_without_recursing(depth: int) -> None:
    for opener in ("[", '{"a":'):
        with refused("body"):
            WIRE.load_json(('{"x":' + opener * depth).encode(), allow_list=True)
    with refused("body"):
        WIRE.load_json(("[" * depth + "]" * depth).encode(), allow_list=True)


def test_json_at_the_depth_limit_is_read() -> None:
    body = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert depth_of(WIRE.load_json(body.encode(), allow_list=True)) == MAX_DEPTH


@pytest.mark.parametrize("text", ['"\\\\"', '"\\""', '"\\\\\\""', '"[{\\\\"', '"\\u005c"'])
def test_brackets_inside_strings_with_escapes_do_not_count(text: str) -> None:
    deep = "[" * MAX_DEPTH + text + "]" * MAX_DEPTH
    assert not _deeper_than(deep, MAX_DEPTH)
    assert _deeper_than("[" * (MAX_DEPTH + 1) + text + "]" * (MAX_DEPTH + 1), MAX_DEPTH)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.text(alphabet='[]{}"\\ab\u00e9'),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.text(alphabet='[]{}"\\ab', max_size=4), inner, max_size=3),
    max_leaves=40)


@given(json_values, st.integers(min_value=0, max_value=12))
def test_depth_scan_agrees_with_the_real_nesting(value: object, limit: int) -> None:
    assert _deeper_than(json.dumps(value), limit) == (depth_of(value) > limit)


@pytest.mark.parametrize(("body", "field"), [
    ('{"id": "\\ud800"}', "id"),
    ('{"id": "ok\\udfffok"}', "id"),
    ('{"items": ["\\uDBFF"]}', "items"),
    ('{"\\ud800": "x"}', "body"),
    ('{"a": {"\\udc00": 1}}', "a"),
])
def test_lone_surrogate_escapes_are_refused(body: str, field: str) -> None:
    with refused(field):
        WIRE.load_json(body.encode())


def test_a_surrogate_pair_escape_is_one_character() -> None:
    assert WIRE.load_json(b'{"e": "\\ud83d\\ude00"}') == {"e": "\U0001f600"}


def test_text_given_as_str_with_a_lone_surrogate_is_refused() -> None:
    with refused("body"):
        WIRE.load_json('{"a": "\ud800"}')


@pytest.mark.parametrize(("body", "field"), [
    ('{"amount": ' + "9" * 5000 + "}", "amount"),
    ('{"amount": 1.' + "5" * 5000 + "}", "amount"),
    ('{"amount": 1e' + "9" * 5000 + "}", "amount"),
    ('{"list": [1, [2, ' + "7" * 5000 + "]]}", "list"),
    ('{"amount": NaN}', "amount"),
    ('{"amount": Infinity}', "amount"),
    ('{"a": {"amount": -Infinity}}', "amount"),
])
def test_huge_numbers_and_non_numbers_are_refused_naming_their_key(body: str,
                                                                    field: str) -> None:
    with refused(field):
        WIRE.load_json(body.encode())


def test_a_huge_number_at_the_top_level_names_the_body() -> None:
    with refused("body"):
        WIRE.load_json(("[" + "1" * 5000 + "]").encode(), allow_list=True)


@pytest.mark.parametrize("body", ['{"id": 1, "id": 2}', '{"a": {"x": 1, "x": 1}}'])
def test_duplicate_json_keys_are_refused(body: str) -> None:
    key = "id" if '"id"' in body else "x"
    with refused(key):
        WIRE.load_json(body.encode())


def test_a_hostile_key_is_shown_escaped_and_bounded() -> None:
    key = "\x00" + "k" * 500
    escaped = json.dumps(key)
    with pytest.raises(InputError) as caught:
        WIRE.load_json(f'{{{escaped}: 1, {escaped}: 2}}'.encode())
    assert caught.value.field.startswith("\\x00kkk") and len(caught.value.field) <= 64
    assert "\x00" not in caught.value.field and key not in str(caught.value)


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"a": "\xc3"}', b'{"a": "\xed\xa0\x80"}'])
def test_non_utf8_bodies_are_refused(body: bytes) -> None:
    with refused("body"):
        WIRE.load_json(body)
    with refused("body"):
        WIRE.load_form(body)


def test_bodies_over_the_size_limit_are_refused() -> None:
    with refused("body"):
        WIRE.load_json(b'{"a": "' + b"x" * 10_000 + b'"}')
    with refused("body"):
        WIRE.load_form(b"a=" + b"x" * 10_000)
    with refused("body"):
        WIRE.decode("text")  # type: ignore[arg-type]


@pytest.mark.parametrize("body", [b"[]", b'"text"', b"1", b"null", b"", b"{", b"{'a': 1}"])
def test_not_a_json_object_is_refused(body: bytes) -> None:
    with refused("body"):
        WIRE.load_json(body)


def test_a_list_is_read_only_when_allowed() -> None:
    assert WIRE.load_json(b'[{"a": 1}]', allow_list=True) == [{"a": "1"}]


def test_form_bodies() -> None:
    assert WIRE.load_form(b"a=1&b=x+y&c=%C3%A9&d=") == {"a": "1", "b": "x y", "c": "é", "d": ""}
    assert WIRE.load_form("\ufeffa=1".encode()) == {"a": "1"}
    with refused("a"):
        WIRE.load_form(b"a=1&b=2&a=1")
    with refused("id"):
        WIRE.load_form(b"id=ab%00cd")
    with refused("id"):
        WIRE.load_form(b"id=ab%E2%80%AEcd")
    with refused("\\x00k"):
        WIRE.load_form(b"%00k=1")
    for bad in (b"a=1&&b=2", b"novalue", b"a=%ED%A0%80", b"&".join([b"a=1"] * 1001)):
        with refused("body"):
            WIRE.load_form(bad)


# -- arbitrary input ------------------------------------------------------------------------

JSONISH = st.lists(st.sampled_from(
    ['{', '}', '[', ']', '"', ':', ',', '\\', '\\u', 'd800', 'DFFF', '\\"', '\\\\', '0', '9' * 60,
     '-', '.', 'e', 'NaN', 'Infinity', 'true', 'null', '"id"', '"amount"', '\ufeff', '\x00',
     ' ', 'é', '\u202e', '=', '&', '%', 'ff', '%00', '+']), max_size=80).map("".join)


@given(st.binary(max_size=400))
def test_arbitrary_bytes_are_read_or_refused(body: bytes) -> None:
    for load in (WIRE.load_json, WIRE.load_form):
        with suppress(InputError):
            load(body)


@given(JSONISH | st.text(max_size=200))
def test_arbitrary_jsonish_text_is_read_or_refused(text: str) -> None:
    for load in (WIRE.load_json, WIRE.load_form):
        for body in (text, text.encode("utf-8", "surrogatepass")):
            with suppress(InputError):
                load(body)


@given(json_values)
def test_valid_json_objects_round_trip_with_numbers_as_text(value: object) -> None:
    body = json.dumps({"v": value}).encode()
    if depth_of({"v": value}) > MAX_DEPTH:
        with refused("body"):
            WIRE.load_json(body)
    else:
        assert WIRE.load_json(body) == {"v": numbers_as_text(value)}


# -- scalars --------------------------------------------------------------------------------

@pytest.mark.parametrize("value", HOSTILE_IDS)
def test_hostile_ids_are_refused(value: str) -> None:
    with refused("order.id"):
        WIRE.identifier({"id": value}, "id", "order.")


def test_ids_and_text() -> None:
    assert WIRE.need_id({"id": "ord_1-a.b"}, "id") == "ord_1-a.b"
    assert WIRE.identifier({"id": 42}, "id") == "42"
    assert WIRE.identifier({}, "id", required=False) is None
    assert WIRE.text({"t": "two\nlines\tok"}, "t") == "two\nlines\tok"
    assert WIRE.text({"t": ""}, "t") is None
    with refused("id"):
        WIRE.need_id({}, "id")
    with refused("t"):
        WIRE.need({"t": ""}, "t")
    with refused("t"):
        WIRE.text({"t": True}, "t")
    with refused("t"):
        WIRE.text({"t": {"x": 1}}, "t")
    with refused("t"):
        WIRE.text({"t": "x" * 11}, "t", max_len=10)


def test_structure() -> None:
    doc = {"o": {"a": 1}, "l": [1], "s": "x"}
    assert WIRE.table(doc, "o") == {"a": 1}
    assert WIRE.table(doc, "missing", required=False) is None
    assert WIRE.items(doc, "l") == [1]
    with refused("p.s"):
        WIRE.table(doc, "s", "p.")
    with refused("s"):
        WIRE.items(doc, "s")


def test_flags() -> None:
    for value, expected in ((True, True), ("1", True), (" Yes ", True), ("false", False),
                            ("0", False), (False, False)):
        assert WIRE.flag({"f": value}, "f") is expected
    assert WIRE.flag({}, "f", default=True) is True
    bad: object
    for bad in ("maybe", 2, [], "١"):
        with refused("f"):
            WIRE.flag({"f": bad}, "f")


def test_integers() -> None:
    assert WIRE.integer({"n": "42"}, "n") == 42
    assert WIRE.integer({"n": str(MAX_INTEGER)}, "n") == MAX_INTEGER
    assert WIRE.integer({"n": "-5"}, "n") == -5
    assert WIRE.integer({}, "n") is None
    for bad in (str(2**63), str(2**64), str(-(2**63) - 1), "9" * 5000, "1.5", "1e3", True,
                [1], "0x10", *NON_ASCII_DIGITS):
        with refused("n"):
            WIRE.integer({"n": bad}, "n")
    with refused("n"):
        WIRE.integer({"n": "3"}, "n", minimum=4)
    with refused("n"):
        WIRE.integer({}, "n", required=True)


def test_timestamps() -> None:
    assert WIRE.timestamp({"t": "2024-05-01T10:00:00Z"}, "t") == datetime(2024, 5, 1, 10,
                                                                          tzinfo=UTC)
    assert WIRE.timestamp({"t": "2024-05-01T10:00:00"}, "t") == datetime(2024, 5, 1, 10,
                                                                        tzinfo=UTC)
    for bad in ("yesterday", "２０２４-05-01", "2024-13-01", "2024-05-01\x00", "9" * 100):
        with refused("t"):
            WIRE.timestamp({"t": bad}, "t")


def test_currencies() -> None:
    assert WIRE.currency({"c": " usd "}, "c") == "USD"
    assert WIRE.currency({}, "c", fallback="EUR") == "EUR"
    for bad in ("XXX", "ＵＳＤ", "US", "usd\u200b", "ZZZ"):
        with refused("c"):
            WIRE.currency({"c": bad}, "c")


# -- money ----------------------------------------------------------------------------------

def test_minor_amounts() -> None:
    assert WIRE.minor_amount("1999", "USD", "amount") == Money(1999, "USD")
    assert WIRE.minor_amount(0, "USD", "amount", positive=False) == Money(0, "USD")
    bound = MAX_MAJOR_UNITS * 100
    assert WIRE.minor_amount(str(bound), "USD", "amount") == Money(bound, "USD")
    for bad in ("0", "-1", str(bound + 1), "9" * 5000, str(2**63), "1.5", "", True, None,
                *NON_ASCII_DIGITS):
        with refused("amount"):
            WIRE.minor_amount(bad, "USD", "amount")
    with refused("amount"):
        WIRE.minor_amount("-1", "USD", "amount", positive=False)
    with refused("amount"):
        WIRE.minor_amount("1", "NOPE", "amount")


def test_decimal_amounts() -> None:
    assert WIRE.decimal_amount("1.99", "USD", "amount") == (Money(199, "USD"), None)
    assert WIRE.decimal_amount("100", "JPY", "amount") == (Money(100, "JPY"), None)
    assert WIRE.decimal_amount("1.230", "KWD", "amount") == (Money(1230, "KWD"), None)
    rounded, warning = WIRE.decimal_amount("1.005", "USD", "amount", round_half_up=True)
    assert rounded == Money(101, "USD") and warning is not None and "rounded" in warning
    for bad in ("1.999", "0", "0.00", "-1.00", "1,00", ".5", "1.", "1e3", "NaN",
                f"{MAX_MAJOR_UNITS}.01", "9" * 5000, *NON_ASCII_DIGITS, "١.٥"):
        with refused("amount"):
            WIRE.decimal_amount(bad, "USD", "amount")
    for currency in ("NOPE", "XXX"):
        with refused("amount"):
            WIRE.decimal_amount("1.00", currency, "amount")


def test_amount_bound_is_per_currency() -> None:
    assert WIRE.decimal_amount(str(MAX_MAJOR_UNITS), "JPY", "a")[0].amount == MAX_MAJOR_UNITS
    with refused("a"):
        WIRE.minor_amount(str(MAX_MAJOR_UNITS + 1), "JPY", "a")
    assert WIRE.minor_amount(str(MAX_MAJOR_UNITS * 1000), "KWD", "a").amount > 2**31


@given(st.text(max_size=MAX_NUMBER_DIGITS + 5) | st.integers() | st.none() | st.booleans())
def test_amount_readers_only_raise_input_error(value: object) -> None:
    for read in (lambda: WIRE.minor_amount(value, "USD", "amount"),
                 lambda: WIRE.decimal_amount(value, "EUR", "amount", round_half_up=True),
                 lambda: WIRE.integer({"n": value}, "n"),
                 lambda: WIRE.timestamp({"n": value}, "n"),
                 lambda: WIRE.currency({"n": value}, "n"),
                 lambda: WIRE.identifier({"n": value}, "n")):
        field = None
        try:
            read()
        except InputError as error:
            field = error.field
        assert field in (None, "amount", "n")


# -- card data ------------------------------------------------------------------------------

def test_mask_pan_never_returns_the_full_number() -> None:
    assert mask_pan("4111 1111 1111 1111") == "411111******1111"
    assert mask_pan(4111111111111111) == "411111******1111"
    assert mask_pan("4111-1111-1111") == "411111**1111"
    assert mask_pan("12345") is None
    assert mask_pan("1" * 20) is None
    assert mask_pan(True) is None


def test_card_mask_keeps_masks_and_masks_full_numbers() -> None:
    assert card_mask("411111******1111") == "411111******1111"
    assert card_mask("****1111") == "****1111"
    assert card_mask("4111111111111111") == "411111******1111"
    assert card_mask("") is None
    assert card_mask(4111111111111111) is None


def test_errors_never_show_a_card_number() -> None:
    with pytest.raises(InputError) as caught:
        WIRE.minor_amount("4111111111111111x", "USD", "amount")
    assert "4111111111111111" not in str(caught.value)
