"""CARDLINK under hostile bytes: every malformed field is an ``invalid`` naming the field,
never an exception, never a defect and never an applied event."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import AdapterContext, Channel, ChartSet, Orchestrator, ParseResult, RawInput
from paychart.adapters.cardlink import ADAPTER
from paychart.adapters.cardlink.signature import digest
from paychart.errors import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "cardlink"
KEY = "sandbox_merchant_private_key_7f3a"
BODIES = sorted(p.name for p in FIXTURES.glob("*.json"))
OPERATIONS = ("create", "payout", "confirm", "decline", "refund", "status", "order", "list",
              "dispute", "disputes")
TOKEN = "4f1c2a9e7b3d48a6b1e0c5d29a7f3e11"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_bytes())
    return data


def signed(data: dict[str, Any]) -> bytes:
    """``data`` as the platform would send it, signed with the fixtures' key."""
    data = dict(data)
    data.pop("signature", None)
    data["signature"] = digest(data, KEY)
    return json.dumps(data, ensure_ascii=False).encode("utf-8", "surrogatepass")


def parse(body: bytes, channel: str = "callback", operation: str | None = None,
          ref: str | None = None) -> ParseResult:
    raw = RawInput("cardlink", Channel(channel), body, {"Content-Type": "application/json"},
                   None, ref, operation)
    return ADAPTER.parse(raw, AdapterContext({"private_key": KEY}))


def invalid(body: bytes, channel: str = "callback", operation: str | None = None,
            ref: str | None = None) -> InputError:
    result = parse(body, channel, operation, ref)
    assert result.defect is None, result.defect
    assert result.events == ()
    assert result.error is not None
    assert KEY not in str(result.error)
    return result.error


def callback(**changes: Any) -> dict[str, Any]:
    return {**fixture("callback_pay_all_fields.json"), **changes}


# -- bodies ------------------------------------------------------------------------------------

@pytest.mark.parametrize("depth", [40, 100_000])
@pytest.mark.parametrize("channel", ["callback", "response", "poll", "request"])
def test_deep_json_is_invalid_body(depth: int, channel: str) -> None:
    body = b'{"token": ' + b"[" * depth + b"]" * depth + b"}"
    assert invalid(body, channel, "create", TOKEN).field == "body"


@pytest.mark.parametrize("body", [b"\xff\xfe{}", b'{"token": "\xc3\x28"}',
                                  b'{"token": "abc", "type": "pay\xed\xa0\x80"}'])
def test_non_utf8_is_invalid_body(body: bytes) -> None:
    assert invalid(body).field == "body"


@pytest.mark.parametrize(("channel", "operation"), [("callback", None), ("response", "create"),
                                                    ("poll", "status"), ("request", "create")])
def test_form_body_where_json_is_expected_is_invalid(channel: str, operation: str) -> None:
    body = f"token={TOKEN}&type=pay&status=approved&amount=100&currency=EUR".encode()
    error = invalid(body, channel, operation, TOKEN)
    assert error.field == "body"
    assert "JSON" in error.reason


@pytest.mark.parametrize("key", ["token", "status", "amount", "signature"])
def test_duplicate_json_keys_are_invalid_naming_the_key(key: str) -> None:
    text = signed(callback()).decode()
    duplicated = text[:-1] + f', "{key}": "x"}}'
    error = invalid(duplicated.encode())
    assert error.field == key
    assert "more than once" in error.reason


def test_duplicate_keys_in_a_nested_object_are_invalid() -> None:
    body = b'{"success": true, "token": "t1", "payment": {"status": "init", "status": ' \
           b'"approved", "amount": 1, "currency": "EUR"}}'
    assert invalid(body, "response", "create").field == "status"


@pytest.mark.parametrize("where", ["value", "key"])
def test_lone_surrogates_are_invalid(where: str) -> None:
    text = signed(callback()).decode()
    if where == "value":
        text = text.replace(TOKEN, "\\ud800" + TOKEN[1:])
    else:
        text = text[:-1] + ', "\\udc00x": 1}'
    error = invalid(text.encode())
    assert error.field == ("token" if where == "value" else "body")
    assert "surrogate" in error.reason


def test_oversize_body_is_invalid_before_it_is_read() -> None:
    body = signed(callback(extraReturnParam="x" * (1 << 20)))
    error = invalid(body)
    assert error.field == "body"
    assert "limit" in error.reason


# -- ids -----------------------------------------------------------------------------------------

_BAD_IDS = ["abc\x00def", "abc\x07def", "abc\u202edef", "abc\u2066def", "abc\u200bdef",
            "abc def", "x" * 300]


@pytest.mark.parametrize("token", _BAD_IDS)
def test_hostile_callback_token_is_invalid_naming_token(token: str) -> None:
    assert invalid(signed(callback(token=token))).field == "token"


@pytest.mark.parametrize("token", _BAD_IDS[:3])
@pytest.mark.parametrize(("name", "operation", "field"), [
    ("response_create_3ds.json", "create", "token"),
    ("response_payout_h2h.json", "payout", "payout.token"),
    ("poll_status.json", "status", "payment.token"),
])
def test_hostile_tokens_in_answers_are_invalid(token: str, name: str, operation: str,
                                               field: str) -> None:
    data = fixture(name)
    inner, _, key = field.rpartition(".")
    (data[inner] if inner else data)[key] = token
    channel = "poll" if name.startswith("poll") else "response"
    assert invalid(json.dumps(data).encode(), channel, operation).field == field


@pytest.mark.parametrize("operation", ["confirm", "decline", "dispute"])
def test_hostile_ref_is_invalid_naming_ref(operation: str) -> None:
    body = (FIXTURES / "response_confirm_approved.json").read_bytes()
    assert invalid(body, "response", operation, "t\x00ken").field == "ref"


def test_hostile_refund_parent_token_is_invalid() -> None:
    data = fixture("response_refund_approved.json")
    data["refund"]["token"] = "r\u202efund"
    assert invalid(json.dumps(data).encode(), "response", "refund").field == "refund.token"


@pytest.mark.parametrize("status", ["appro\x00ved", "approved\u202e", "a" * 100])
def test_hostile_status_is_invalid_naming_status(status: str) -> None:
    assert invalid(signed(callback(status=status))).field == "status"


# -- amounts ----------------------------------------------------------------------------------

_BAD_AMOUNTS: list[Any] = [
    0, -1, "0", "-100", 2**63, str(2**63), 2**64 + 1, 10**12 * 100 + 1, "1" + "0" * 5000,
    "١٢٣", "１２３", "¹²³", "12.5", 12.5, "1e3", "", " ", True, [], {},
]


@pytest.mark.parametrize("amount", _BAD_AMOUNTS, ids=[repr(a)[:20] for a in _BAD_AMOUNTS])
def test_hostile_callback_amount_is_invalid_naming_amount(amount: Any) -> None:
    error = invalid(signed(callback(amount=amount)))
    assert error.field == "amount"


def test_a_number_of_5000_digits_is_invalid() -> None:
    text = signed(callback()).decode().replace('"amount": 10020', '"amount": ' + "9" * 5000)
    assert invalid(text.encode()).field in {"amount", "body"}  # the JSON reader refuses it


def test_amount_bound_depends_on_the_currency() -> None:
    jpy = fixture("callback_pay_jpy.json")
    within = parse(signed({**jpy, "amount": 10**12}))
    assert within.error is None
    assert within.events[0].money is not None
    assert within.events[0].money.amount == 10**12
    assert invalid(signed({**jpy, "amount": 10**12 + 1})).field == "amount"


@pytest.mark.parametrize("amount", [0, -5, "١٢٣", 2**63])
@pytest.mark.parametrize(("name", "channel", "operation", "field"), [
    ("response_create_3ds.json", "response", "create", "payment.amount"),
    ("response_refund_approved.json", "response", "refund", "refund.amount"),
    ("response_payout_p2p.json", "response", "payout", "payment.amount"),
    ("poll_status.json", "poll", "status", "payment.amount"),
    ("poll_disputes.json", "poll", "disputes", "disputes[0].amount"),
])
def test_hostile_amounts_in_answers_are_invalid(amount: Any, name: str, channel: str,
                                                operation: str, field: str) -> None:
    data = fixture(name)
    if name == "poll_disputes.json":
        data["disputes"][0]["amount"] = amount
    else:
        data[field.split(".")[0]]["amount"] = amount
    assert invalid(json.dumps(data).encode(), channel, operation).field == field


@pytest.mark.parametrize("amount", [0, -1, "١٢٣", "1" * 60])
def test_hostile_request_amounts_are_invalid(amount: Any) -> None:
    refund = {**fixture("request_refund.json"), "amount": amount}
    assert invalid(json.dumps(refund).encode(), "request", "refund", "r" * 32).field == "amount"
    create = {**fixture("request_create_h2h.json"), "amount": amount}
    assert invalid(json.dumps(create).encode(), "request", "create", TOKEN).field == "amount"


@pytest.mark.parametrize(("field", "value"), [("needConfirmation", "perhaps"),
                                              ("orderNumber", "10\x00442")])
def test_hostile_request_fields_are_invalid(field: str, value: str) -> None:
    data = {**fixture("request_create_two_stage.json"), field: value}
    assert invalid(json.dumps(data).encode(), "request", "create", TOKEN).field == field


def test_order_number_is_the_merchants_text_spaces_included() -> None:
    data = {**fixture("request_create_two_stage.json"), "orderNumber": "your order 10447"}
    (event,) = parse(json.dumps(data).encode(), "request", "create", TOKEN).events
    assert dict(event.remember)["order_number"] == "your order 10447"


# -- through the engine: an invalid decision, nothing applied ------------------------------------

@pytest.mark.parametrize("body", [
    signed(callback(amount=-10020)),
    signed(callback(token="4f1c2a9e\u202e7b3d")),
    signed(callback(amount="١٠٠٢٠")),
    b'{"token": "' + TOKEN.encode() + b'", "token": "other"}',
])
def test_hostile_callback_is_an_invalid_decision_and_changes_nothing(body: bytes) -> None:
    engine = Orchestrator(ChartSet.bundled())
    raw = RawInput("cardlink", Channel.CALLBACK, body, {}, None, None, None)
    (decision,) = engine.ingest(raw, ADAPTER, AdapterContext({"private_key": KEY}))
    assert decision.outcome.value == "invalid"
    assert decision.field in {"amount", "token"}
    assert engine.record("cardlink", "payment", TOKEN) is None


# -- fuzz: mutated fixture bodies ------------------------------------------------------------------

_HOSTILE: st.SearchStrategy[object] = st.sampled_from([
    None, True, 0, -1, 2**63, 10**40, "", "\x00", "\u202e", "١٢٣", "１２３", "x" * 5000,
    [], {}, [[[]]], {"a": {"b": {}}}, "approved", "pay", "refund", "dispute", "EUR", "XXX",
    "2026-13-45T99:00:00Z", "not a time",
])


def _mutate(value: Any, path: list[int], replacement: Any) -> Any:
    """``value`` with the element picked by ``path`` (indices into keys/items) replaced."""
    if not path or not isinstance(value, dict | list) or not value:
        return replacement
    if isinstance(value, dict):
        key = list(value)[path[0] % len(value)]
        return {**value, key: _mutate(value[key], path[1:], replacement)}
    index = path[0] % len(value)
    return [*value[:index], _mutate(value[index], path[1:], replacement), *value[index + 1:]]


def _bytes_of(name: str, mutated: Any, resign: bool) -> bytes:
    if resign and name.startswith("callback") and isinstance(mutated, dict):
        try:
            return signed(mutated)
        except (TypeError, ValueError):
            pass
    return json.dumps(mutated, ensure_ascii=False).encode("utf-8", "surrogatepass")


@given(name=st.sampled_from(BODIES), path=st.lists(st.integers(0, 20), max_size=4),
       replacement=_HOSTILE, resign=st.booleans(),
       channel=st.sampled_from(list(ADAPTER.parsers)),
       operation=st.none() | st.sampled_from(OPERATIONS), ref=st.none() | st.just(TOKEN))
def test_parse_never_raises_for_mutated_fixtures(name: str, path: list[int], replacement: Any,
                                                 resign: bool, channel: Channel,
                                                 operation: str | None,
                                                 ref: str | None) -> None:
    body = _bytes_of(name, _mutate(fixture(name), path, replacement), resign)
    result = parse(body, channel.value, operation, ref)
    assert result.defect is None, result.defect
    assert (result.error is None) == bool(result.events)


@given(name=st.sampled_from(BODIES), cut=st.integers(0, 4000), junk=st.binary(max_size=8),
       channel=st.sampled_from(list(ADAPTER.parsers)),
       operation=st.none() | st.sampled_from(OPERATIONS))
def test_parse_never_raises_for_spliced_fixture_bytes(name: str, cut: int, junk: bytes,
                                                      channel: Channel,
                                                      operation: str | None) -> None:
    raw = (FIXTURES / name).read_bytes()
    cut %= len(raw) + 1
    result = parse(raw[:cut] + junk + raw[cut:], channel.value, operation, TOKEN)
    assert result.defect is None, result.defect
    assert (result.error is None) == bool(result.events)
