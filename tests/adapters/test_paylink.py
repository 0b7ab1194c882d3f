"""PayLink adapter: canned payloads → events, authentication, lenient fields, invalid inputs.

Payloads: ``fixtures/paylink/real`` (the platform's published bodies, byte for byte),
``fixtures/paylink/seed`` (the seed's three status-query responses) and
``fixtures/paylink/bodies`` (written by ``make_fixtures.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart.adapter import AdapterContext, ParseResult, RawInput
from paychart.adapters import get_adapter
from paychart.adapters.paylink import ADAPTER
from paychart.charts import ChartSet
from paychart.decision import Outcome
from paychart.event import Channel, Event, SignatureStatus
from paychart.orchestrator import Orchestrator

FIXTURES = Path(__file__).parent / "fixtures" / "paylink"
CB, POLL = Channel.CALLBACK, Channel.POLL


def payload(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def parse(body: bytes, channel: Channel = CB, headers: dict[str, str] | None = None,
          secrets: dict[str, str] | None = None) -> ParseResult:
    return ADAPTER.parse(RawInput("paylink", channel, body, headers or {}),
                         AdapterContext(secrets or {}))


def events(name: str, channel: Channel) -> tuple[Event, ...]:
    result = parse(payload(name), channel)
    assert result.error is None, result.error
    return result.events


Row = tuple[str, str, str, str, int | None, str | None, str | None, bool]
# file, channel: [(kind, id, trigger, state, amount, currency, parent, has sequence)]
TABLE: dict[tuple[str, Channel], list[Row]] = {
    ("real/checkout_query_finished_docs.json", POLL): [
        ("checkout", "cb967032c168e0b6b930906974594600d96e4df489df8f5e15673df533ca7df5",
         "succeed", "successful", 500, "EUR", None, False),
        ("transaction", "f356bd32-22b0-4a21-8725-490e45b67a11", "pay", "successful", 500,
         "EUR", None, True)],
    ("real/checkout_query_finished_ruby_fixture.json", POLL): [
        ("checkout", "3241e439f8c87d941d92621a4bdc030d4c9a69c67f3b0cfe12de4a13cc34aa51",
         "succeed", "successful", 4299, "GBP", None, False),
        ("transaction", "1891-5fcb2bda3b", "pay", "successful", 4299, "GBP", None, False)],
    ("real/webhook_checkout_expired_docs.json", CB): [
        ("checkout", "311300d08dc7f22ae37272fac6513921d4c99ca24dcaccf4392a2606fe8f1877",
         "expire", "expired", 4299, "USD", None, False)],
    ("real/webhook_payment_failed_sdk_fixture.json", CB): [
        ("transaction", "1-310b0da80b", "fail", "failed", 100, "USD", None, False)],
    ("real/webhook_payment_successful_docs.json", CB): [
        ("transaction", "dd6ee60c-d30a-4348-b84c-86a4ef1a137d", "pay", "successful", 100,
         "EUR", None, True)],
    ("real/webhook_payment_successful_ruby_fixture.json", CB): [
        ("transaction", "1-fc77f1e8f0", "pay", "successful", None, None, None, True)],
    ("real/webhook_payment_successful_sdk_fixture.json", CB): [
        ("transaction", "1-310b0da80b", "pay", "successful", 100, "USD", None, False)],
    ("seed/checkout_finished.json", Channel.RESPONSE): [
        ("checkout", "cb967032c168e0b6b930906974594600d96e4df489df8f5e15673df533ca7df5",
         "succeed", "successful", 500, "EUR", None, False),
        ("transaction", "f356bd32-22b0-4a21-8725-490e45b67a11", "pay", "successful", 500,
         "EUR", None, True)],
    ("seed/checkout_finished_surcharge_v1.json", POLL): [
        ("checkout", "c08bd9b031d54a2921d9c392873d9f2270e231b4b283f5a653617bc0b9644f10",
         "succeed", "successful", 737, "EUR", None, False),
        ("transaction", "698d69b7-da39-40c7-8d42-bd5447c49b59", "pay", "successful", 737,
         "EUR", None, True)],
    ("seed/checkout_open_surcharge_v2.json", POLL): [
        ("checkout", "a2a834b4658afbb57e373fc72950522e56a192cc1e8e7502c4c39470f0ba8be4",
         "open", "open", 10300, "EUR", None, False)],
    ("bodies/authorization_successful.json", CB): [
        ("transaction", "auth-1", "authorize", "authorized", 1000, "USD", None, True)],
    ("bodies/capture_successful.json", CB): [
        ("capture", "cap-1", "succeed", "successful", 600, "USD", "auth-1", True)],
    ("bodies/void_successful.json", CB): [
        ("void", "void-1", "succeed", "successful", 1000, "USD", "auth-1", False)],
    ("bodies/refund_successful.json", CB): [
        ("refund", "ref-1", "succeed", "successful", 200, "USD", "cap-1", False)],
    ("bodies/chargeback_successful.json", CB): [
        ("chargeback", "cb-1", "succeed", "successful", 500, "USD", "pay-1", False)],
    ("bodies/payment_incomplete.json", CB): [
        ("transaction", "pay-3ds", "require_action", "incomplete", 500, "USD", None, True)],
    ("bodies/payment_pending_test_1.json", CB): [
        ("transaction", "pay-p", "process", "pending", 500, "USD", None, False)],
    ("bodies/payment_expired.json", CB): [
        ("transaction", "pay-x", "expire", "expired", 500, "USD", None, False)],
    ("bodies/payment_error.json", CB): [
        ("transaction", "pay-e", "error", "error", 500, "USD", None, False)],
    ("bodies/payment_bad_timestamp.json", CB): [
        ("transaction", "pay-t", "pay", "successful", 500, "USD", None, False)],
    ("bodies/checkout_open_v2.json", POLL): [
        ("checkout", "tok-open", "open", "open", 10300, "EUR", None, False)],
    ("bodies/checkout_open_v2_mismatch.json", POLL): [
        ("checkout", "tok-v2bad", "open", "open", 10300, "EUR", None, False)],
    ("bodies/checkout_finished_v1_mismatch.json", POLL): [
        ("checkout", "tok-v1bad", "succeed", "successful", 737, "EUR", None, False),
        ("transaction", "pay-v1", "pay", "successful", 737, "EUR", None, False)],
    ("bodies/checkout_attempted.json", POLL): [
        ("checkout", "tok-try", "attempt", "in_progress", 10300, "EUR", None, False),
        ("transaction", "pay-try", "require_action", "incomplete", 10300, "EUR", None, False)],
    ("bodies/checkout_finished_authorization.json", POLL): [
        ("checkout", "tok-auth", "authorize", "authorized", 1000, "USD", None, False),
        ("transaction", "auth-9", "authorize", "authorized", 1000, "USD", None, False)],
    ("bodies/checkout_finished_failed.json", POLL): [
        ("checkout", "tok-fail", "fail", "failed", 10300, "EUR", None, False),
        ("transaction", "pay-f", "fail", "failed", 10300, "EUR", None, False)],
    ("bodies/checkout_finished_and_expired.json", POLL): [
        ("checkout", "tok-both", "succeed", "successful", 10300, "EUR", None, False),
        ("transaction", "pay-b", "pay", "successful", 10300, "EUR", None, False)],
    ("bodies/checkout_expired_bare_flag_1.json", CB): [
        ("checkout", "tok-exp1", "expire", "expired", 10300, "EUR", None, False)],
}


@pytest.mark.parametrize(("name", "channel"), sorted(TABLE))
def test_payload_to_events(name: str, channel: Channel) -> None:
    found = events(name, channel)
    got = [(e.object_kind, e.object_id, e.trigger, e.state,
            e.money.amount if e.money else None, e.money.currency if e.money else None,
            e.parent_id, e.sequence is not None) for e in found]
    assert got == TABLE[(name, channel)]
    for event in found:
        assert event.provider == "paylink"
        assert event.channel is channel
        assert event.signature is SignatureStatus.UNCHECKED


def test_every_real_and_seed_payload_is_in_the_table() -> None:
    files = {f"{p.parent.name}/{p.name}" for folder in ("real", "seed", "bodies")
             for p in (FIXTURES / folder).glob("*.json")}
    tabled = {name for name, _ in TABLE}
    assert {f for f in files if not f.startswith("bodies/")} <= tabled
    assert files - tabled == set(INVALID)


@pytest.mark.parametrize(("name", "channel"), sorted(TABLE))
def test_every_payload_is_decided_applied_by_a_fresh_engine(name: str, channel: Channel) -> None:
    engine = Orchestrator(ChartSet.bundled())
    decisions = engine.ingest(RawInput("paylink", channel, payload(name)), ADAPTER)
    assert [d.outcome for d in decisions] == [Outcome.APPLIED] * len(TABLE[(name, channel)])


INVALID = {
    "bodies/payment_unknown_status.json": ("transaction.status", "'settled'"),
    "bodies/payout_successful.json": ("transaction.type", "'payout'"),
    "bodies/refund_without_parent.json": ("transaction.parent_uid", "missing"),
    "bodies/checkout_bad_boolean.json": ("checkout.finished", "'maybe'"),
}


@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_payload_names_field_and_value(name: str) -> None:
    result = parse(payload(name), POLL if "checkout" in name else CB)
    field, detail = INVALID[name]
    assert result.events == ()
    assert result.error is not None
    assert result.error.field == field
    assert detail in result.error.reason


@pytest.mark.parametrize(("body", "field"), [
    (b"not json", "body"), (b"[1, 2]", "body"), (b'{"hello": 1}', "body"),
    (b'{"transaction": []}', "body.transaction"), (b'{"transaction": {"status": "failed"}}',
                                                  "transaction.type"),
    (b'{"transaction": {"type": "payment", "status": "failed"}}', "transaction.uid"),
    (b'{"transaction": {"uid": "u", "type": "payment", "status": "failed", "amount": 1.5,'
     b' "currency": "USD"}}', "transaction.amount"),
    (b'{"transaction": {"uid": "u", "type": "payment", "status": "failed", "amount": 1,'
     b' "currency": "XYZ"}}', "transaction.currency"),
    (b'{"checkout": {"finished": true}}', "checkout.token"),
    (b'{"checkout": {"token": "t", "finished": true, "status": "weird"}}', "checkout.status"),
    (b"\xff\xfe", "body"),
])
def test_malformed_bodies_are_invalid_not_crashes(body: bytes, field: str) -> None:
    result = parse(body)
    assert result.error is not None
    assert result.error.field == field


def test_request_channel_is_refused() -> None:
    result = parse(b"{}", Channel.REQUEST)
    assert result.error is not None
    assert result.error.field == "channel"


# -- lenient fields ---------------------------------------------------------------------------

def _tx(**fields: object) -> bytes:
    return json.dumps({"transaction": {"uid": "u-1", "type": "payment", "status": "successful",
                                       "amount": 100, "currency": "USD", **fields}}).encode()


@pytest.mark.parametrize("stamp", [
    "2020-11-20T10:42:28.786Z", "2020-11-20T10: 42: 28.786Z", "2020-11-20 10:42:28.786 UTC",
    "2020-11-20T10:42:28.786+00:00", "2020-11-20T13:42:28.786+03:00", "2020-11-20 10:42:28.786",
])
def test_timestamps_that_are_not_strict_iso_8601_still_order(stamp: str) -> None:
    (event,) = parse(_tx(updated_at=stamp)).events
    assert event.sequence == 1605868948786
    assert event.warnings == ()


@pytest.mark.parametrize("stamp", ["yesterday at noon", "2020-13-45T99:00:00Z", "   "])
def test_unreadable_timestamp_is_a_warning(stamp: str) -> None:
    result = parse(_tx(updated_at=stamp))
    (event,) = result.events
    assert event.sequence is None
    if stamp.strip():
        assert any("updated_at" in w and "not a readable timestamp" in w for w in event.warnings)


def test_same_time_in_two_spellings_is_one_message() -> None:
    (a,) = parse(_tx(updated_at="2020-11-20T10: 42: 28.786Z")).events
    (b,) = parse(_tx(updated_at="2020-11-20T10:42:28.786Z")).events
    assert a.dedupe_key == b.dedupe_key


@pytest.mark.parametrize(("value", "expected"), [
    (True, "true"), (1, "true"), ("1", "true"), ("true", "true"),
    (False, "false"), (0, "false"), ("0", "false"), (None, "false")])
def test_booleans_arrive_as_true_or_1(value: object, expected: str) -> None:
    (event,) = parse(_tx(test=value)).events
    assert event.fact("test") == expected


def test_bad_boolean_is_invalid() -> None:
    result = parse(_tx(test=2))
    assert result.error is not None
    assert result.error.field == "transaction.test"


def test_ruby_fixture_without_amount_warns() -> None:
    (event,) = events("real/webhook_payment_successful_ruby_fixture.json", CB)
    assert event.money is None
    assert "transaction carries no amount and currency" in event.warnings


def test_gateway_response_without_amount_takes_the_order_amount() -> None:
    _, tx = events("real/checkout_query_finished_ruby_fixture.json", POLL)
    assert tx.fact("amount_from") == "order"
    assert tx.warnings == ()


def test_card_facts_kept_are_brand_bin_and_last_four_only() -> None:
    (event,) = events("real/webhook_payment_successful_docs.json", CB)
    assert dict(event.remember) == {"card_brand": "visa", "card_bin": "401200",
                                    "card_last4": "1006"}
    (sdk,) = events("real/webhook_payment_successful_sdk_fixture.json", CB)
    assert "d46d77d181e34554" not in repr(sdk)  # the reusable card token is not kept


def test_callback_and_poll_of_the_same_status_share_a_dedupe_key() -> None:
    _, from_poll = events("real/checkout_query_finished_docs.json", POLL)
    body = json.dumps({"transaction": {
        "uid": "f356bd32-22b0-4a21-8725-490e45b67a11", "type": "payment",
        "status": "successful", "amount": 500, "currency": "EUR",
        "updated_at": "2025-01-15T14:28:27.901Z"}}).encode()
    (from_callback,) = parse(body).events
    assert from_callback.dedupe_key == from_poll.dedupe_key


def test_incomplete_payment_sends_the_customer_to_the_gateway() -> None:
    (event,) = events("bodies/payment_incomplete.json", CB)
    assert event.customer_action is not None
    assert event.customer_action.url == "https://gateway.paylink.kz/process/pay-3ds"
    (done,) = events("bodies/authorization_successful.json", CB)
    assert done.customer_action is None


def test_sdk_fixtures_reuse_one_uid_for_failed_and_successful() -> None:
    """Without provider timestamps a contradicting final report cannot be ordered: the
    engine refuses it (no edge leads from `successful` to `failed`) and keeps the first
    outcome."""
    engine = Orchestrator(ChartSet.bundled())
    first, second = (engine.ingest(RawInput("paylink", CB, payload(f"real/{name}")), ADAPTER)[0]
                     for name in ("webhook_payment_successful_sdk_fixture.json",
                                  "webhook_payment_failed_sdk_fixture.json"))
    assert (first.outcome, second.outcome) == (Outcome.APPLIED, Outcome.REJECTED)
    assert "no edge for `fail` from `successful`" in second.reason
    record = engine.record("paylink", "transaction", "1-310b0da80b")
    assert record is not None
    assert record.state == "successful"


def test_merchant_order_reference_is_kept_as_tracking_id() -> None:
    (event,) = events("real/webhook_payment_successful_docs.json", CB)
    assert event.fact("tracking_id") == "tracking_id_000"
    (checkout,) = events("bodies/checkout_open_v2.json", POLL)
    assert checkout.fact("tracking_id") == "order-42"
    real_checkout, _ = events("real/checkout_query_finished_docs.json", POLL)
    assert real_checkout.fact("tracking_id") is None  # sent as null


def test_checkout_remembers_its_transaction_uid() -> None:
    checkout, _ = events("real/checkout_query_finished_docs.json", POLL)
    assert dict(checkout.remember) == {
        "transaction_uid": "f356bd32-22b0-4a21-8725-490e45b67a11", "transaction_type": "payment",
        "same_attempt": "paylink/transaction/f356bd32-22b0-4a21-8725-490e45b67a11"}


def test_checkout_status_error_alone_never_decides() -> None:
    """Seed: status "error" both before any attempt and after expiry; the flags decide."""
    (open_,) = events("bodies/checkout_open_v2.json", POLL)
    (expired,) = events("real/webhook_checkout_expired_docs.json", CB)
    assert (open_.fact("message"), expired.fact("message")) == (
        "Gateway response not found.", "Token is expired.")
    assert (open_.state, expired.state) == ("open", "expired")


# -- surcharges -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["seed/checkout_finished_surcharge_v1.json",
                                  "seed/checkout_open_surcharge_v2.json",
                                  "seed/checkout_finished.json", "bodies/checkout_open_v2.json"])
def test_surcharges_that_add_up_give_no_warning(name: str) -> None:
    assert all(e.warnings == () for e in events(name, POLL))


@pytest.mark.parametrize(("name", "finding"), [
    ("bodies/checkout_finished_v1_mismatch.json",
     "surcharge v1: checkout.order.initial_amount 700 + surcharge_amount 30 = 730, not order "
     "amount 737"),
    ("bodies/checkout_open_v2_mismatch.json",
     "surcharge v2: adjustments.initial_amount 10000 + adjustment_amount 200 = 10200, not "
     "order amount 10300"),
])
def test_surcharge_mismatch_is_a_warning_on_the_decision(name: str, finding: str) -> None:
    checkout = events(name, POLL)[0]
    assert finding in checkout.warnings
    decisions = Orchestrator(ChartSet.bundled()).ingest(
        RawInput("paylink", POLL, payload(name)), ADAPTER)
    assert decisions[0].outcome is Outcome.APPLIED
    assert finding in decisions[0].warnings


def test_transaction_amount_differing_from_order_is_a_warning() -> None:
    body = json.loads(payload("seed/checkout_finished.json"))
    body["checkout"]["gateway_response"]["payment"]["amount"] = 499
    checkout, _ = parse(json.dumps(body).encode(), POLL).events
    assert any("differs from the order amount 5.00 EUR" in w for w in checkout.warnings)


def test_registry_serves_this_adapter() -> None:
    assert get_adapter("paylink") is ADAPTER


# -- never raises -----------------------------------------------------------------------------

_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
_fields = st.fixed_dictionaries({}, optional={
    "uid": _json | st.just("u"), "type": _json | st.sampled_from(["payment", "refund"]),
    "status": _json | st.sampled_from(["successful", "failed"]), "amount": _json,
    "currency": _json | st.just("USD"), "parent_uid": _json, "updated_at": _json,
    "test": _json, "credit_card": _json, "token": _json, "finished": _json, "expired": _json,
    "gateway_response": _json, "order": _json})


@given(fields=_fields, shape=st.sampled_from(["transaction", "checkout", "bare"]),
       channel=st.sampled_from([CB, POLL, Channel.RESPONSE]))
def test_parse_never_raises(fields: dict[str, object], shape: str, channel: Channel) -> None:
    body = fields if shape == "bare" else {shape: fields}
    result = parse(json.dumps(body).encode(), channel)
    assert (result.error is None) != (result.events == ())
