"""The payment-invoices adapter: payload → event table, signatures, requests, CARDGATE, errors."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import pytest

from paychart import (
    AdapterContext,
    Channel,
    ChartSet,
    CustomerAction,
    Event,
    InputError,
    Money,
    RawInput,
    SignatureStatus,
)
from paychart.adapters import get_adapter
from paychart.adapters.invoices import ADAPTER
from paychart.adapters.invoices.parse import parse_callback, parse_poll
from paychart.adapters.invoices.vocab import MOVES, NOT_MAPPED, VOCABULARY, InvoiceStatus

FIXTURES = Path(__file__).parent / "fixtures" / "invoices"
SECRETS = {"test_secret": "fixture-test-secret-7f3a", "live_secret": "fixture-live-secret-91c2"}


def body_of(name: str) -> bytes:
    folder = "real" if not name.startswith("status_") else "callbacks"
    return (FIXTURES / folder / name).read_bytes()


def signed(body: bytes, name: str = "test_secret") -> dict[str, str]:
    return {"X-Signature": sign(body, SECRETS[name])}


def sign(body: bytes, secret: str) -> str:
    key = secret.encode()
    return base64.b64encode(hashlib.sha1(key + body + key).digest()).decode()


def parse(body: bytes, channel: Channel = Channel.CALLBACK, *,
          secrets: Mapping[str, str] | None = None, headers: Mapping[str, str] | None = None,
          ref: str | None = None, operation: str | None = None,
          remembered: Mapping[str, str] | None = None) -> tuple[Event, ...] | InputError:
    """Events of one input, or the error that makes it invalid."""
    kept = dict(remembered or {})
    context = AdapterContext(secrets=dict(secrets or {}), remembered=lambda _k, _i: kept)
    result = ADAPTER.parse(RawInput("invoices", channel, body, dict(headers or {}), ref=ref,
                                    operation=operation), context)
    if result.error is not None:
        assert not result.events
        return result.error
    return result.events


def one(body: bytes, channel: Channel = Channel.CALLBACK, **kwargs: object) -> Event:
    found = parse(body, channel, **kwargs)  # type: ignore[arg-type]
    assert isinstance(found, tuple), found
    assert len(found) == 1
    return found[0]


def failure(body: bytes, channel: Channel = Channel.CALLBACK, **kwargs: object) -> InputError:
    found = parse(body, channel, **kwargs)  # type: ignore[arg-type]
    assert isinstance(found, InputError), found
    return found


def edit(name: str, **changes: object) -> bytes:
    """A status fixture with some attributes changed (``None`` removes the attribute)."""
    document = json.loads(body_of(name))
    attributes = document["data"]["attributes"]
    for key, value in changes.items():
        if value is None:
            attributes.pop(key, None)
        else:
            attributes[key] = value
    return json.dumps(document).encode()


# -- the status table ---------------------------------------------------------------------

def test_every_status_has_one_move_onto_the_chart() -> None:
    chart = ChartSet.bundled().get("invoices", "payment_invoice")
    statuses = [move.status for move in MOVES]
    assert sorted(statuses) == sorted(InvoiceStatus) == sorted(VOCABULARY)
    assert not NOT_MAPPED
    for move in MOVES:
        assert move.object_kind == "payment_invoice"
        assert move.state in chart.canonical, move.status
        assert move.state == move.status
        if move.status != InvoiceStatus.CREATED:  # `created` only ever starts an invoice
            assert any(e.trigger == move.trigger and e.target == move.state
                       for e in chart.edges), move.status


def test_registered_under_its_provider_name() -> None:
    adapter: object = get_adapter("invoices")
    assert adapter is ADAPTER


TABLE = [
    # file, trigger, state, money (minor), facts that must be present
    ("status_created.json", "create", "created", 10000, {"amount_minor": "10000"}),
    ("status_processing.json", "begin", "processing", 10000, {"resolution": "ok"}),
    ("status_process_pending.json", "pend", "process_pending", 10000,
     {"moderation_required": "false"}),
    ("status_processed.json", "process", "processed", 10000,
     {"processed_amount_minor": "10000"}),
    ("status_partially_processed.json", "process_partially", "partially_processed", 4000,
     {"amount_minor": "10000", "processed_amount_minor": "4000"}),
    ("status_process_error.json", "error", "process_error", 10000,
     {"resolution": "gateway_timeout", "failure_reason": "gateway_timeout"}),
    ("status_process_failed.json", "fail", "process_failed", 10000,
     {"failure_reason": "card_expired"}),
    ("status_expired.json", "expire", "expired", 10000, {}),
    ("status_terminated.json", "terminate", "terminated", 10000, {}),
    ("status_refunding.json", "begin_refund", "refunding", 10000, {}),
    ("status_refund_pending.json", "pend_refund", "refund_pending", 10000, {}),
    ("status_refund_error.json", "refund_error", "refund_error", 10000,
     {"failure_reason": "gateway_timeout"}),
    ("status_refunded.json", "refund", "refunded", 10000, {"refunded_amount_minor": "10000"}),
    ("status_partially_refunded.json", "refund_partially", "partially_refunded", 10000,
     {"refunded_amount_minor": "2550"}),
    ("status_refund_failed.json", "fail_refund", "refund_failed", 10000,
     {"failure_reason": "antifraud_error"}),
    ("status_charged_back.json", "charge_back", "charged_back", 10000,
     {"charged_back_amount_minor": "10000"}),
    ("status_partially_charged_back.json", "charge_back_partially", "partially_charged_back",
     10000, {"charged_back_amount_minor": "1000"}),
]


@pytest.mark.parametrize(("name", "trigger", "state", "minor", "facts"), TABLE,
                         ids=[row[0] for row in TABLE])
def test_status_callback_becomes_event(name: str, trigger: str, state: str, minor: int,
                                       facts: dict[str, str]) -> None:
    body = body_of(name)
    event = one(body, secrets=SECRETS, headers=signed(body, "test_secret"))
    document = json.loads(body)
    updated = document["data"]["attributes"]["updated"]
    assert (event.provider, event.object_kind, event.object_id) == (
        "invoices", "payment_invoice", document["data"]["id"])
    assert (event.trigger, event.state) == (trigger, state)
    assert event.money == Money(minor, "USD")
    assert event.sequence == updated
    assert event.channel is Channel.CALLBACK
    assert event.signature is SignatureStatus.VALID
    object_id = document["data"]["id"]
    assert event.dedupe_key == f"invoices/payment_invoice/{object_id}/{state}/{updated}"
    assert facts.items() <= dict(event.facts).items()
    if "failure_reason" not in facts:
        assert event.fact("failure_reason") is None
    assert (event.customer_action is not None) == (state == "process_pending")


REAL = [
    ("callback_payment_invoice_process_pending.json", Channel.CALLBACK, None, None,
     "cpi_UoIW6RdSYyIRj8vR", "pend", "process_pending", Money(400, "UAH"), 1560889898),
    ("callback_payment_invoice_charged_back.json", Channel.CALLBACK, None, None,
     "cpi_i1T5VQhj5IbHHI1P", "charge_back", "charged_back", Money(5500, "USD"), 1622799067),
    ("cardgate_sale_response_googlepay.json", Channel.RESPONSE, "cpi_Ref", "sale",
     "cpi_Ref", "pend", "process_pending", Money(1000, "USD"), None),
    ("request_payment_invoice_token_instant.json", Channel.REQUEST, "cpi_Ref", "create",
     "cpi_Ref", "create", "created", Money(100, "USD"), None),
]


@pytest.mark.parametrize(("name", "channel", "ref", "operation", "object_id", "trigger",
                          "state", "money", "sequence"), REAL, ids=[row[0] for row in REAL])
def test_real_payload_becomes_event(name: str, channel: Channel, ref: str | None,
                                    operation: str | None, object_id: str, trigger: str,
                                    state: str, money: Money, sequence: int | None) -> None:
    event = one(body_of(name), channel, ref=ref, operation=operation)
    assert (event.object_id, event.trigger, event.state) == (object_id, trigger, state)
    assert (event.money, event.sequence, event.channel) == (money, sequence, channel)
    assert event.signature is SignatureStatus.UNCHECKED


def test_real_pending_callback_surfaces_flow_data_as_redirect() -> None:
    event = one(body_of("callback_payment_invoice_process_pending.json"))
    assert event.customer_action == CustomerAction(
        "https://cardgate.example.io/hpp/2018e26d-8882-57f6-9a91-ac2acfeedbe3", "GET", ())
    assert dict(event.remember)["test_mode"] == "false"


def test_real_charged_back_callback_keeps_figures_and_included_customer() -> None:
    event = one(body_of("callback_payment_invoice_charged_back.json"))
    facts = dict(event.facts)
    assert facts["processed_amount_minor"] == facts["charged_back_amount_minor"] == "5500"
    assert dict(event.remember)["customer_reference_id"] == "test"
    assert event.warnings == ()  # the included payment request agrees (CHARGED_BACK)


def test_real_token_request_is_a_charge_by_token() -> None:
    event = one(body_of("request_payment_invoice_token_instant.json"), Channel.REQUEST,
                ref="cpi_Ref")
    assert dict(event.facts)["flow"] == "charge_by_token"
    assert dict(event.facts)["instant"] == "true"
    assert dict(event.remember)["customer_reference_id"] == "my_customer_1"
    assert "card_token" not in dict(event.remember)


def test_real_cardgate_answer_says_the_customer_must_authorize() -> None:
    event = one(body_of("cardgate_sale_response_googlepay.json"), Channel.RESPONSE,
                ref="cpi_Ref", operation="sale")
    assert dict(event.facts)["active_payment_status"] == "authorize_required"
    assert dict(event.remember) == {"cardgate_sid": "cgi_7U4hCiGtMAaGJnwN"}
    assert any("authorize" in warning for warning in event.warnings)


# -- signatures -----------------------------------------------------------------------------

PROCESSED = "status_processed.json"


def test_valid_signature_with_the_test_secret() -> None:
    body = body_of(PROCESSED)
    event = one(body, secrets=SECRETS, headers={"x-signature": sign(body, SECRETS["test_secret"])})
    assert event.signature is SignatureStatus.VALID


def test_tampered_body_is_invalid() -> None:
    body = body_of(PROCESSED)
    tampered = body.replace(b'"processed_amount": 100', b'"processed_amount": 1')
    assert tampered != body
    err = failure(tampered, secrets=SECRETS,
                  headers=signed(body, "test_secret"))
    assert err.field == "signature"
    assert err.object_id == "cpi_Status00000004"


def test_wrong_secret_is_invalid_and_no_secret_leaks() -> None:
    body = body_of(PROCESSED)
    err = failure(body, secrets=SECRETS, headers={"X-Signature": sign(body, "guess")})
    assert err.field == "signature"
    assert all(secret not in str(err) for secret in SECRETS.values())


def test_missing_header_is_invalid() -> None:
    err = failure(body_of(PROCESSED), secrets=SECRETS)
    assert (err.field, err.reason) == ("signature", "X-Signature header missing")


def test_test_mode_callback_signed_with_the_live_secret_is_invalid() -> None:
    body = body_of(PROCESSED)
    err = failure(body, secrets=SECRETS, headers=signed(body, "live_secret"))
    assert err.field == "signature"
    assert "test secret" in err.reason


def test_live_mode_callback_needs_the_live_secret() -> None:
    body = edit(PROCESSED, test_mode=False)
    live = one(body, secrets=SECRETS, headers=signed(body, "live_secret"))
    assert live.signature is SignatureStatus.VALID
    err = failure(body, secrets=SECRETS, headers=signed(body, "test_secret"))
    assert err.field == "signature"


def test_mode_without_its_secret_is_invalid_not_unchecked() -> None:
    body = edit(PROCESSED, test_mode=False)
    err = failure(body, secrets={"test_secret": SECRETS["test_secret"]},
                  headers=signed(body, "test_secret"))
    assert (err.field, "live_secret" in err.reason) == ("signature", True)


def test_without_secrets_signatures_are_unchecked() -> None:
    assert one(body_of(PROCESSED)).signature is SignatureStatus.UNCHECKED


def test_callback_without_test_mode_cannot_choose_a_secret() -> None:
    err = failure(edit(PROCESSED, test_mode=None), secrets=SECRETS,
                  headers={"X-Signature": "x"})
    assert err.field == "data.attributes.test_mode"


def test_invoice_cannot_change_mode() -> None:
    body = edit(PROCESSED, test_mode=False)
    err = failure(body, secrets=SECRETS, headers=signed(body, "live_secret"),
                  remembered={"test_mode": "true"})
    assert err.field == "data.attributes.test_mode"


def test_entry_points_take_bytes_and_headers() -> None:
    body = body_of(PROCESSED)
    context = AdapterContext(secrets=SECRETS)
    (event,) = parse_callback(body, signed(body), context).events
    assert event.signature is SignatureStatus.VALID
    (polled,) = parse_poll(body, {}, AdapterContext()).events
    assert (polled.channel, polled.dedupe_key) == (Channel.POLL, event.dedupe_key)
    with pytest.raises(InputError):
        parse_callback(body, {}, context)
