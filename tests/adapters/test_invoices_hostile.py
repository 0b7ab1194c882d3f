"""Hostile bytes on payment-invoices bodies: every one is an ``invalid`` decision naming the
field, never an exception, never an applied event, even when correctly signed."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import AdapterContext, Channel, ChartSet, InputError, Orchestrator, Outcome, RawInput
from paychart.adapter import ParseResult
from paychart.adapters.invoices import ADAPTER
from paychart.adapters.invoices.signature import SIGNATURE_HEADER, sign, unsign

FIXTURES = Path(__file__).parent / "fixtures" / "invoices"
SECRETS = {"test_secret": "fixture-test-secret-7f3a", "live_secret": "fixture-live-secret-91c2"}
PROCESSED = (FIXTURES / "callbacks" / "status_processed.json").read_text(encoding="utf-8")
INVOICE_ID = "cpi_Status00000004"
BODIES = sorted([*(FIXTURES / "callbacks").glob("*.json"), *(FIXTURES / "real").glob("*.json")])
"""Every fixture and real body, whatever channel it belongs to: each is fuzzed on all four."""
CHANNELS = (Channel.CALLBACK, Channel.RESPONSE, Channel.POLL, Channel.REQUEST)


def result(body: bytes, channel: Channel = Channel.CALLBACK, *, signed: bool = False,
           ref: str | None = None, operation: str | None = None) -> ParseResult:
    headers: dict[str, str] = {}
    secrets = SECRETS if signed else {}
    if signed:
        # sign() reads only `test_mode`; sign the hostile body when it can, so the reader of
        # the field (not the signature check) is what refuses it
        try:
            body, headers = sign(body, headers, SECRETS)
        except InputError:
            headers = {SIGNATURE_HEADER: "not-checked"}
    return ADAPTER.parse(RawInput("invoices", channel, body, headers, ref=ref,
                                  operation=operation), AdapterContext(secrets=secrets))


def refused(body: bytes, channel: Channel = Channel.CALLBACK, **kwargs: object) -> InputError:
    found = result(body, channel, **kwargs)  # type: ignore[arg-type]
    assert found.defect is None, found.defect
    assert found.events == ()
    assert found.error is not None
    return found.error


def replaced(old: str, new: str, text: str = PROCESSED) -> bytes:
    assert old in text, old
    return text.replace(old, new, 1).encode("utf-8")


# -- bodies ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "body", "field"), [
    ("deep JSON", b'{"data": ' + b"[" * 5000 + b"]" * 5000 + b"}", "body"),
    ("non-UTF-8", b'{"data": "\xff\xfe"}', "body"),
    ("form body where JSON is expected",
     b"data.id=cpi_Status00000004&data.attributes.status=processed", "body"),
    ("a JSON list", b"[" + PROCESSED.encode() + b"]", "body"),
    ("oversize", b'{"data": "' + b"x" * (1 << 20) + b'"}', "body"),
    ("5000-digit number", replaced('"amount": 100,', f'"amount": {"9" * 5000},'), "amount"),
    ("NaN", replaced('"amount": 100,', '"amount": NaN,'), "amount"),
    ("duplicate key", replaced('"status": "processed",',
                               '"status": "processed", "status": "refunded",'), "status"),
    ("lone surrogate in id", replaced(INVOICE_ID, "cpi_\\ud800"), "id"),
])
@pytest.mark.parametrize("channel", CHANNELS)
def test_hostile_body_is_refused_on_every_channel(name: str, body: bytes, field: str,
                                                  channel: Channel) -> None:
    err = refused(body, channel, ref="cpi_Ref")
    assert err.field == field, (name, err)
    assert err.provider == "invoices"


# -- fields ----------------------------------------------------------------------------------

AMOUNT = "data.attributes.amount"
HOSTILE_FIELDS = [
    ("amount 2^63 minor units", '"amount": 100,', '"amount": 92233720368547758.08,', AMOUNT),
    ("amount beyond the USD bound", '"amount": 100,', '"amount": 1000000000001,', AMOUNT),
    ("negative amount", '"amount": 100,', '"amount": -100,', AMOUNT),
    ("zero amount", '"amount": 100,', '"amount": 0,', AMOUNT),
    ("Arabic-Indic digits", '"amount": 100,', '"amount": "١٢٣",', AMOUNT),
    ("full-width digits", '"amount": 100,', '"amount": "１２３",', AMOUNT),
    ("float exponent", '"amount": 100,', '"amount": 1e2,', AMOUNT),
    ("negative figure", '"processed_amount": 100,', '"processed_amount": -1,',
     "data.attributes.processed_amount"),
    ("non-ASCII digits in updated", '"updated": 1700000004', '"updated": "١٧٠٠"',
     "data.attributes.updated"),
    ("negative updated", '"updated": 1700000004', '"updated": -5', "data.attributes.updated"),
    ("NUL in id", INVOICE_ID, "cpi_\\u0000x", "data.id"),
    ("control character in id", INVOICE_ID, "cpi_\\u0007x", "data.id"),
    ("bidi override in id", INVOICE_ID, "cpi_\\u202ex", "data.id"),
    ("zero-width space in id", INVOICE_ID, "cpi_\\u200bx", "data.id"),
    ("whitespace in id", INVOICE_ID, "cpi_ x", "data.id"),
    ("id as an object", f'"{INVOICE_ID}"', '{"id": 1}', "data.id"),
    ("bidi in status", '"status": "processed"', '"status": "processed\\u202e"',
     "data.attributes.status"),
    ("unknown status", '"status": "processed"', '"status": "PROCESSED"',
     "data.attributes.status"),
    ("test_mode not a boolean", '"test_mode": true', '"test_mode": "maybe"',
     "data.attributes.test_mode"),
    ("lone surrogate in resolution", '"resolution": "ok"', '"resolution": "\\udfff"',
     "resolution"),
    ("flow_data a string", '"flow_data": []', '"flow_data": "x"', "data.attributes.flow_data"),
    ("card mask with NUL", '"payload": null',
     '"payload": {"token": "tok_1", "payment_card": {"mask": "512381\\u0000"}}',
     "data.attributes.payload.payment_card.mask"),
]


@pytest.mark.parametrize(("name", "old", "new", "field"), HOSTILE_FIELDS,
                         ids=[row[0] for row in HOSTILE_FIELDS])
@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_hostile_field_is_invalid_naming_it(name: str, old: str, new: str, field: str,
                                            signed: bool) -> None:
    err = refused(replaced(old, new), signed=signed)
    assert err.field == field, (name, err)


def test_amount_bound_is_per_currency() -> None:
    jpy = PROCESSED.replace('"currency": "USD"', '"currency": "JPY"')
    assert result(replaced('"amount": 100,', '"amount": 1000000000000,', jpy)).error is None
    err = refused(replaced('"amount": 100,', '"amount": 1000000000001,', jpy))
    assert (err.field, "bound for JPY" in err.reason) == (AMOUNT, True)


def test_hostile_request_and_sale_answer_name_the_field() -> None:
    request = (FIXTURES / "real" / "request_payment_invoice_token_instant.json").read_text()
    err = refused(replaced('"amount":1,', '"amount":"１",', request), Channel.REQUEST,
                  ref="cpi_Ref")
    assert err.field == AMOUNT
    err = refused(replaced('"reference_id":"ORDER1233"', '"reference_id":"ORDER\\u202e1"',
                           request), Channel.REQUEST, ref="cpi_Ref")
    assert err.field == "data.attributes.reference_id"
    sale = (FIXTURES / "real" / "cardgate_sale_response_googlepay.json").read_text()
    err = refused(replaced('"amount":10,', '"amount":-10,', sale), Channel.RESPONSE,
                  ref="cpi_Ref", operation="sale")
    assert (err.field, err.object_id) == (AMOUNT, "cpi_Ref")
    err = refused(replaced('"id":"cgi_7U4hCiGtMAaGJnwN"', '"id":"cgi_\\u0000"', sale),
                  Channel.RESPONSE, ref="cpi_Ref", operation="sale")
    assert err.field == "data.id"


def test_signed_hostile_callback_is_an_invalid_decision_not_an_applied_one() -> None:
    engine = Orchestrator(ChartSet.bundled())
    body, headers = sign(replaced('"amount": 100,', '"amount": -100,'), {}, SECRETS)
    (decision,) = engine.ingest(RawInput("invoices", Channel.CALLBACK, body, headers),
                                ADAPTER, AdapterContext(secrets=SECRETS))
    assert (decision.outcome, decision.field) == (Outcome.INVALID, AMOUNT)
    assert decision.object_id == INVOICE_ID
    assert engine.record("invoices", "payment_invoice", INVOICE_ID) is None


def test_sign_and_unsign_round_trip() -> None:
    body = PROCESSED.encode()
    signed_body, headers = sign(body, {"Content-Type": "application/json"}, SECRETS)
    assert signed_body == body and SIGNATURE_HEADER in headers
    assert result(body, signed=True).events[0].signature.value == "valid"
    assert unsign(signed_body, headers) == (body, {"Content-Type": "application/json"})
    assert SECRETS["test_secret"] not in repr(ADAPTER)


# -- real payloads -----------------------------------------------------------------------------

REAL = {
    "callback_payment_invoice_charged_back.json": (Channel.CALLBACK, None, None),
    "callback_payment_invoice_process_pending.json": (Channel.CALLBACK, None, None),
    "cardgate_sale_response_googlepay.json": (Channel.RESPONSE, "cpi_Ref", "sale"),
    "request_payment_invoice_token_instant.json": (Channel.REQUEST, "cpi_Ref", "create"),
}


def test_every_real_payload_is_covered() -> None:
    assert {path.name for path in (FIXTURES / "real").iterdir()} == set(REAL)


@pytest.mark.parametrize("name", sorted(REAL))
def test_every_real_payload_parses_signed(name: str) -> None:
    channel, ref, operation = REAL[name]
    body = (FIXTURES / "real" / name).read_bytes()
    found = result(body, channel, signed=channel is Channel.CALLBACK, ref=ref,
                   operation=operation)
    assert found.error is None and found.defect is None, found.error
    assert len(found.events) == 1


# -- fuzz ----------------------------------------------------------------------------------------

HOSTILE_VALUES = st.sampled_from([
    '"\\ud800"', '"cpi_\\u0000"', '"\\u202e"', '"١٢٣"', '"１２３"', "9" * 5000,
    "92233720368547758.08", "-1", "0", "1e999", '"1.005"', "true", "null", "[]", "{}",
    '"' + "a" * 5000 + '"', "[" * 40 + "]" * 40, '{"a": 1, "a": 2}', '"processed"',
    '"refunded"', "1700000000", '"2026-01-01T00:00:00Z"'])


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A fixture or real body with one value, one span or a few bytes made hostile."""
    text = draw(st.sampled_from(BODIES)).read_text(encoding="utf-8")
    how = draw(st.sampled_from(["value", "splice", "bytes", "truncate"]))
    if how == "value":
        starts = [i + 1 for i, char in enumerate(text) if char == ":"]
        start = draw(st.sampled_from(starts))
        end = start
        while end < len(text) and text[end] not in ",}]":
            end += 1
        return (text[:start] + draw(HOSTILE_VALUES) + text[end:]).encode("utf-8")
    raw = text.encode("utf-8")
    at = draw(st.integers(0, len(raw)))
    if how == "splice":
        return raw[:at] + draw(HOSTILE_VALUES).encode("utf-8") + raw[at:]
    if how == "truncate":
        return raw[:at]
    noise = draw(st.binary(min_size=1, max_size=8))
    return raw[:at] + noise + raw[at + len(noise):]


@given(body=mutated(), channel=st.sampled_from(CHANNELS), signed=st.booleans(),
       ref=st.sampled_from([None, "cpi_Ref"]), operation=st.sampled_from([None, "sale"]))
def test_parse_never_raises_on_mutated_bodies(body: bytes, channel: Channel, signed: bool,
                                              ref: str | None, operation: str | None) -> None:
    found = result(body, channel, signed=signed, ref=ref, operation=operation)
    assert found.defect is None, found.defect
    assert (found.error is None) != (found.events == ())
    if found.error is not None:
        assert found.error.field and found.error.provider == "invoices"
    for event in found.events:
        assert event.money is None or 0 <= event.money.amount <= 10**12 * 1000
