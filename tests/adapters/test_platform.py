"""The platform adapter: status table, real vendor samples, hash formulas and signatures."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart.adapter import AdapterContext, ParseResult, RawInput
from paychart.adapters import get_adapter
from paychart.adapters.platform import ADAPTER
from paychart.adapters.platform.parse import REPLY, parse_callback, parse_poll, parse_response
from paychart.adapters.platform.signature import (
    CardDigits,
    callback_hash,
    card_digits,
    payout_callback_hash,
    request_hash,
)
from paychart.adapters.platform.vocab import Status
from paychart.event import Channel, Event, SignatureStatus
from paychart.loader import load_spec
from paychart.money import Money

FIXTURES = Path(__file__).parent / "fixtures" / "platform"
REAL = FIXTURES / "real"
SPECS = Path(__file__).parents[2] / "specs"
PASSWORD = "t3st-p4ssword-0001"
EMAIL = "doe@example.com"
TRANS = "aaaff66a-904f-11ea-833e-0242ac1f0007"
SECRETS = {"password": PASSWORD}
KEPT = {"payer_email": EMAIL, "card_first6": "411111", "card_last4": "1111", "currency": "USD"}


def _md5(text: str) -> str:
    """An independent rendering of the callback formula for the test card and email."""
    return hashlib.md5(text.encode().upper()).hexdigest()


def genuine_hash(trans_id: str = TRANS, password: str = PASSWORD) -> str:
    return _md5(EMAIL[::-1] + password + trans_id + "1111111114")


def form(**fields: str) -> bytes:
    fields.setdefault("trans_id", TRANS)
    fields.setdefault("order_id", "ORDER-1")
    if "hash" not in fields:
        fields["hash"] = genuine_hash(fields["trans_id"])
    return urlencode(fields).encode()


def context(secrets: dict[str, str] | None = None,
            kept: dict[str, str] | None = None) -> AdapterContext:
    facts = KEPT if kept is None else kept
    return AdapterContext(SECRETS if secrets is None else secrets, lambda _k, _i: facts)


def parse(channel: Channel, body: bytes, ctx: AdapterContext | None = None,
          ref: str | None = None) -> ParseResult:
    return ADAPTER.parse(RawInput("platform", channel, body, ref=ref), ctx or context())


def one(channel: Channel, body: bytes, ctx: AdapterContext | None = None) -> Event:
    result = parse(channel, body, ctx)
    assert result.error is None, result.error
    (event,) = result.events
    return event


def test_registered_under_platform():
    assert get_adapter("platform") is ADAPTER
    assert ADAPTER.provider == "platform"


# -- the table: payload → expected event ------------------------------------------------------

CB, RESP, POLL = Channel.CALLBACK, Channel.RESPONSE, Channel.POLL


def js(**fields: object) -> bytes:
    fields.setdefault("trans_id", TRANS)
    return json.dumps(fields).encode()


TABLE = [
    # (id, channel, body, kind, trigger, state, amount minor or None)
    ("sale settled", RESP, js(action="SALE", result="SUCCESS", status="SETTLED", amount="1.99",
                              currency="USD"), "transaction", "sale_settled", "SETTLED", 199),
    ("sale auth=Y", RESP, js(action="SALE", result="SUCCESS", status="PENDING", amount="1.99",
                             currency="USD"), "transaction", "sale_authorized", "PENDING", 199),
    ("sale 3ds", RESP, js(action="SALE", result="REDIRECT", status="3DS"), "transaction",
     "sale_3ds", "3DS", None),
    ("sale redirect", RESP, js(action="SALE", result="REDIRECT", status="REDIRECT"),
     "transaction", "sale_redirect", "REDIRECT", None),
    ("sale undefined", RESP, js(action="SALE", result="UNDEFINED", status="PREPARE"),
     "transaction", "sale_undefined", "PREPARE", None),
    ("sale declined", RESP, js(action="SALE", result="DECLINED", status="DECLINED"),
     "transaction", "sale_declined", "DECLINED", None),
    ("sale callback", CB, form(action="SALE", result="SUCCESS", status="SETTLED",
                               amount="10.00", currency="EUR"),
     "transaction", "sale_settled", "SETTLED", 1000),
    ("recurring sale", RESP, js(action="RECURRING_SALE", result="SUCCESS", status="SETTLED",
                                amount="0.02", currency="USD"),
     "transaction", "sale_settled", "SETTLED", 2),
    ("capture", RESP, js(action="CAPTURE", result="SUCCESS", status="SETTLED", amount="1.00",
                         currency="USD"), "transaction", "capture_settled", "SETTLED", 100),
    ("capture declined", CB, form(action="CAPTURE", result="DECLINED", status="PENDING"),
     "transaction", "capture_declined", "PENDING", None),
    ("capture undefined", RESP, js(action="CAPTURE", result="UNDEFINED", status="PENDING"),
     "transaction", "undefined", None, None),
    ("creditvoid accepted", RESP, js(action="CREDITVOID", result="ACCEPTED", status="SETTLED"),
     "transaction", "refund_accepted", "SETTLED", None),
    ("reversal accepted", RESP, js(action="CREDITVOID", result="ACCEPTED", status="PENDING"),
     "transaction", "reversal_accepted", "PENDING", None),
    ("creditvoid waiting", CB, form(action="CREDITVOID", result="WAITING", status="SETTLED",
                                    amount="1.00", currency="USD"),
     "transaction", "refund_waiting", "SETTLED", 100),
    ("creditvoid reversal", CB, form(action="CREDITVOID", result="SUCCESS", status="REVERSAL"),
     "transaction", "creditvoid_reversal", "REVERSAL", None),
    ("creditvoid full refund", CB, form(action="CREDITVOID", result="SUCCESS", status="REFUND",
                                        amount="1.99", currency="USD"),
     "transaction", "creditvoid_refund", "REFUND", 199),
    ("creditvoid partial refund", CB, form(action="CREDITVOID", result="SUCCESS",
                                           status="SETTLED", amount="0.50"),
     "transaction", "creditvoid_refund", "SETTLED", 50),
    ("creditvoid declined", CB, form(action="CREDITVOID", result="DECLINED", status="SETTLED"),
     "transaction", "refund_declined", "SETTLED", None),
    ("reversal declined", CB, form(action="CREDITVOID", result="DECLINED", status="PENDING"),
     "transaction", "reversal_declined", "PENDING", None),
    ("void", RESP, js(action="VOID", result="SUCCESS", status="VOID"), "transaction",
     "void_success", "VOID", None),
    ("void declined", RESP, js(action="VOID", result="DECLINED", status="SETTLED"),
     "transaction", "void_declined", "SETTLED", None),
    ("retry accepted", RESP, js(action="RETRY", result="ACCEPTED"), "transaction",
     "retry_accepted", None, None),
    ("retry settled", CB, form(action="RETRY", result="SUCCESS", status="SETTLED"),
     "transaction", "retry_settled", "SETTLED", None),
    ("retry declined", CB, form(action="RETRY", result="DECLINED", status="DECLINED"),
     "transaction", "retry_declined", "DECLINED", None),
    ("status settled", POLL, js(action="GET_TRANS_STATUS", result="SUCCESS", status="SETTLED"),
     "transaction", "status_settled", "SETTLED", None),
    ("status refund", POLL, js(action="GET_TRANS_STATUS", result="SUCCESS", status="REFUND",
                               amount="9.99", currency="USD"),
     "transaction", "creditvoid_refund", "REFUND", None),
    ("status by order", POLL, js(action="GET_TRANS_STATUS_BY_ORDER", result="SUCCESS",
                                 status="PENDING"),
     "transaction", "sale_authorized", "PENDING", None),
    ("details", POLL, js(action="GET_TRANS_DETAILS", result="SUCCESS", status="SETTLED",
                         amount="0.02", currency="USD"),
     "transaction", "status_settled", "SETTLED", 2),
    ("payout", RESP, js(action="CREDIT2CARD", result="SUCCESS", status="SETTLED"), "payout",
     "payout_settled", "SETTLED", None),
    ("chargeback", CB, form(action="CHARGEBACK", result="SUCCESS", status="CHARGEBACK",
                            amount="1.99", chargeback_date="2026-03-01"),
     "transaction", "chargeback", "CHARGEBACK", 199),
    ("second presentment", CB, form(action="SECOND_PRESENTMENT", result="SUCCESS",
                                    status="SECOND_PRESENTMENT"),
     "transaction", "second_presentment", "SECOND_PRESENTMENT", None),
    ("second chargeback", CB, form(action="SECOND_CHARGEBACK", result="SUCCESS",
                                   status="SECOND_CHARGEBACK", amount="1.00"),
     "transaction", "second_chargeback", "SECOND_CHARGEBACK", 100),
    ("arbitration", CB, form(action="ARBITRATION", result="SUCCESS", status="ARBITRATION"),
     "transaction", "arbitration", "ARBITRATION", None),
    ("arbitration won", CB, form(action="ARBITRATION_WON", result="SUCCESS",
                                 status="ARBITRATION_WON"),
     "transaction", "arbitration_won", "ARBITRATION_WON", None),
    ("arbitration lost", CB, form(action="ARBITRATION_LOST", result="SUCCESS",
                                  status="ARBITRATION_LOST"),
     "transaction", "arbitration_lost", "ARBITRATION_LOST", None),
    ("arbitration decided", CB, form(action="ARBITRATION", result="SUCCESS",
                                     status="ARBITRATION_WON"),
     "transaction", "arbitration_won", "ARBITRATION_WON", None),
    ("chargeback reversal", CB, form(action="CHARGEBACK_REVERSAL", result="SUCCESS",
                                     status="SETTLED"),
     "transaction", "chargeback_reversal", "SETTLED", None),
    ("second presentment reversal", CB, form(action="SECOND_PRESENTMENT_REVERSAL",
                                             result="SUCCESS", status="CHARGEBACK"),
     "transaction", "second_presentment_reversal", "CHARGEBACK", None),
    ("second chargeback reversal", CB, form(action="SECOND_CHARGEBACK_REVERSAL",
                                            result="SUCCESS", status="SECOND_PRESENTMENT"),
     "transaction", "second_chargeback_reversal", "SECOND_PRESENTMENT", None),
    ("arbitration reversal", CB, form(action="ARBITRATION_REVERSAL", result="SUCCESS",
                                      status="ARBITRATION_REVERSAL"),
     "transaction", "arbitration_reversal", "ARBITRATION_REVERSAL", None),
]


@pytest.mark.parametrize(("channel", "body", "kind", "trigger", "state", "amount"),
                         [row[1:] for row in TABLE], ids=[row[0] for row in TABLE])
def test_table(channel, body, kind, trigger, state, amount):
    ctx = context(kept={**KEPT, "currency": "USD"})
    event = one(channel, body, ctx)
    assert (event.object_kind, event.object_id, event.trigger, event.state) == (
        kind, TRANS, trigger, state)
    assert (event.money.amount if event.money else None) == amount
    assert event.channel is channel
    if channel is CB and kind == "transaction":
        assert event.signature is SignatureStatus.VALID
    else:
        assert event.signature is SignatureStatus.ABSENT


def test_every_table_trigger_is_a_chart_edge():
    spec = load_spec(SPECS / "platform_transaction.toml")
    triggers = {t.trigger for t in spec.transitions}
    used = {row[4] for row in TABLE if row[3] == "transaction"} - {"undefined"}
    assert used <= triggers
    assert {s.value for s in Status} <= set(spec.states)


def test_dispute_callback_currency_comes_from_the_transaction():
    body = form(action="CHARGEBACK", result="SUCCESS", status="CHARGEBACK", amount="2.50")
    event = one(CB, body, context(kept={**KEPT, "currency": "EUR"}))
    assert event.money == Money(250, "EUR")
    dropped = one(CB, body, context(kept={k: v for k, v in KEPT.items() if k != "currency"}))
    assert dropped.money is None
    assert any("no currency" in w for w in dropped.warnings)


def test_dedupe_key_ignores_the_channel():
    fields = {"action": "SALE", "result": "SUCCESS", "status": "SETTLED", "amount": "1.99",
              "currency": "USD", "trans_date": "2026-01-01 10:00:00"}
    response = one(RESP, js(**fields))
    callback = one(CB, form(**fields))
    assert response.dedupe_key == callback.dedupe_key
    assert response.sequence == callback.sequence == 20260101100000
    later = one(CB, form(**{**fields, "trans_date": "2026-01-01 10:00:01"}))
    assert later.dedupe_key != callback.dedupe_key


def test_redirect_is_the_next_customer_action():
    event = one(RESP, (REAL / "sale_response_3ds_redirect.json").read_bytes())
    action = event.customer_action
    assert action is not None
    assert (action.url, action.method) == ("https://some.acs.endpoint.com", "POST")
    assert dict(action.params)["MD"] == "595ceeea-9062-11ea-aa1b-0242ac1f0007"
    assert set(dict(action.params)) == {"PaReq", "MD", "TermUrl"}
    nested = one(CB, form(action="SALE", result="REDIRECT", status="3DS",
                          redirect_url="https://acs.example", redirect_method="post",
                          **{"redirect_params[PaReq]": "abc", "redirect_params[MD]": "md1"}))
    assert nested.customer_action is not None
    assert nested.customer_action.method == "POST"
    assert nested.customer_action.params == (("PaReq", "abc"), ("MD", "md1"))


def test_nested_custom_data_is_parsed():
    event = one(CB, form(action="SALE", result="SUCCESS", status="SETTLED",
                         **{"custom_data[basket]": "42", "custom_data[ref]": "x"}))
    assert event.trigger == "sale_settled"


def test_callback_reply_is_ok_and_responses_have_none():
    assert parse(CB, form(action="SALE", result="SUCCESS", status="SETTLED")).reply == REPLY
    assert REPLY == "OK"
    assert parse(RESP, js(action="SALE", result="SUCCESS", status="SETTLED")).reply is None
    assert parse(CB, form(action="SALE", result="SUCCESS", status="SETTLED",
                          hash="0" * 32)).reply is None


# -- real vendor samples ------------------------------------------------------------------------

REAL_EXPECTED = {
    # file: (channel, kind, trigger, state, amount) or (channel, error field)
    "credit2card_response_declined.json": (RESP, "payout", "payout_declined", "DECLINED", None),
    "credit2card_response_success.json": (RESP, "payout", "payout_settled", "SETTLED", None),
    "credit2card_response_undefined.json": (RESP, "payout", "payout_undefined", "PREPARE", None),
    "creditvoid_response_accepted.json": (RESP, "transaction", "refund_accepted", None,
                                          None),
    "error_response_validation.json": (RESP, "refused"),
    "get_trans_details_response.json": (POLL, "transaction", "status_settled", "SETTLED",
                                        Money(2, "USD")),
    "get_trans_status_by_order_response.json": (POLL, "transaction", "status_settled",
                                                "SETTLED", None),
    "get_trans_status_response.json": (POLL, "transaction", "status_settled", "SETTLED", None),
    "recurring_sale_response_success.json": (RESP, "transaction", "sale_settled", "SETTLED",
                                             Money(2, "USD")),
    "sale_callback_async_success.urlencoded.txt": (CB, "transaction", "sale_settled", "SETTLED",
                                                   Money(1000, "EUR")),
    "sale_response_3ds_redirect.json": (RESP, "transaction", "sale_3ds", "3DS", Money(2, "USD")),
    "sale_response_3ds_redirect_empty_params.json": (RESP, "transaction", "sale_3ds", "3DS",
                                                     Money(2, "USD")),
    "sale_response_declined.json": (RESP, "transaction", "sale_declined", "DECLINED", None),
    "sale_response_error_short.json": (RESP, "refused"),
    "sale_response_success.json": (RESP, "transaction", "sale_settled", "SETTLED",
                                   Money(2, "USD")),
}


def test_every_real_payload_is_covered():
    assert {p.name for p in REAL.iterdir()} == set(REAL_EXPECTED)


@pytest.mark.parametrize("name", sorted(REAL_EXPECTED))
def test_real_payload(name):
    expected = REAL_EXPECTED[name]
    channel = expected[0]
    operation = "refund" if name.startswith("creditvoid") else None
    result = ADAPTER.parse(RawInput("platform", channel, (REAL / name).read_bytes(),
                                    operation=operation), AdapterContext())
    if len(expected) == 2:  # the vendor's ERROR answer: the merchant's call was refused
        assert result.error is None, result.error
        (refusal,) = result.events
        assert (refusal.trigger, refusal.object_id) == ("refused", "")
        assert refusal.refusal is not None and refusal.refusal.startswith("ERROR")
        return
    assert result.error is None, result.error
    (event,) = result.events
    assert (event.object_kind, event.trigger, event.state, event.money) == expected[1:]
    assert event.signature in (SignatureStatus.ABSENT, SignatureStatus.UNCHECKED)


def test_real_error_shape_lists_every_detail():
    (refusal,) = parse(RESP, (REAL / "error_response_validation.json").read_bytes()).events
    reason = refusal.refusal
    assert reason is not None
    assert "ERROR 100000: Request data is invalid." in reason
    assert "payer_email: This value should not be blank." in reason
    assert reason.count("should not be blank") == 18
    (short,) = parse(RESP, (REAL / "sale_response_error_short.json").read_bytes()).events
    assert short.refusal is not None and "Error description" in short.refusal


def test_real_callback_masked_card_keeps_first_six_last_four():
    event = one(CB, (REAL / "sale_callback_async_success.urlencoded.txt").read_bytes(),
                AdapterContext())
    assert event.signature is SignatureStatus.UNCHECKED
    assert dict(event.remember)["card_first6"] == "411111"
    assert dict(event.remember)["card_last4"] == "1111"
    assert event.sequence == 20221026115153


def test_real_details_remembers_email_and_card_digits():
    event = one(POLL, (REAL / "get_trans_details_response.json").read_bytes(), AdapterContext())
    kept = dict(event.remember)
    assert kept == {"currency": "USD", "card_first6": "522864", "card_last4": "0691",
                    "payer_email": "test@gmail.com"}


# -- hash formulas -------------------------------------------------------------------------------

def test_published_request_vector():
    card = card_digits("4111111111111111")
    assert card == CardDigits("411111", "1111")
    assert request_hash("doe@example.com", "13a4822c5907ed235f3a068c76184fc3",
                        card) == "2702ae0c4f99506dc29b5615ba9ee3c0"


# Own vectors, computed once with hashlib on bytes: a non-ASCII email checks that upper-casing
# is ASCII-only (PHP strtoupper) and that strrev reverses bytes.
OWN = CardDigits("555555", "4444")
OWN_EMAIL = "jörg.doe@example.com"
OWN_TRANS = "aaaff66a-904f-11ea-833e-0242ac1f0007"


@pytest.mark.parametrize(("algorithm", "formula", "expected"), [
    ("md5", "request", "55176f5a20621bb378b5392e3dd27fcb"),
    ("sha256", "request", "51ac5444bc85f76319025a08ddd5d2dedb82615f4f7a17bb91d1a5117b822b6c"),
    ("md5", "callback", "0dac9722d5ca9cbcb53c9bb15981071a"),
    ("sha256", "callback", "1185d1a8fbb89799c0aa7defe5262357482b89a45366cd64d337d471b2aa9d5b"),
    ("md5", "payout", "2e4211a23fe3a853d54227356fff4fad"),
    ("sha256", "payout", "118c76f118d523901a3cedf6ab7b8ca4d15200807d1b8316194159e953ba2ead"),
])
def test_own_vectors(algorithm, formula, expected):
    if formula == "request":
        got = request_hash(OWN_EMAIL, "pw-Secret", OWN, algorithm)
    elif formula == "callback":
        got = callback_hash(OWN_EMAIL, "pw-Secret", OWN_TRANS, OWN, algorithm)
    else:
        got = payout_callback_hash("pw-Secret", OWN_TRANS, OWN, algorithm)
    assert got == expected


def test_upper_casing_is_ascii_only():
    naive = hashlib.md5((OWN_EMAIL[::-1] + "pw-Secret" + OWN.joined[::-1]).upper()
                        .encode()).hexdigest()
    assert request_hash(OWN_EMAIL, "pw-Secret", OWN) != naive


@pytest.mark.parametrize(("card", "expected"), [
    ("4111111111111111", CardDigits("411111", "1111")),
    ("4111111****11111", CardDigits("411111", "1111")),
    ("522864******0691", CardDigits("522864", "0691")),
    ("4111****1111", None),
    ("", None),
    (None, None),
])
def test_card_digits(card, expected):
    assert card_digits(card) == expected


# -- signatures -----------------------------------------------------------------------------------

SALE_CB = {"action": "SALE", "result": "SUCCESS", "status": "SETTLED", "amount": "1.00",
           "currency": "USD"}


def _signature_error(body: bytes, ctx: AdapterContext) -> str:
    result = parse(CB, body, ctx)
    assert result.error is not None
    assert result.error.field == "signature"
    assert PASSWORD not in result.error.reason
    return result.error.reason


def test_valid_signature():
    assert one(CB, form(**SALE_CB)).signature is SignatureStatus.VALID


def test_upper_case_hex_is_accepted():
    body = form(**SALE_CB, hash=genuine_hash().upper())
    assert one(CB, body).signature is SignatureStatus.VALID


def test_tampered_body():
    body = form(**SALE_CB).replace(TRANS.encode(), b"bbbff66a-904f-11ea-833e-0242ac1f0007")
    assert "does not match" in _signature_error(body, context())


def test_amount_and_status_are_not_covered_by_the_hash():
    """A protocol fact worth knowing: the formula signs email, trans_id and card only."""
    tampered = form(**{**SALE_CB, "amount": "999.00", "status": "SETTLED"},
                    hash=genuine_hash())
    assert one(CB, tampered).signature is SignatureStatus.VALID


def test_wrong_secret():
    assert "does not match" in _signature_error(form(**SALE_CB),
                                                context({"password": "other"}))


def test_missing_hash():
    body = urlencode({**SALE_CB, "trans_id": TRANS}).encode()
    assert "no `hash`" in _signature_error(body, context())


def test_unknown_payer_email_cannot_be_verified():
    reason = _signature_error(form(**SALE_CB), context(kept={}))
    assert "payer email" in reason and "SALE request was not seen" in reason
    kept_card_only = {"card_first6": "411111", "card_last4": "1111"}
    assert "payer email" in _signature_error(form(**SALE_CB), context(kept=kept_card_only))
    email_only = {"payer_email": EMAIL}
    assert "card digits" in _signature_error(form(**SALE_CB), context(kept=email_only))


def test_card_digits_fall_back_to_the_masked_card_of_the_callback():
    event = one(CB, form(**SALE_CB, card="411111****1111"),
                context(kept={"payer_email": EMAIL}))
    assert event.signature is SignatureStatus.VALID


def test_no_secrets_means_unchecked_or_absent():
    assert one(CB, form(**SALE_CB), context({})).signature is SignatureStatus.UNCHECKED
    unsigned = urlencode({**SALE_CB, "trans_id": TRANS}).encode()
    assert one(CB, unsigned, context({})).signature is SignatureStatus.ABSENT


def test_sha256_account():
    digest = hashlib.sha256((EMAIL[::-1] + PASSWORD + TRANS + "1111111114").encode().upper())
    body = form(**SALE_CB, hash=digest.hexdigest())
    ctx = context({"password": PASSWORD, "hash": "sha256"})
    assert one(CB, body, ctx).signature is SignatureStatus.VALID
    assert "does not match" in _signature_error(form(**SALE_CB), ctx)
    assert "`hash` must be one of" in _signature_error(
        form(**SALE_CB), context({"password": PASSWORD, "hash": "crc32"}))


def test_payout_callback_has_no_email_in_its_hash():
    expected = _md5(PASSWORD + TRANS + "1111111114")
    body = form(action="CREDIT2CARD", result="SUCCESS", status="SETTLED", hash=expected,
                card="411111****1111")
    event = one(CB, body, context(kept={}))
    assert (event.object_kind, event.signature) == ("payout", SignatureStatus.VALID)


# -- bad input is invalid, naming the field -------------------------------------------------------

@pytest.mark.parametrize(("body", "field", "needle"), [
    (js(action="SALE", result="SUCCESS", status="CAPTURED"), "status", "'CAPTURED'"),
    (js(action="REFUND", result="SUCCESS", status="SETTLED"), "action", "'REFUND'"),
    (js(action="SALE", result="MAYBE", status="SETTLED"), "result", "'MAYBE'"),
    (js(action="SALE", result="SUCCESS", status="CHARGEBACK"), "status", "not a documented"),
    (js(action="SALE", result="SUCCESS", status="SETTLED", amount="1.999", currency="USD"),
     "amount", "rounded"),
    (js(action="SALE", result="SUCCESS", status="SETTLED", amount="1.00", currency="XXZ"),
     "currency", "currency"),
    (js(action="SALE", result="SUCCESS", status="SETTLED", trans_date="yesterday"),
     "trans_date", "not a date"),
    (js(action="SALE", result="SUCCESS", status="SETTLED", amount={"v": 1}, currency="USD"),
     "amount", "must be a string"),
    (b"[1, 2]", "body", "JSON object"),
    (b"\xff\xfe", "body", "UTF-8"),
    (b"<html>", "body", "not JSON"),
    (json.dumps({"action": "SALE", "result": "SUCCESS", "status": "SETTLED"}).encode(),
     "trans_id", "missing"),
])
def test_invalid_response(body, field, needle):
    result = parse(RESP, body)
    assert result.error is not None
    assert result.error.field == field
    assert needle in result.error.reason


def test_json_amounts_never_become_floats():
    """A JSON number is read as its text: 0.3 is 30 cents, not 0.29999999999999998."""
    body = b'{"action":"SALE","result":"SUCCESS","status":"SETTLED","trans_id":"T",' \
           b'"amount":0.3,"currency":"USD"}'
    assert one(RESP, body).money == Money(30, "USD")
    body = body.replace(b"0.3", b"1.005")
    error = parse(RESP, body).error
    assert error is not None and error.field == "amount"


def test_repeated_form_field_is_invalid():
    body = form(**SALE_CB) + b"&status=DECLINED"
    result = parse(CB, body)
    assert result.error is not None and result.error.field == "status"


def test_status_reference_from_ref_when_the_body_lacks_trans_id():
    body = json.dumps({"action": "GET_TRANS_STATUS", "result": "SUCCESS",
                       "status": "PENDING"}).encode()
    result = parse(POLL, body, ref="T-REF")
    assert result.error is None and result.events[0].object_id == "T-REF"


# -- merchant requests ----------------------------------------------------------------------------

SALE_REQUEST = urlencode({
    "action": "SALE", "client_key": "ZPR2ZH2J2U", "order_id": "ORDER-12345",
    "order_amount": "1.99", "order_currency": "USD", "card_number": "4111111111111111",
    "card_exp_month": "01", "card_exp_year": "2030", "card_cvv2": "000",
    "payer_email": "doe@example.com", "hash": "2702ae0c4f99506dc29b5615ba9ee3c0"}).encode()
PUBLISHED = {"password": "13a4822c5907ed235f3a068c76184fc3"}


def test_sale_request_keeps_email_and_card_digits_only():
    result = ADAPTER.parse(RawInput("platform", Channel.REQUEST, SALE_REQUEST, ref="T1"),
                           AdapterContext(PUBLISHED))
    assert result.error is None
    (event,) = result.events
    assert (event.object_id, event.state, event.trigger) == ("T1", "NEW", "request")
    assert event.signature is SignatureStatus.VALID
    assert event.money == Money(199, "USD")
    assert dict(event.remember) == {"payer_email": "doe@example.com", "card_first6": "411111",
                                    "card_last4": "1111", "currency": "USD"}
    shown = repr(event)
    assert "4111111111111111" not in shown
    assert "card_cvv2" not in shown and "000'" not in shown


def test_sale_request_with_wrong_hash_is_invalid():
    body = SALE_REQUEST.replace(b"2702ae0c", b"2702ae0d")
    result = ADAPTER.parse(RawInput("platform", Channel.REQUEST, body, ref="T1"),
                           AdapterContext(PUBLISHED))
    assert result.error is not None and result.error.field == "signature"


def test_a_sale_request_without_a_trans_id_is_an_attempt_under_its_order_id():
    """Recorded before its answer (no trans_id yet), the request is kept under the merchant's
    order_id; tests/engine/test_orders_binding.py binds it to the answer's trans_id."""
    result = ADAPTER.parse(RawInput("platform", Channel.REQUEST, SALE_REQUEST),
                           AdapterContext(PUBLISHED))
    assert result.error is None, result.error
    (attempt,) = result.events
    assert attempt.reference == "ORDER-12345"
    assert dict(attempt.remember)["card_last4"] == "1111"


def test_other_merchant_requests_decide_nothing():
    body = urlencode({"action": "CAPTURE", "trans_id": TRANS, "hash": "x"}).encode()
    result = ADAPTER.parse(RawInput("platform", Channel.REQUEST, body, ref=TRANS),
                           AdapterContext(PUBLISHED))
    assert result.error is not None and result.error.field == "action"


# -- parse never raises ---------------------------------------------------------------------------

@given(body=st.one_of(st.binary(max_size=300), st.builds(
    lambda pairs: urlencode(pairs).encode(),
    st.dictionaries(st.sampled_from(["action", "result", "status", "trans_id", "hash", "amount",
                                     "currency", "card", "trans_date", "redirect_url",
                                     "redirect_params[x]", "redirect_params"]),
                    st.text(max_size=20), max_size=10))),
       channel=st.sampled_from(list(Channel)))
def test_parse_never_raises(body, channel):
    result = ADAPTER.parse(RawInput("platform", channel, body, ref="R"), context())
    assert (result.error is None) != (not result.events)


@pytest.mark.parametrize(("operation", "trigger"), [("refund", "refund_accepted"),
                                                    ("reverse", "reversal_accepted"),
                                                    ("Reversal", "reversal_accepted")])
def test_creditvoid_answer_without_status_lands_by_operation(operation, trigger):
    raw = RawInput("platform", RESP, (REAL / "creditvoid_response_accepted.json").read_bytes(),
                   operation=operation)
    (event,) = ADAPTER.parse(raw, context()).events
    assert (event.trigger, event.state) == (trigger, None)


@pytest.mark.parametrize("operation", [None, "creditvoid", "capture"])
def test_creditvoid_answer_without_status_or_operation_is_invalid(operation):
    raw = RawInput("platform", RESP, (REAL / "creditvoid_response_accepted.json").read_bytes(),
                   operation=operation)
    result = ADAPTER.parse(raw, context())
    assert result.error is not None and result.error.field == "operation"


def test_parse_functions_take_bytes_headers_and_context():
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    called = parse_callback(form(**SALE_CB), headers, context())
    (event,) = called.events
    assert (event.trigger, event.signature, called.reply) == ("sale_settled",
                                                             SignatureStatus.VALID, REPLY)
    (polled,) = parse_poll(js(action="GET_TRANS_STATUS", result="SUCCESS", status="SETTLED"),
                           {}, context()).events
    assert polled.channel is Channel.POLL
    reverse = AdapterContext(SECRETS, lambda _k, _i: KEPT, operation="reverse")
    (answered,) = parse_response((REAL / "creditvoid_response_accepted.json").read_bytes(),
                                 {}, reverse).events
    assert answered.trigger == "reversal_accepted"
