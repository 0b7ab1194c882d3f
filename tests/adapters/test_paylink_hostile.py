"""Hostile PayLink input: every bad body is an ``invalid`` decision naming the field, never an
exception and never an applied event; ``contract.toml`` holds what the contract test needs.

Bodies are the committed fixtures (``real/``, ``seed/``, ``bodies/``) with one field made
hostile: deep JSON, lone surrogates, 5000-digit numbers, amounts ≥ 2^63 or beyond the
currency's bound, zero or negative amounts, non-ASCII digits, NUL/control/bidi characters in
ids, duplicate keys, non-UTF-8 and form bodies.
"""

from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart.adapter import AdapterContext, ParseResult, RawInput
from paychart.adapters.paylink import ADAPTER
from paychart.adapters.paylink.signature import sign, unsign
from paychart.charts import ChartSet
from paychart.decision import Outcome
from paychart.event import Channel, SignatureStatus
from paychart.orchestrator import Orchestrator

FIXTURES = Path(__file__).parent / "fixtures" / "paylink"
CB, POLL, RESPONSE = Channel.CALLBACK, Channel.POLL, Channel.RESPONSE
CONTRACT = tomllib.loads((FIXTURES / "contract.toml").read_text(encoding="utf-8"))
BODY_FILES = sorted(f"{p.parent.name}/{p.name}" for folder in ("real", "seed", "bodies")
                    for p in (FIXTURES / folder).glob("*.json"))


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_bytes())


def parse(body: bytes, channel: Channel = CB, headers: dict[str, str] | None = None,
          secrets: dict[str, str] | None = None) -> ParseResult:
    return ADAPTER.parse(RawInput("paylink", channel, body, headers or {}),
                         AdapterContext(secrets or {}))


def invalid(result: ParseResult, field: str | set[str]) -> str:
    """The error's reason, after checking it is a clean ``invalid`` naming ``field`` (or one
    of the names: the JSON reader may name a bad number by its key or by the body)."""
    assert result.defect is None
    assert result.events == ()
    assert result.error is not None, "hostile input was accepted"
    assert result.error.field in ({field} if isinstance(field, str) else field), result.error
    return result.error.reason


NUMBER_IN_AMOUNT = {"body", "amount", "transaction.amount"}


def with_field(name: str, path: str, value: Any) -> bytes:
    """Fixture ``name`` with the dotted ``path`` set to ``value`` (``RAW:`` text is spliced
    in as is, for numbers Python cannot print and for broken escapes)."""
    doc = load(name)
    *parents, last = path.split(".")
    target = doc
    for key in parents:
        target = target[key]
    raw = isinstance(value, str) and value.startswith("RAW:")
    target[last] = "\x00PLACEHOLDER\x00" if raw else value
    text = json.dumps(doc)
    if raw:
        text = text.replace(json.dumps("\x00PLACEHOLDER\x00"), value.removeprefix("RAW:"))
    return text.encode("utf-8")


PAYMENT = "real/webhook_payment_successful_docs.json"
REFUND = "bodies/refund_successful.json"
CHECKOUT = "seed/checkout_finished_surcharge_v1.json"
GATEWAY = "checkout.gateway_response.payment"

HOSTILE_FIELDS: list[tuple[str, str, Any, Channel, str | set[str]]] = [
    # amounts: bounds, sign, digits
    (PAYMENT, "transaction.amount", 2**63, CB, "transaction.amount"),
    (PAYMENT, "transaction.amount", "RAW:9223372036854775808", CB, "transaction.amount"),
    (PAYMENT, "transaction.amount", 10**14 + 1, CB, "transaction.amount"),  # > 10^12 EUR
    (PAYMENT, "transaction.amount", 0, CB, "transaction.amount"),
    (PAYMENT, "transaction.amount", -100, CB, "transaction.amount"),
    (PAYMENT, "transaction.amount", "١٢٣", CB, "transaction.amount"),
    (PAYMENT, "transaction.amount", "１２３", CB, "transaction.amount"),
    (PAYMENT, "transaction.amount", "RAW:1e3", CB, "transaction.amount"),
    (PAYMENT, "transaction.amount", True, CB, "transaction.amount"),
    (PAYMENT, "transaction.amount", "RAW:" + "9" * 5000, CB, NUMBER_IN_AMOUNT),
    (PAYMENT, "transaction.currency", "ZZZ", CB, "transaction.currency"),
    (REFUND, "transaction.amount", -200, CB, "transaction.amount"),
    (CHECKOUT, "checkout.order.amount", 0, POLL, "checkout.order.amount"),
    (CHECKOUT, f"{GATEWAY}.amount", 2**64, POLL, f"{GATEWAY}.amount"),
    (CHECKOUT, "checkout.order.initial_amount", "٧٠٠", POLL, "checkout.order.initial_amount"),
    (CHECKOUT, "checkout.order.surcharge_amount", -37, POLL,
     "checkout.order.surcharge_amount"),
    # ids: NUL, control, bidi, zero-width, whitespace, oversize, wrong type
    (PAYMENT, "transaction.uid", "dd6ee60c\x00", CB, "transaction.uid"),
    (PAYMENT, "transaction.uid", "dd6ee60c\x1b[2J", CB, "transaction.uid"),
    (PAYMENT, "transaction.uid", "dd6e\u202eb60c", CB, "transaction.uid"),
    (PAYMENT, "transaction.uid", "dd6e\u200bb60c", CB, "transaction.uid"),
    (PAYMENT, "transaction.uid", "dd6e b60c", CB, "transaction.uid"),
    (PAYMENT, "transaction.uid", "u" * 300, CB, "transaction.uid"),
    (PAYMENT, "transaction.uid", {"id": 1}, CB, "transaction.uid"),
    (REFUND, "transaction.parent_uid", "cap-1\u2066", CB, "transaction.parent_uid"),
    (CHECKOUT, "checkout.token", "tok\x00en", POLL, "checkout.token"),
    (CHECKOUT, f"{GATEWAY}.uid", "698d\u202e69b7", POLL, f"{GATEWAY}.uid"),
    # strings: lone surrogates, controls in free text, statuses outside the vocabulary
    (PAYMENT, "transaction.message", "RAW:\"\\ud800\"", CB, "message"),
    (PAYMENT, "transaction.message", "ok\x00", CB, "transaction.message"),
    (PAYMENT, "transaction.status", "successful\u200b", CB, "transaction.status"),
    (PAYMENT, "transaction.status", "settled", CB, "transaction.status"),
    (PAYMENT, "transaction.type", "payout", CB, "transaction.type"),
    (PAYMENT, "transaction.test", "maybe", CB, "transaction.test"),
    (PAYMENT, "transaction.credit_card", ["4111111111111111"], CB,
     "transaction.credit_card"),
    (PAYMENT, "transaction.updated_at", {"at": 1}, CB, "transaction.updated_at"),
    (CHECKOUT, "checkout.finished", "RAW:2", POLL, "checkout.finished"),
    (CHECKOUT, "checkout.order", [], POLL, "checkout.order"),
]


@pytest.mark.parametrize(("name", "path", "value", "channel", "field"), HOSTILE_FIELDS,
                         ids=[f"{p}={str(v)[:12]!r}" for _, p, v, _, _ in HOSTILE_FIELDS])
def test_hostile_field_is_invalid_naming_it(name: str, path: str, value: Any,
                                            channel: Channel, field: str | set[str]) -> None:
    invalid(parse(with_field(name, path, value), channel), field)


def _deep(depth: int) -> bytes:
    return b'{"transaction": ' + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"


@pytest.mark.parametrize(("body", "reason"), [
    (_deep(200), "nested deeper"),
    (_deep(100_000), "nested deeper"),
    (b"[" * 50_000 + b"]" * 50_000, "nested deeper"),
    ((FIXTURES / PAYMENT).read_bytes().decode().replace("ütf", "\udcff", 1)
     .encode("utf-8", "surrogateescape"), "not UTF-8"),
    (b'{"transaction": {"uid": "a\xff"}}', "not UTF-8"),
    ("{}".encode("utf-16"), "not UTF-8"),
    (b"transaction[uid]=pay-1&transaction[status]=successful&amount=100", "not JSON"),
    (b"uid=pay-1&status=successful", "not JSON"),
    (b"", "not JSON"),
    (b'"just a string"', "not a JSON object"),
])
def test_hostile_body_is_invalid(body: bytes, reason: str) -> None:
    assert reason in invalid(parse(body), "body")


@pytest.mark.parametrize("constant", [b"NaN", b"Infinity", b"-Infinity"])
def test_json_constants_are_not_numbers(constant: bytes) -> None:
    body = b'{"transaction": {"uid": "u", "amount": ' + constant + b"}}"
    assert "not a JSON number" in invalid(parse(body), NUMBER_IN_AMOUNT)


@pytest.mark.parametrize(("body", "field"), [
    (b'{"transaction": {"uid": "a", "uid": "b"}}', "uid"),
    (b'{"transaction": {}, "transaction": {}}', "transaction"),
    (b'{"checkout": {"token": "t", "finished": true, "finished": false}}', "finished"),
])
def test_duplicate_keys_are_refused(body: bytes, field: str) -> None:
    assert "more than once" in invalid(parse(body), field)


def test_oversize_body_is_refused_before_parsing() -> None:
    body = b'{"transaction": {"message": "' + b"x" * (1 << 20) + b'"}}'
    assert "exceed" in invalid(parse(body), "body")


@pytest.mark.parametrize(("name", "path", "value", "channel", "field"), HOSTILE_FIELDS[::4])
def test_hostile_input_is_an_invalid_decision_and_changes_nothing(
        name: str, path: str, value: Any, channel: Channel, field: str | set[str]) -> None:
    engine = Orchestrator(ChartSet.bundled())
    decisions = engine.ingest(RawInput("paylink", channel, with_field(name, path, value)),
                              ADAPTER)
    assert [d.outcome for d in decisions] == [Outcome.INVALID]
    assert decisions[0].field in ({field} if isinstance(field, str) else field)
    assert list(engine.store.objects()) == []


def test_every_real_payload_parses_on_every_channel_it_can_arrive_on() -> None:
    for path in sorted((FIXTURES / "real").glob("*.json")):
        channels = (POLL, RESPONSE) if path.name.startswith("checkout_query") else (CB,)
        for channel in channels:
            result = parse(path.read_bytes(), channel)
            assert result.error is None and result.defect is None, (path.name, result.error)
            assert result.events


# -- contract.toml ------------------------------------------------------------------------------

def _at(doc: Any, dotted: str) -> Any:
    for key in dotted.split("."):
        doc = doc[key]
    return doc


def _set(doc: Any, dotted: str, value: Any) -> None:
    *parents, last = dotted.split(".")
    _at(doc, ".".join(parents))[last] = value


CALLBACKS = CONTRACT["callback"]
SECRETS: dict[str, str] = CONTRACT["secrets"]


def test_contract_names_a_format_secrets_and_callbacks_of_every_transaction_layer() -> None:
    assert CONTRACT["format"] == "json"
    assert set(SECRETS) <= ADAPTER.secrets.keys
    assert {c["object_kind"] for c in CALLBACKS} >= {"transaction"}
    assert "request" not in CONTRACT  # PayLink's hosted checkout takes the card itself
    assert "hosted checkout" in CONTRACT["no_card_requests"]
    assert set(CONTRACT["wrong_secrets"]) == set(SECRETS)
    assert CONTRACT["wrong_secrets"]["public_key"] != SECRETS["public_key"]


def _signed(doc: Any) -> tuple[bytes, dict[str, str]]:
    return sign(json.dumps(doc).encode("utf-8"), {"Content-Type": "application/json"},
                SECRETS)


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda c: c["file"])
def test_contract_callback_parses_signed_and_its_fields_are_where_it_says(
        callback: dict[str, str]) -> None:
    doc = load(callback["file"])
    body, headers = _signed(doc)
    (event,) = parse(body, headers=headers, secrets=SECRETS).events
    assert event.signature is SignatureStatus.VALID
    assert event.object_kind == callback["object_kind"]
    assert event.object_id == _at(doc, callback["id_field"])
    assert event.fact("status") == _at(doc, callback["status_field"])
    assert event.money is not None
    assert event.money.amount == int(_at(doc, callback["amount_field"]))


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda c: c["file"])
@pytest.mark.parametrize(("key", "value", "detail"), [
    ("status_field", "settled", "'settled'"), ("id_field", "id\x00", "control"),
    ("amount_field", 2**63, "exceeds"), ("amount_field", -1, "positive")])
def test_contract_fields_made_hostile_are_invalid_naming_them(
        callback: dict[str, str], key: str, value: Any, detail: str) -> None:
    doc = load(callback["file"])
    _set(doc, callback[key], value)
    body, headers = _signed(doc)
    assert detail in invalid(parse(body, headers=headers, secrets=SECRETS), callback[key])


@pytest.mark.parametrize("callback", CALLBACKS, ids=lambda c: c["file"])
def test_contract_signature_cases(callback: dict[str, str]) -> None:
    """Valid; a tampered covered field, a wrong key and a missing signature are invalid."""
    doc = load(callback["file"])
    body, headers = _signed(doc)
    assert parse(body, headers=headers, secrets=SECRETS).error is None
    tampered = json.loads(body)
    _set(tampered, callback["covered_field"], int(_at(doc, callback["covered_field"])) + 1)
    invalid(parse(json.dumps(tampered).encode(), headers=headers, secrets=SECRETS),
            "Content-Signature")
    forged, forged_headers = sign(body, {}, CONTRACT["wrong_secrets"])
    invalid(parse(forged, headers=forged_headers, secrets=SECRETS), "Content-Signature")
    other = dict(SECRETS, public_key=SECRETS["public_key"].replace("A", "B", 3))
    invalid(parse(body, headers=headers, secrets=other), "Content-Signature")
    bare_body, bare_headers = unsign(body, headers)
    assert "missing" in invalid(parse(bare_body, headers=bare_headers, secrets=SECRETS),
                                "Content-Signature")
    key_line = SECRETS["public_key"].split()[3]
    assert key_line not in repr(parse(body, headers=headers, secrets=other))


# -- never raises -----------------------------------------------------------------------------

def _paths(doc: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(doc, dict):
        for key, value in doc.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            found += _paths(value, (*prefix, index))
    return found


_RAW = ("9" * 5000, str(2**63), "-0", "1e400", "1.5", '"\\ud800"', '"\\udfff x"',
        "[" * 40 + "]" * 40, '{"a": 1, "a": 2}')
_VALUES = st.one_of(
    st.sampled_from([None, True, False, 0, -1, 2**63, 10**13, "", " ", "١٢٣", "１２３",
                     "\x00", "a\u202eb", "\u200b", "\ufeff", "successful", "error",
                     "payment", "authorization", "refund", "payout", "1", "true", "USD",
                     "XYZ", "JPY", "2020-11-20T10: 42: 28.786Z", [], {}, [1], {"uid": "x"}]),
    st.sampled_from([f"RAW:{raw}" for raw in _RAW]),
    st.text(max_size=12), st.integers(min_value=-(2**70), max_value=2**70))


@given(data=st.data(), name=st.sampled_from(BODY_FILES),
       channel=st.sampled_from([CB, POLL, RESPONSE]),
       secrets=st.sampled_from([{}, {"shop_id": "361", "secret_key": "s"}, SECRETS]))
def test_mutated_fixture_bodies_never_raise(data: st.DataObject, name: str, channel: Channel,
                                            secrets: dict[str, str]) -> None:
    doc = load(name)
    raw: str | None = None
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = _paths(doc)
        if not paths:
            break
        path = data.draw(st.sampled_from(paths), label="path")
        value = copy.deepcopy(data.draw(_VALUES, label="value"))  # shared across examples
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if data.draw(st.booleans(), label="delete") and isinstance(parent, dict):
            del parent[path[-1]]
            continue
        if isinstance(value, str) and value.startswith("RAW:"):
            raw, value = value.removeprefix("RAW:"), "\x00RAW\x00"
        parent[path[-1]] = value
    text = json.dumps(doc, ensure_ascii=data.draw(st.booleans(), label="ascii"))
    if raw is not None:
        text = text.replace(json.dumps("\x00RAW\x00"), raw)
    body = text.encode("utf-8", "surrogatepass")
    if data.draw(st.booleans(), label="bytes"):
        cut = data.draw(st.integers(0, len(body)), label="cut")
        body = body[:cut] + data.draw(st.binary(max_size=4), label="noise") + body[cut + 1:]
    body, headers = sign(body, {}, secrets) if secrets else (body, {})
    result = parse(body, channel, headers, secrets)
    assert result.defect is None, result.defect
    assert (result.error is None) != (result.events == ())
    for event in result.events:
        assert event.money is None or event.money.amount > 0
