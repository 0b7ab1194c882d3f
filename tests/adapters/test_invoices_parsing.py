"""Payment-invoices extractors: money, card masks, flow_data, batches, requests, CARDGATE,
and every malformed input becoming an ``invalid`` that names the field."""

from __future__ import annotations

import json
import re

import pytest

from paychart import Channel, CustomerAction, Money
from paychart.attempts import PENDING_ID

from .test_invoices import body_of, edit, failure, one, parse

PROCESSED = "status_processed.json"


# -- money ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("amount", "currency", "minor"), [
    (100, "USD", 10000), ("10.55", "USD", 1055), (1000, "JPY", 1000), ("1.234", "KWD", 1234),
    ("12.10", "EUR", 1210),
])
def test_major_unit_amounts_become_exact_minor_units(amount: object, currency: str,
                                                     minor: int) -> None:
    document = json.loads(body_of("status_processing.json"))
    document["data"]["attributes"].update(currency=currency)
    text = json.dumps(document).replace('"amount": 100,', f'"amount": {amount},')
    assert one(text.encode()).money == Money(minor, currency)


@pytest.mark.parametrize(("value", "reason"), [
    ("1.005", "rounded"), ("-5", "negative"), ("true", "expected an amount"),
    ('"abc"', "not a decimal"),
])
def test_bad_amount_is_invalid_naming_the_field(value: str, reason: str) -> None:
    text = body_of("status_processing.json").decode().replace('"amount": 100,',
                                                               f'"amount": {value},')
    err = failure(text.encode())
    assert err.field == "data.attributes.amount"
    assert reason in err.reason


def test_unknown_currency_is_invalid() -> None:
    assert failure(edit(PROCESSED, currency="XXQ")).field == "data.attributes.currency"


# -- statuses and shape ----------------------------------------------------------------------

def test_unknown_status_is_invalid_naming_field_and_value() -> None:
    err = failure(edit(PROCESSED, status="settled"))
    assert err.field == "data.attributes.status"
    assert "'settled'" in err.reason
    assert err.object_id == "cpi_Status00000004"


@pytest.mark.parametrize(("body", "field"), [
    (b"not json", "body"), (b"[1, 2]", "body"), (b'{"meta": {}}', "data"),
    (b'{"errors": [{"title": "Invalid amount"}]}', "errors"),
    (b'{"data": {"type": "payment-requests", "id": "prq_1", "attributes": {}}}', "data.type"),
    (b'{"data": {"type": "payment-invoices", "id": "cpi_1"}}', "data.attributes"),
])
def test_malformed_documents_are_invalid(body: bytes, field: str) -> None:
    assert failure(body).field == field


def test_callback_without_updated_cannot_be_ordered() -> None:
    assert failure(edit(PROCESSED, updated=None)).field == "data.attributes.updated"


def test_same_status_by_callback_and_poll_shares_the_dedupe_key() -> None:
    body = body_of(PROCESSED)
    by_callback, by_poll = one(body), one(body, Channel.POLL)
    assert by_poll.channel is Channel.POLL
    assert by_callback.dedupe_key == by_poll.dedupe_key
    assert one(edit(PROCESSED, updated=1800000000)).dedupe_key != by_callback.dedupe_key


def test_batched_resources_come_out_ordered_by_updated() -> None:
    first = json.loads(body_of("status_processing.json"))["data"]
    second = json.loads(body_of(PROCESSED))["data"]
    second["id"] = first["id"]
    found = parse(json.dumps({"data": [second, first]}).encode())
    assert isinstance(found, tuple)
    assert [e.state for e in found] == ["processing", "processed"]
    assert [e.sequence for e in found] == sorted(e.sequence or 0 for e in found)


def test_batch_mixing_test_and_live_is_invalid() -> None:
    live = json.loads(edit(PROCESSED, test_mode=False))["data"]
    test = json.loads(body_of("status_processing.json"))["data"]
    err = failure(json.dumps({"data": [live, test]}).encode(),
                  secrets={"test_secret": "a", "live_secret": "b"}, headers={"X-Signature": "x"})
    assert err.field == "data"


def test_included_payment_request_disagreeing_is_a_warning() -> None:
    document = json.loads(body_of("callback_payment_invoice_charged_back.json"))
    document["included"][0]["attributes"]["status"] = "OK"
    event = one(json.dumps(document).encode())
    assert event.warnings == ("included payment request is OK, invoice is charged_back",)


def test_flow_data_params_become_the_redirect() -> None:
    flow = {"action": "https://pay.example/3ds", "method": "post",
            "params": {"PaReq": "abc", "MD": 7}}
    event = one(edit("status_process_pending.json", flow_data=flow))
    assert event.customer_action == CustomerAction("https://pay.example/3ds", "POST",
                                                   (("MD", "7"), ("PaReq", "abc")))


def test_flow_data_is_not_a_redirect_once_processed() -> None:
    event = one(edit(PROCESSED, flow_data={"action": "https://pay.example/x"}))
    assert event.customer_action is None


# -- card token and mask ----------------------------------------------------------------------

def _with_card(card: dict[str, object]) -> bytes:
    return edit(PROCESSED, payload={"token": "tok_123", "payment_card": card})


def test_token_is_kept_with_the_card_mask() -> None:
    kept = dict(one(_with_card({"mask": "512381******0000", "first": "512381", "last": "0000",
                                "brand": "mastercard", "holder": "J DOE"})).remember)
    assert (kept["card_token"], kept["card_mask"], kept["card_brand"]) == (
        "tok_123", "512381******0000", "mastercard")
    assert "J DOE" not in kept.values()


@pytest.mark.parametrize("card", [
    {"mask": "5123810000000008"}, {"mask": "5123 8100 0000 0008"},
    {"first": "5123810000000008", "last": "5123810000000008"},
])
def test_a_full_card_number_is_never_kept(card: dict[str, object]) -> None:
    kept = dict(one(_with_card(card)).remember)
    assert kept["card_mask"] == "512381******0008"
    assert not any(re.search(r"\d{12}", value.replace(" ", "")) for value in kept.values())


def test_no_token_no_card_facts() -> None:
    assert "card_token" not in dict(one(body_of(PROCESSED)).remember)


# -- create requests --------------------------------------------------------------------------

def _request(**attributes: object) -> bytes:
    base: dict[str, object] = {"reference_id": "ORDER1", "currency": "USD", "amount": 1,
                               "service": "payment_card_usd_hpp",
                               "customer": {"reference_id": "c1"}}
    base.update(attributes)
    return json.dumps({"data": {"type": "payment-invoices",
                                "attributes": {k: v for k, v in base.items()
                                               if v is not None}}}).encode()


@pytest.mark.parametrize(("attributes", "flow"), [
    ({}, "checkout"), ({"gateway_options": {"cardgate": {"tokenize": True}}}, "tokenize"),
    ({"token": "tok", "gateway_options": {"cardgate": {"instant": True}}}, "charge_by_token"),
])
def test_create_request_flows(attributes: dict[str, object], flow: str) -> None:
    event = one(_request(**attributes), Channel.REQUEST, ref="cpi_New")
    assert (event.object_id, event.trigger, event.state) == ("cpi_New", "create", "created")
    assert dict(event.facts)["flow"] == flow
    assert event.money == Money(100, "USD")


@pytest.mark.parametrize(("attributes", "field"), [
    ({"token": "tok", "customer": None}, "data.attributes.customer.reference_id"),
    ({"gateway_options": {"cardgate": {"tokenize": True}}, "customer": {"name": "x"}},
     "data.attributes.customer.reference_id"),
    ({"token": "tok", "gateway_options": {"cardgate": {"tokenize": True}}},
     "data.attributes.token"),
    ({"service": None}, "data.attributes.service"),
    ({"amount": 0}, "data.attributes.amount"),
])
def test_bad_create_request_is_invalid(attributes: dict[str, object], field: str) -> None:
    assert failure(_request(**attributes), Channel.REQUEST, ref="cpi_New").field == field


def test_create_request_without_ref_is_a_pending_attempt_of_its_reference() -> None:
    event = one(_request(), Channel.REQUEST)
    assert (event.object_id, event.reference) == (PENDING_ID, "ORDER1")


# -- CARDGATE sale ----------------------------------------------------------------------------

SALE = "cardgate_sale_response_googlepay.json"


def test_sale_answer_needs_the_invoice_ref() -> None:
    assert failure(body_of(SALE), Channel.RESPONSE, operation="sale").field == "ref"


def test_sale_answer_for_another_session_is_invalid() -> None:
    err = failure(body_of(SALE), Channel.RESPONSE, ref="cpi_A", operation="sale",
                  remembered={"cardgate_sid": "cgi_Other"})
    assert (err.field, err.object_id) == ("data.id", "cpi_A")


def test_sale_answer_for_the_announced_session() -> None:
    event = one(body_of(SALE), Channel.RESPONSE, ref="cpi_A", operation="sale",
                remembered={"cardgate_sid": "cgi_7U4hCiGtMAaGJnwN"})
    assert event.dedupe_key.startswith("invoices/payment_invoice/cpi_A/cardgate/")


def test_sale_answer_is_recognised_by_its_gateway_id_without_operation() -> None:
    assert dict(one(body_of(SALE), Channel.RESPONSE, ref="cpi_A").facts)["service"] == "googlepay"


def test_sale_answer_with_unknown_status_is_invalid() -> None:
    body = body_of(SALE).replace(b'"status":"process_pending",\n                        "resol',
                                 b'"status":"authorized",\n                        "resol')
    assert b"authorized" in body
    err = failure(body, Channel.RESPONSE, ref="cpi_A", operation="sale")
    assert (err.field, "'authorized'" in err.reason) == ("data.attributes.status", True)


def test_timer_input_is_not_part_of_the_protocol() -> None:
    assert failure(body_of(PROCESSED), Channel.TIMER).field == "channel"
