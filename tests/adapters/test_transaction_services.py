"""Transaction services REST adapter: canned payloads → events, checksums, and the issue's
sequences decided end to end through ``validate_file``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from paychart import (
    AdapterContext,
    Channel,
    ChartSet,
    InputError,
    Money,
    Orchestrator,
    Outcome,
    RawInput,
    SignatureStatus,
    load_spec,
)
from paychart.adapters import get_adapter
from paychart.adapters.transaction_services import ADAPTER

FIXTURES = Path(__file__).parent / "fixtures" / "transaction_services"
REAL = FIXTURES / "real"
SPECS = Path(__file__).parents[2] / "specs"
CHART_FILES = sorted(SPECS.glob("transaction_services_*.toml"))
KEY = "ts-test-secure-key"
SECRETS = AdapterContext(secrets={"secure_key": KEY})
PROVIDER = "transaction_services"


def charts() -> ChartSet:
    return ChartSet.from_paths(CHART_FILES)


def raw(body: str | bytes, channel: str = "callback", *, ref: str | None = None,
        operation: str | None = None) -> RawInput:
    data = body.encode() if isinstance(body, str) else body
    return RawInput(PROVIDER, Channel(channel), data, {"Content-Type": "application/json"},
                    ref=ref, operation=operation)


def sign(doc: dict[str, Any], key: str = KEY, amount: str | None = None) -> dict[str, Any]:
    """The platform's checksum, written out independently of the adapter's code."""
    text = "|".join((doc["paymentId"], doc.get("merchantTransactionId", ""),
                     amount if amount is not None else doc.get("amount", ""),
                     doc.get("transactionStatus", ""), key))
    return {**doc, "checksum": hashlib.md5(text.encode()).hexdigest()}


def notification(**fields: Any) -> dict[str, Any]:
    doc = {"paymentId": "500", "status": "capturesuccess", "transactionStatus": "Y",
           "merchantTransactionId": "order-500", "amount": "12.34", "currency": "EUR",
           "result": {"code": "00001", "description": "Transaction succeeded"},
           "card": {"bin": "411111", "lastFourDigits": "1111"},
           "timestamp": "2026-01-10 10:00:00"}
    doc.update(fields)
    return {k: v for k, v in doc.items() if v is not None}


def one_event(result: Any) -> Any:
    assert result.error is None, result.error
    assert len(result.events) == 1
    return result.events[0]


# -- the charts -----------------------------------------------------------------------------

def test_both_charts_pass_the_static_checks_and_cite_sources() -> None:
    assert [p.name for p in CHART_FILES] == ["transaction_services_payment.toml",
                                             "transaction_services_payout.toml"]
    for path in CHART_FILES:
        spec = load_spec(path)
        assert spec.provider == PROVIDER
        assert all(t.source.strip() for t in spec.transitions)
        assert any(note.startswith("Decision") for note in spec.notes)


def test_bundled_chart_set_has_both_charts_and_the_registry_knows_the_adapter() -> None:
    bundled = ChartSet.bundled()
    assert bundled.get(PROVIDER, "payment").initial == "begun"
    assert bundled.get(PROVIDER, "payout").initial == "payoutstarted"
    assert get_adapter(PROVIDER) is ADAPTER


# -- real payloads, byte for byte -----------------------------------------------------------

REAL_CASES = [
    # file, channel, ref, operation → kind, id, trigger, state, money, warning fragment
    ("notification_card_NOTI_CARD.json", "callback", None, None,
     ("payout", "18608029", "payoutsuccessful", "payoutsuccessful", Money(100, "JPY"), None)),
    ("notification_banktransfer_NOTI_BANKTRANS.json", "callback", None, None,
     ("payout", "18000392", "payoutsuccessful", "payoutsuccessful", Money(100001, "VND"),
      "has decimals VND does not have")),
    ("capture_response_CP.json", "response", "54304", "capture",
     ("payment", "54304", "capturesuccess", "capturesuccess", None, "carries no amount")),
    ("capture_response_CP.json", "response", None, None,
     ("payment", "54304", "capturesuccess", "capturesuccess", None, "carries no amount")),
    ("payment_response_DB_paynetics_mock.json", "response", None, None,
     ("payment", "10617", "capturesuccess", "capturesuccess", Money(288, "EUR"),
      "short transactionStatus `P` disagrees with long status `capturesuccess`")),
    ("status_response_paynetics_mock.json", "poll", "10617", "inquiry",
     ("payment", "10617", "capturesuccess", "capturesuccess", Money(2446, "EUR"), None)),
    ("standard_checkout_response_StandardCheckout.json", "response", None, None,
     ("payment", "34464", "authsuccessful", "authsuccessful", Money(5000, "USD"), None)),
]


@pytest.mark.parametrize(("name", "channel", "ref", "operation", "expected"), REAL_CASES)
def test_real_payloads_parse(name: str, channel: str, ref: str | None, operation: str | None,
                             expected: tuple[Any, ...]) -> None:
    body = (REAL / name).read_bytes()
    event = one_event(ADAPTER.parse(raw(body, channel, ref=ref, operation=operation),
                                    AdapterContext()))
    kind, object_id, trigger, state, money, warning = expected
    assert (event.object_kind, event.object_id, event.trigger, event.state) == (
        kind, object_id, trigger, state)
    assert event.money == money
    assert event.signature is SignatureStatus.UNCHECKED
    if warning is None:
        assert event.warnings == ()
    else:
        assert any(warning in w for w in event.warnings), event.warnings


@pytest.mark.parametrize(("name", "channel", "field", "fragment"), [
    ("authtoken_response_paynetics_mock.json", "response", "AuthToken", "not a payment event"),
    ("inquiry_request_IN.json", "request", "paymentType", "inquiry request"),
    ("inquiry_request_IN.json", "poll", "paymentType", "inquiry request"),
])
def test_real_non_events_are_named_not_failed_obscurely(name: str, channel: str, field: str,
                                                        fragment: str) -> None:
    result = ADAPTER.parse(raw((REAL / name).read_bytes(), channel), AdapterContext())
    assert result.events == ()
    assert result.error is not None
    assert result.error.field == field
    assert fragment in result.error.reason


REAL_SHA256 = {
    "authtoken_response_paynetics_mock.json":
        "921259580065414f7294a94200f0d50c43082084313cbf93269c7a1b216fea7d",
    "capture_response_CP.json":
        "cbfcf1ba81965b36e7debaa6cafa30e9c0760cca050c8d7163edb42db06b3fcd",
    "inquiry_request_IN.json":
        "ddae8af74edb98a8639a84f14398292d71d6253f6dbfeccbf191fb2974dfee42",
    "notification_banktransfer_NOTI_BANKTRANS.json":
        "6dd2834d1c10e9d7dcef5ced81763bbcc6b70f4ac1aa8750127b2ba8363a9173",
    "notification_card_NOTI_CARD.json":
        "f4daaf5828ce56acd51a0dbcaca49af4f7315ce477a3b7c8f7bc9354b6f9ed1e",
    "payment_response_DB_paynetics_mock.json":
        "0d061ba6721f92ea041977bf2145b42d1a507a35bbf921eefb8db0f2de9cda18",
    "standard_checkout_response_StandardCheckout.json":
        "53023d153336dceab103aa5f759d8ee16fd79e143a866014669c1b166a2f0ddc",
    "status_response_paynetics_mock.json":
        "feee1b2b15e2aefcc29c7245b3c2cb7229a177cf2af8a0decf29c21d4bc41ed2",
}
"""Digests of the bytes as published when they were copied in: an edit (a reformat, a fixed
typo, a line ending) would make them no longer the platform's."""


def test_real_payloads_are_the_published_bytes() -> None:
    found = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in REAL.iterdir()}
    assert found == REAL_SHA256


def test_real_card_payout_notification_decides_first_sighting() -> None:
    engine = Orchestrator(charts())
    body = (REAL / "notification_card_NOTI_CARD.json").read_bytes()
    (decision,) = engine.ingest(raw(body), ADAPTER, AdapterContext())
    assert decision.outcome is Outcome.APPLIED
    assert decision.history_unknown
    assert decision.to_state == "payoutsuccessful"
    assert decision.canonical is not None and decision.canonical.value == "succeeded"
    assert decision.ledger is not None
    assert decision.ledger.captured == 100
    assert decision.ledger.currency == "JPY"
    (again,) = engine.ingest(raw(body), ADAPTER, AdapterContext())
    assert again.outcome is Outcome.DUPLICATE


def test_real_card_mask_is_remembered_never_more() -> None:
    event = one_event(ADAPTER.parse(raw((REAL / "notification_card_NOTI_CARD.json")
                                        .read_bytes()), AdapterContext()))
    kept = dict(event.remember)
    assert kept["card_bin"] == "444433"
    assert kept["card_last4"] == "1111"
    assert kept["merchant_transaction_id"] == "Payout-JPY-1"
    assert not any(len(v) >= 12 and v.isdigit() for v in kept.values())


# -- synthetic payloads: table payload → event ---------------------------------------------

def _pa(**extra: Any) -> dict[str, Any]:
    return {"paymentId": "600", "paymentType": "PA", "amount": "10.00", "currency": "EUR",
            "merchantTransactionId": "m-600", "result": {"code": "00001"},
            "transactionStatus": "Y", "timestamp": "2026-01-10 10:00:00", **extra}


EVENT_CASES = [
    # body, channel, ref, operation → trigger, state, kind, object id, money
    (_pa(), "response", None, None, ("authsuccessful", "authsuccessful", "payment", "600",
                                     Money(1000, "EUR"))),
    (_pa(paymentType="DB"), "response", None, None,
     ("capturesuccess", "capturesuccess", "payment", "600", Money(1000, "EUR"))),
    (_pa(result={"code": "10001"}, transactionStatus="N"), "response", None, None,
     ("authfailed", "authfailed", "payment", "600", Money(1000, "EUR"))),
    (_pa(paymentType="CP", amount="4.00", paymentId="601"), "response", "600", "capture",
     ("capturesuccess", "capturesuccess", "payment", "600", Money(400, "EUR"))),
    (_pa(paymentType="CP", result={"code": "10001"}, transactionStatus="N"), "response", "600",
     None, ("capturefailed", "capturefailed", "payment", "600", Money(1000, "EUR"))),
    (_pa(paymentType="RV", result={"code": "00006"}, transactionStatus="C"), "response", "600",
     None, ("authcancelled", "authcancelled", "payment", "600", Money(1000, "EUR"))),
    (_pa(paymentType="RV", result={"code": "10001"}, transactionStatus="N"), "response", "600",
     None, ("cancelfailed", None, "payment", "600", Money(1000, "EUR"))),
    (_pa(paymentType="RF", result={"code": "00005"}), "response", "600", None,
     ("reversed", None, "payment", "600", Money(1000, "EUR"))),
    (_pa(paymentType="RF", result={"code": "10001"}, transactionStatus="N"), "response", "600",
     None, ("refundfailed", None, "payment", "600", Money(1000, "EUR"))),
    ({"paymentId": "602", "result": {"code": "00005"}, "amount": "1.00", "currency": "EUR"},
     "response", "600", None, ("reversed", None, "payment", "600", Money(100, "EUR"))),
    (_pa(paymentType="PO"), "response", None, None,
     ("payoutsuccessful", "payoutsuccessful", "payout", "600", Money(1000, "EUR"))),
    (_pa(paymentType="PO", status="payoutstarted", transactionStatus="P"), "response", None,
     None, ("payoutstarted", "payoutstarted", "payout", "600", Money(1000, "EUR"))),
    (notification(status="chargeback"), "callback", None, None,
     ("chargeback", "chargeback", "payment", "500", Money(1234, "EUR"))),
    (notification(status="partialrefund"), "poll", None, None,
     ("partialrefund", "partialrefund", "payment", "500", Money(1234, "EUR"))),
    (notification(status="authstarted_3D", transactionStatus="3D"), "callback", None, None,
     ("authstarted_3D", "authstarted_3D", "payment", "500", Money(1234, "EUR"))),
    (notification(status="payoutfailed", transactionStatus="N"), "callback", None, None,
     ("payoutfailed", "payoutfailed", "payout", "500", Money(1234, "EUR"))),
    (notification(amount="1500.00", currency="JPY"), "callback", None, None,
     ("capturesuccess", "capturesuccess", "payment", "500", Money(1500, "JPY"))),
    (notification(amount="1.234", currency="KWD"), "callback", None, None,
     ("capturesuccess", "capturesuccess", "payment", "500", Money(1234, "KWD"))),
]


@pytest.mark.parametrize(("doc", "channel", "ref", "operation", "expected"), EVENT_CASES)
def test_payload_to_event(doc: dict[str, Any], channel: str, ref: str | None,
                          operation: str | None, expected: tuple[Any, ...]) -> None:
    event = one_event(ADAPTER.parse(raw(json.dumps(doc), channel, ref=ref,
                                        operation=operation), AdapterContext()))
    assert (event.trigger, event.state, event.object_kind, event.object_id,
            event.money) == expected
    assert event.channel is Channel(channel)
    assert event.warnings == ()


def test_three_d_secure_redirect_is_the_next_customer_action() -> None:
    doc = _pa(transactionStatus="3D", redirect={
        "url": "https://acs.example/pareq", "method": "post",
        "parameters": [{"name": "PaReq", "value": "abc"}, {"name": "MD", "value": "m1"}]})
    event = one_event(ADAPTER.parse(raw(json.dumps(doc), "response"), AdapterContext()))
    assert event.trigger == "authstarted_3D"
    assert event.customer_action is not None
    assert event.customer_action.url == "https://acs.example/pareq"
    assert event.customer_action.method == "POST"
    assert event.customer_action.params == (("PaReq", "abc"), ("MD", "m1"))


def test_operation_id_differing_from_the_url_id_is_kept_and_separates_dedupe_keys() -> None:
    first = one_event(ADAPTER.parse(raw(json.dumps(_pa(paymentType="RF", paymentId="701",
                                                       result={"code": "00005"})),
                                        "response", ref="600"), AdapterContext()))
    second = one_event(ADAPTER.parse(raw(json.dumps(_pa(paymentType="RF", paymentId="702",
                                                        result={"code": "00005"})),
                                         "response", ref="600"), AdapterContext()))
    assert first.object_id == second.object_id == "600"
    assert first.fact("operation_id") == "701"
    assert first.dedupe_key != second.dedupe_key


def test_dedupe_key_ignores_the_channel_and_sequence_is_the_timestamp() -> None:
    body = json.dumps(notification())
    by_callback = one_event(ADAPTER.parse(raw(body, "callback"), AdapterContext()))
    by_poll = one_event(ADAPTER.parse(raw(body, "poll"), AdapterContext()))
    assert by_callback.dedupe_key == by_poll.dedupe_key
    assert by_callback.sequence == 1768039200


def test_notification_whose_long_status_contradicts_the_short_code_is_invalid_naming_both(
        ) -> None:
    result = ADAPTER.parse(raw(json.dumps(notification(transactionStatus="N"))),
                           AdapterContext())
    assert result.error is not None
    assert result.error.field == "status"
    assert "`N`" in result.error.reason
    assert "`capturesuccess`" in result.error.reason


@pytest.mark.parametrize("short", ["C", "P", "Y"])
def test_cancel_short_codes_the_sources_disagree_on_are_all_accepted(short: str) -> None:
    event = one_event(ADAPTER.parse(raw(json.dumps(notification(
        status="authcancelled", transactionStatus=short))), AdapterContext()))
    assert event.warnings == ()


def test_recurring_repeated_payment_remembers_its_initial_one() -> None:
    doc = _pa(paymentType="DB", paymentId="801", recurringType="REPEATED")
    event = one_event(ADAPTER.parse(raw(json.dumps(doc), "response", ref="800"),
                                    AdapterContext()))
    assert event.object_id == "801"
    assert dict(event.remember)["initial_payment_id"] == "800"
    assert dict(event.remember)["recurring_type"] == "REPEATED"
    assert event.fact("recurring_type") == "REPEATED"


@pytest.mark.parametrize(("body", "channel", "field", "fragment"), [
    (json.dumps(notification(status="authorised")), "callback", "status", "'authorised'"),
    (json.dumps(notification(status=None)), "callback", "status", "missing"),
    (json.dumps(_pa(result={"code": "99999"})), "response", "result.code", "'99999'"),
    (json.dumps(_pa(paymentType="ZZ")), "response", "paymentType", "'ZZ'"),
    (json.dumps({"paymentId": "9", "result": {"code": "00001"}}), "response", "paymentType",
     "missing"),
    (json.dumps(_pa(paymentType="IN")), "response", "result.code", "IN"),
    (json.dumps(_pa(result=None)), "response", "result.code", "missing"),
    (json.dumps(_pa(paymentId=None)), "response", "paymentId", "missing"),
    (json.dumps(_pa(currency=None)), "response", "currency", "missing"),
    (json.dumps(_pa(currency="XYZ")), "response", "currency", "XYZ"),
    (json.dumps(_pa(amount="1.999")), "response", "amount", "1.999"),
    (json.dumps(_pa(amount="ten")), "response", "amount", "ten"),
    (json.dumps(_pa(recurringType="SOMETIMES")), "response", "recurringType", "SOMETIMES"),
    (json.dumps(notification(status="settled", paymentType="PO")), "callback", "status",
     "not a payout status"),
    ("not json", "callback", "body", "not JSON"),
    (b"\xff\xfe", "callback", "body", "UTF-8"),
    ("[1, 2]", "callback", "body", "JSON object"),
    (json.dumps(_pa()), "request", "channel", "merchant request"),
    (json.dumps(_pa()), "timer", "channel", "timer"),
    (json.dumps(_pa()), "response", "operation", "'launch'"),
])
def test_bad_input_is_invalid_naming_the_field(body: str | bytes, channel: str, field: str,
                                               fragment: str) -> None:
    operation = "launch" if field == "operation" else None
    doc_body = body
    if field == "operation":
        doc_body = json.dumps({k: v for k, v in json.loads(body).items() if k != "paymentType"})
    result = ADAPTER.parse(raw(doc_body, channel, operation=operation), AdapterContext())
    assert result.events == ()
    assert result.error is not None
    assert result.error.field == field
    assert fragment in result.error.reason
    assert result.error.provider == PROVIDER


# -- checksums ------------------------------------------------------------------------------

def test_valid_checksum() -> None:
    body = json.dumps(sign(notification()))
    assert one_event(ADAPTER.parse(raw(body), SECRETS)).signature is SignatureStatus.VALID


def test_uppercase_checksum_is_the_same_digest() -> None:
    doc = sign(notification())
    doc["checksum"] = doc["checksum"].upper()
    assert one_event(ADAPTER.parse(raw(json.dumps(doc)), SECRETS)).signature is (
        SignatureStatus.VALID)


@pytest.mark.parametrize("tamper", ["amount", "transactionStatus", "paymentId",
                                    "merchantTransactionId"])
def test_tampered_body_fails_the_checksum(tamper: str) -> None:
    doc = sign(notification())
    doc[tamper] = {"amount": "99.99", "transactionStatus": "N", "paymentId": "501",
                   "merchantTransactionId": "other"}[tamper]
    result = ADAPTER.parse(raw(json.dumps(doc)), SECRETS)
    assert result.error is not None
    assert (result.error.field, result.error.reason) == ("checksum", "does not verify")


def test_wrong_secret_fails_and_the_secret_is_never_in_the_error() -> None:
    body = json.dumps(sign(notification(), key="another-key"))
    result = ADAPTER.parse(raw(body), SECRETS)
    assert result.error is not None
    assert result.error.field == "checksum"
    assert KEY not in str(result.error)
    assert KEY not in repr(SECRETS)


def test_missing_checksum_on_a_notification_is_invalid() -> None:
    result = ADAPTER.parse(raw(json.dumps(notification())), SECRETS)
    assert result.error is not None
    assert (result.error.field, result.error.reason) == ("checksum",
                                                         "missing from the notification")


def test_missing_checksum_on_a_response_is_absent() -> None:
    event = one_event(ADAPTER.parse(raw(json.dumps(_pa()), "response"), SECRETS))
    assert event.signature is SignatureStatus.ABSENT


def test_non_hex_checksum_invalid_on_a_callback_unchecked_on_a_response() -> None:
    body = (REAL / "standard_checkout_response_StandardCheckout.json").read_bytes()
    event = one_event(ADAPTER.parse(raw(body, "response"), SECRETS))
    assert event.signature is SignatureStatus.UNCHECKED
    assert any("not an md5 hex digest" in w for w in event.warnings)
    result = ADAPTER.parse(raw(body, "callback"), SECRETS)
    assert result.error is not None
    assert result.error.field == "checksum"


def test_no_secrets_means_unchecked() -> None:
    body = json.dumps(sign(notification(), key="whatever"))
    assert one_event(ADAPTER.parse(raw(body), AdapterContext())).signature is (
        SignatureStatus.UNCHECKED)


def test_secrets_table_without_secure_key_is_named() -> None:
    result = ADAPTER.parse(raw(json.dumps(sign(notification()))),
                           AdapterContext(secrets={"member_id": "1"}))
    assert result.error is not None
    assert result.error.field == "secrets"
    assert "secure_key" in result.error.reason


def test_jpy_checksum_uses_the_integer_amount() -> None:
    doc = notification(amount="100.00", currency="JPY")
    good = json.dumps(sign(doc, amount="100"))
    as_shown = json.dumps(sign(doc, amount="100.00"))
    assert one_event(ADAPTER.parse(raw(good), SECRETS)).signature is SignatureStatus.VALID
    assert ADAPTER.parse(raw(as_shown), SECRETS).error is not None


def test_eur_checksum_uses_the_amount_as_sent() -> None:
    doc = notification(amount="100.00", currency="EUR")
    assert one_event(ADAPTER.parse(raw(json.dumps(sign(doc))), SECRETS)).signature is (
        SignatureStatus.VALID)
    assert ADAPTER.parse(raw(json.dumps(sign(doc, amount="100"))), SECRETS).error is not None


def test_checksum_is_compared_in_constant_time(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[bytes, bytes]] = []

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return a == b

    monkeypatch.setattr("paychart.adapters.transaction_services.signature.hmac.compare_digest",
                        spy)
    one_event(ADAPTER.parse(raw(json.dumps(sign(notification()))), SECRETS))
    assert len(calls) == 1


def test_channel_entry_points_take_bytes_and_headers() -> None:
    from paychart.adapters.transaction_services.parse import (
        parse_callback,
        parse_poll,
        parse_response,
    )
    headers = {"Content-Type": "application/json"}
    signed = json.dumps(sign(notification())).encode()
    callback = one_event(parse_callback(signed, headers, SECRETS))
    assert (callback.channel, callback.signature) == (Channel.CALLBACK, SignatureStatus.VALID)
    poll = one_event(parse_poll(signed, headers, SECRETS))
    assert (poll.channel, poll.dedupe_key) == (Channel.POLL, callback.dedupe_key)
    response = one_event(parse_response(json.dumps(_pa()).encode(), headers, AdapterContext()))
    assert (response.channel, response.trigger) == (Channel.RESPONSE, "authsuccessful")
    # a parser raises; ``ADAPTER.parse`` turns the error into the result
    with pytest.raises(InputError) as unsigned:
        parse_callback(json.dumps(notification()).encode(), headers, SECRETS)
    assert unsigned.value.field == "checksum"
