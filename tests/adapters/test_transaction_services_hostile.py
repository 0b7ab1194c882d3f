"""transaction_services against hostile bytes: every one is an ``invalid`` decision naming
the field, never an exception, never a parser defect and never an applied event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import AdapterContext, Channel, ChartSet, Orchestrator, Outcome, RawInput
from paychart.adapters.transaction_services import ADAPTER, PROVIDER, signature

FIXTURES = Path(__file__).parent / "fixtures" / "transaction_services"
REAL = FIXTURES / "real"
SECRETS = {"secure_key": "ts-test-secure-key"}
HEADERS = {"Content-Type": "application/json"}
CALLBACK = (FIXTURES / "callback_payment_capturesuccess.json").read_bytes()
BODIES = sorted([*FIXTURES.glob("callback_*.json"), *REAL.iterdir()])


def notification(**fields: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(CALLBACK)
    doc.update(fields)
    return {k: v for k, v in doc.items() if v is not None}


def signed(doc: dict[str, Any]) -> bytes:
    """Signed with the test secret, so only the hostile field can make it invalid."""
    body, _ = signature.sign(json.dumps(doc).encode(), HEADERS, SECRETS)
    return body


def parse(body: bytes, channel: Channel = Channel.CALLBACK, *,
          secrets: dict[str, str] | None = None) -> Any:
    return ADAPTER.parse(RawInput(PROVIDER, channel, body, HEADERS),
                         AdapterContext(secrets=SECRETS if secrets is None else secrets))


def assert_invalid(result: Any, field: str, fragment: str = "") -> None:
    assert result.defect is None
    assert result.events == ()
    assert result.error is not None
    assert result.error.field == field, result.error
    assert fragment in result.error.reason
    assert result.error.provider == PROVIDER


def test_the_untouched_fixture_is_valid() -> None:
    (event,) = parse(signed(notification())).events
    assert event.money is not None
    assert event.money.amount == 1234


# -- bodies -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("body", "fragment"), [
    (b"[" * 5000 + b"]" * 5000, "nested deeper"),
    (b'{"a":' * 40 + b"1" + b"}" * 40, "nested deeper"),
    (b"\xff\xfe{}", "UTF-8"),
    (b'{"paymentId": "\xc3"}', "UTF-8"),
    (b"paymentId=1&status=capturesuccess&amount=1.00&currency=EUR", "not JSON"),
    (b"", "not JSON"),
    (b"1" * 5000, ""),
])
def test_unreadable_bodies_are_invalid(body: bytes, fragment: str) -> None:
    assert_invalid(parse(body), "body", fragment)


def test_a_number_that_is_not_finite_is_invalid_naming_its_key() -> None:
    assert_invalid(parse(b'{"amount": NaN}'), "amount", "NaN")


def test_a_key_given_twice_is_invalid_naming_it() -> None:
    assert_invalid(parse(b'{"paymentId": "1", "paymentId": "2"}'), "paymentId", "more than once")


def test_a_lone_surrogate_is_invalid_naming_its_field() -> None:
    body = signed(notification()).replace(b'"order-70100"', b'"order-\\ud800"')
    result = parse(body)
    assert result.error is not None
    assert result.error.field == "merchantTransactionId"
    assert "surrogate" in result.error.reason


def test_a_5000_digit_number_is_invalid() -> None:
    body = signed(notification()).replace(b'"12.34"', b"1" * 5000)
    assert_invalid(parse(body), "amount", "5000 characters")


def test_an_oversize_body_is_invalid() -> None:
    body = json.dumps(notification(remark="x" * (1 << 20))).encode()
    assert_invalid(parse(body), "body", "limit")


# -- amounts ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "currency", "fragment"), [
    (str(2**63), "EUR", "bound"),
    (str(2**63 + 1) + ".00", "EUR", "bound"),
    ("1000000000000.01", "EUR", "bound"),
    ("1000000000001", "JPY", "bound"),
    ("9" * 39, "KWD", "bound"),
    ("-12.34", "EUR", "positive"),
    ("0.00", "EUR", "positive"),
    ("0", "JPY", "positive"),
    ("١٢٣", "EUR", "not a decimal"),
    ("１２３.００", "EUR", "not a decimal"),
    ("12.345", "EUR", "rounded"),
    ("1e3", "EUR", "not a decimal"),
    (" ", "EUR", "not a decimal"),
    ({"value": "1.00"}, "EUR", "got an object"),
    (True, "EUR", "got a boolean"),
])
def test_hostile_amounts_are_invalid_naming_the_amount(amount: Any, currency: str,
                                                       fragment: str) -> None:
    result = parse(json.dumps(notification(amount=amount, currency=currency)).encode())
    assert_invalid(result, "amount", fragment)


@pytest.mark.parametrize(("currency", "fragment"), [
    ("EU", "'EU'"), ("XYZ", "'XYZ'"), ("EUR\u202e", "bidirectional"), ("€", "'€'"),
])
def test_hostile_currencies_are_invalid_naming_the_currency(currency: str,
                                                            fragment: str) -> None:
    result = parse(json.dumps(notification(currency=currency)).encode())
    assert_invalid(result, "currency", fragment)


def test_an_amount_as_a_json_number_stays_exact() -> None:
    body = signed(notification()).replace(b'"12.34"', b"12.34")
    (event,) = parse(body).events
    assert event.money is not None
    assert event.money.amount == 1234


# -- ids and text -----------------------------------------------------------------------------

HOSTILE_TEXT = ["70\x00100", "70\x07100", "70100\u202e", "70\u2066100", "70\u200b100",
                "\ufeff70100"]


@pytest.mark.parametrize("value", HOSTILE_TEXT)
@pytest.mark.parametrize("field", ["paymentId", "merchantTransactionId", "status",
                                   "transactionStatus", "checksum", "timestamp"])
def test_control_and_bidi_characters_are_invalid_naming_the_field(field: str,
                                                                  value: str) -> None:
    result = parse(json.dumps(notification(**{field: value})).encode())
    assert_invalid(result, field, "character")


@pytest.mark.parametrize("value", ["70 100", "7" * 300, "\u0661\u0662\u0663 4"])
def test_ids_with_whitespace_or_beyond_their_bound_are_invalid(value: str) -> None:
    assert_invalid(parse(json.dumps(notification(paymentId=value)).encode()), "paymentId")


@pytest.mark.parametrize(("field", "value"), [
    ("paymentId", {"id": "1"}), ("paymentId", ["1"]), ("status", True),
    ("merchantTransactionId", {"a": 1}), ("transactionStatus", ["Y"]),
])
def test_fields_of_the_wrong_json_type_are_invalid(field: str, value: Any) -> None:
    assert_invalid(parse(json.dumps(notification(**{field: value})).encode()), field)


@pytest.mark.parametrize(("doc", "field"), [
    (notification(result={"code": "0000\u202e1"}), "result.code"),
    (notification(result="00001"), "result"),
    (notification(card={"bin": "4444\x0033"}), "card.bin"),
    (notification(card="4444333322221111"), "card"),
    (notification(redirect={"url": "https://acs.example/\x00"}), "redirect.url"),
    (notification(redirect={"url": "https://a.example", "parameters": "PaReq"}),
     "redirect.parameters"),
    (notification(redirect={"url": "https://a.example", "parameters": [1]}),
     "redirect.parameters"),
    (notification(recurringType="INITIAL\u202e"), "recurringType"),
])
def test_hostile_nested_fields_are_invalid_naming_them(doc: dict[str, Any], field: str) -> None:
    assert_invalid(parse(json.dumps(doc).encode(), Channel.RESPONSE, secrets={}), field)


@pytest.mark.parametrize("timestamp", ["٢٠٢٦-01-10 10:00:00", "2026-13-40 10:00:00",
                                       "tomorrow"])
def test_a_timestamp_that_is_no_platform_time_is_a_warning_not_an_order(
        timestamp: str) -> None:
    (event,) = parse(signed(notification(timestamp=timestamp))).events
    assert event.sequence is None
    assert any("order unknown" in w for w in event.warnings)


def test_a_card_field_holding_a_full_number_keeps_only_the_mask() -> None:
    doc = notification(card={"bin": "4444333322221111", "lastFourDigits": "4444333322221111"})
    (event,) = parse(json.dumps(doc).encode(), secrets={}).events
    kept = dict(event.remember)
    assert (kept["card_bin"], kept["card_last4"]) == ("444433", "1111")
    assert "4444333322221111" not in repr(event)


def test_non_ascii_card_digits_are_not_kept() -> None:
    doc = notification(card={"bin": "٤٤٤٤٣٣", "lastFourDigits": "１１１１"})
    (event,) = parse(json.dumps(doc).encode(), secrets={}).events
    assert "card_bin" not in dict(event.remember)
    assert "card_last4" not in dict(event.remember)


# -- never an applied event -------------------------------------------------------------------

@pytest.mark.parametrize("body", [
    b'{"paymentId": "1", "paymentId": "70100", "status": "capturesuccess"}',
    json.dumps(notification(amount="-12.34")).encode(),
    json.dumps(notification(paymentId="70\u202e100")).encode(),
    b"paymentId=70100&status=capturesuccess",
])
def test_hostile_input_is_journaled_invalid_and_changes_no_object(body: bytes) -> None:
    engine = Orchestrator(ChartSet.bundled())
    (decision,) = engine.ingest(RawInput(PROVIDER, Channel.CALLBACK, body, HEADERS), ADAPTER,
                                AdapterContext(secrets=SECRETS))
    assert decision.outcome is Outcome.INVALID
    assert decision.field
    assert engine.record(PROVIDER, "payment", "70100") is None
    assert len(list(engine.store.journal())) == 1


# -- fuzz: mutated fixture and real bodies ----------------------------------------------------

_HOSTILE_VALUES = st.one_of(
    st.text(max_size=12), st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["١٢٣", "１２３", "\x00", "\u202e", "\ud800", "1" * 60, str(2**63),
                     "-1.00", "0", "1e9", "NaN", "100.005"]),
    st.none(), st.booleans(), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2))


def _mutations(doc: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    keys = [*sorted(doc), "status", "amount", "currency", "paymentType", "result", "redirect"]
    return st.dictionaries(st.sampled_from(keys), _HOSTILE_VALUES, max_size=4).map(
        lambda changes: {**doc, **changes})


def _raw_mutation(body: bytes) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.builds(lambda cut: body[:cut], st.integers(0, len(body))),
        st.builds(lambda at, junk: body[:at] + junk + body[at:], st.integers(0, len(body)),
                  st.sampled_from([b"\xff", b"\x00", b"{", b'"', b"\\ud800", b"[" * 40,
                                   b'"paymentId": "x", ', b"\xe2\x80\xae"])))


_BODY = st.sampled_from(BODIES).flatmap(lambda path: st.one_of(
    _mutations(json.loads(path.read_bytes())).map(lambda d: json.dumps(d).encode()),
    _mutations(json.loads(path.read_bytes())).map(signed),
    _raw_mutation(path.read_bytes())))


@given(body=_BODY, channel=st.sampled_from(list(Channel)),
       secrets=st.sampled_from([{}, SECRETS]),
       operation=st.sampled_from([None, "capture", "refund", "cancel", "payout", "x"]),
       ref=st.sampled_from([None, "70100", "54304"]))
def test_parse_never_raises_on_mutated_bodies(body: bytes, channel: Channel,
                                              secrets: dict[str, str], operation: str | None,
                                              ref: str | None) -> None:
    result = ADAPTER.parse(RawInput(PROVIDER, channel, body, HEADERS, ref=ref,
                                    operation=operation), AdapterContext(secrets=secrets))
    assert result.defect is None
    assert bool(result.events) != (result.error is not None)
    if result.error is not None:
        assert result.error.field
