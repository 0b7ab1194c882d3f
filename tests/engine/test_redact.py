from __future__ import annotations

import json
import re
import string
from urllib.parse import quote_plus

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import Channel, Orchestrator, RawInput
from paychart.redact import mask_card_numbers, normalize_key, redact_body, redact_headers

from .support import event, shop_charts

PAN = "4111111111111111"


@pytest.mark.parametrize(
    ("body", "absent", "present"),
    [
        (json.dumps({"card": {"pan": PAN, "cvv": "123"}, "amount": 100}), [PAN, '"123"'],
         ["411111******1111", "[removed]"]),
        (f"card_number={PAN}&card_cvv2=987&payer_email=a%40b.c", [PAN, "987"],
         ["411111%2A%2A%2A%2A%2A%2A1111", "%5Bremoved%5D"]),
        (json.dumps({"private_key": "s3cr3t", "password": "pw", "note": f"paid with {PAN}"}),
         ["s3cr3t", '"pw"', PAN], ["411111******1111"]),
        (f"plain text {PAN} end", [PAN], ["411111******1111"]),
    ],
)
def test_bodies_keep_no_card_number_cvv_or_secret(body: str, absent: list[str],
                                                  present: list[str]) -> None:
    redacted = redact_body(body.encode())
    for value in absent:
        assert value not in redacted
    for value in present:
        assert value in redacted


def test_numbers_that_are_not_cards_are_kept() -> None:
    assert mask_card_numbers("order 1234567890123 ref") == "order 1234567890123 ref"
    assert mask_card_numbers("at 1732300000000 ms") == "at 1732300000000 ms"
    assert mask_card_numbers(f"x {PAN}.") == "x 411111******1111."
    assert mask_card_numbers(f"a{PAN}f") == f"a{PAN}f", "digits inside a hex token"


@pytest.mark.parametrize(
    ("body", "masked"),
    [('{"pan": "4617 6117 9431 3933"}', "461761******3933"),
     ('{"card": {"pan": "4276111152393643"}}', "427611******3643"),
     ('{"cardNumber": 4276111152393643}', "427611******3643"),
     ("card_number=4276-1111-5239-3643&x=1", "427611%2A%2A%2A%2A%2A%2A3643"),
     ('{"note": "card 4276 1111 5239 3643 declined"}', "427611******3643")],
)
def test_spaced_and_test_card_numbers_are_masked(body: str, masked: str) -> None:
    redacted = redact_body(body.encode())
    assert masked in redacted
    assert not re.search(r"\d{13,19}", redacted.replace(" ", "").replace("-", ""))


def test_fields_the_adapter_declares_are_removed_where_qualified() -> None:
    body = {"flow_data": {"metadata": {"token": "eyJhbGciOi.secret"}}, "token": "tok_visible"}
    redacted = redact_body(json.dumps(body).encode(), frozenset({"metadata.token"}))
    assert "eyJhbGciOi" not in redacted
    assert "tok_visible" in redacted, "a payment token outside metadata is an id, not a secret"


def test_invoices_declares_the_cardgate_bearer_token() -> None:
    from paychart.adapters import get_adapter

    assert "metadata.token" in get_adapter("invoices").secrets.redacted_fields


def test_credentials_never_reach_headers() -> None:
    headers = dict(redact_headers({"Authorization": "Basic c2hvcDpzZWNyZXQ=", "X-Id": "7"}))
    assert headers == {"Authorization": "[removed]", "X-Id": "7"}


def test_journal_holds_only_redacted_payloads() -> None:
    engine = Orchestrator(shop_charts())
    body = json.dumps({"pan": PAN, "cvv": "321", "secret_key": "k"}).encode()
    raw = RawInput("shop", Channel.REQUEST, body, {"Authorization": "Bearer k3y"})
    engine.apply(event("p1", "start", "pending", channel=Channel.REQUEST), raw=raw)
    (entry,) = engine.store.journal()
    stored = repr(entry)
    assert not re.search(r"\d{13,19}", stored)
    assert "321" not in stored and "k3y" not in stored and '"k"' not in stored
    assert entry.payload_sha256 is not None and len(entry.payload_sha256) == 64


def test_bodies_no_walker_can_take_are_still_redacted_as_text() -> None:
    deep = b"[" * 50_000 + b'"4111111111111111"' + b"]" * 50_000
    assert "4111111111111111" not in redact_body(deep)
    lone = b'{"note": "\\ud800", "pan": "4111111111111111"}'
    redacted = redact_body(lone)
    redacted.encode("utf-8")  # journaled as UTF-8: a lone surrogate must stay escaped
    assert "4111111111111111" not in redacted


def test_headers_named_like_a_credential_are_dropped() -> None:
    headers = dict(redact_headers({"X-Auth-Token": "t0k3n", "AuthToken": "abc",
                                   "Content-Signature": "sig", "X-Request-Id": "r-1"}))
    assert headers == {"X-Auth-Token": "[removed]", "AuthToken": "[removed]",
                       "Content-Signature": "[removed]", "X-Request-Id": "r-1"}


SALE_WITH_SPACE = ("action=SALE&order_description=Blue shirt&card_number=4111111111111111"
                   "&card_cvv2=000&payer_phone=+14155552671")


def test_a_body_that_is_not_strict_form_is_masked_and_drops_the_cvv() -> None:
    redacted = redact_body(SALE_WITH_SPACE.encode())
    assert redacted.startswith(f"[unparsed body: {len(SALE_WITH_SPACE)} bytes, masked sha256 ")
    assert "card_cvv2=[removed]" in redacted and "=000" not in redacted
    assert PAN not in redacted and "411111******1111" in redacted


def test_unparsed_text_masks_every_run_that_could_be_a_card_number() -> None:
    redacted = redact_body(b"not json {order 1234567890123 card 4111-1111-1111-1112 cvv: 123")
    assert "1234567890123" not in redacted and "4111-1111-1111-1112" not in redacted
    assert "cvv=[removed]" in redacted and not redacted.endswith("123")


@pytest.mark.parametrize(
    ("body", "absent"),
    [('{"mystery": 4111111111111111}', PAN),
     ('{"meta": {"x": "4111 1111 1111 1111"}}', "4111 1111 1111 1111"),
     ('{"cardCvv2": "481", "Card-CVC": "482"}', "48"),
     ("a=1&CardCVV=483", "483"),
     (b'{"pan": "4111111111111111", "bad": "\xff"}'.decode("latin-1"), PAN)],
)
def test_card_numbers_and_cvvs_are_removed_under_any_name(body: str, absent: str) -> None:
    assert absent not in redact_body(body.encode("utf-8"))


def test_whole_key_names_decide_what_is_dropped() -> None:
    body = {"authorization_code": "A1B2", "cvv": "1", "cvv2": "2", "card_cvv2": "3", "cvc": "4",
            "password": "5", "secret": "6", "api_key": "7", "private_key": "8", "token": "t",
            "phone": "+14155552671", "iban": "DE89370400440532013000"}
    redacted = json.loads(redact_body(json.dumps(body).encode()))
    assert redacted["authorization_code"] == "A1B2"
    assert all(redacted[k] == "[removed]" for k in
               ("cvv", "cvv2", "card_cvv2", "cvc", "password", "secret", "api_key",
                "private_key"))
    assert redacted["token"] == "t", "a token is an id unless the adapter says otherwise"
    assert (redacted["phone"], redacted["iban"]) == ("+14155552671", "DE89370400440532013000")
    dropped = json.loads(redact_body(json.dumps(body).encode(), frozenset({"token"})))
    assert dropped["token"] == "[removed]"


def test_form_bodies_drop_the_adapters_fields_by_normalized_name() -> None:
    redacted = redact_body(b"recurringToken=abc&authorization_code=X9", frozenset(
        {"recurring_token"}))
    assert redacted == "recurringToken=%5Bremoved%5D&authorization_code=X9"


def _luhn_pan(prefix: str) -> str:
    for last in "0123456789":
        candidate = prefix + last
        total = 0
        for i, char in enumerate(reversed(candidate)):
            value = int(char) * (2 if i % 2 else 1)
            total += value - 9 if value > 9 else value
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


_NAMES = st.text(alphabet=string.ascii_letters + "_", min_size=1, max_size=12).filter(
    lambda k: normalize_key(k) not in ("", "cvv"))
_FILLER = st.text(alphabet=string.ascii_letters + " ,.:", max_size=20)


@st.composite
def _bodies(draw: st.DrawFn) -> tuple[bytes, str, str]:
    """A JSON, form or garbage body with a Luhn-valid PAN and a CVV field."""
    digits = draw(st.text(alphabet="0123456789", min_size=11, max_size=17))
    pan = _luhn_pan(draw(st.sampled_from("23456")) + digits)
    cvv = draw(st.text(alphabet="0123456789", min_size=3, max_size=4))
    shown = draw(st.sampled_from(["string", "number", "grouped"]))
    grouped = " ".join(pan[i:i + 4] for i in range(0, len(pan), 4))
    key = draw(_NAMES)
    cvv_key = draw(st.sampled_from(["cvv", "cvv2", "card_cvv2", "cvc", "cardCvc", "CVV"]))
    filler = draw(_FILLER)
    kind = draw(st.sampled_from(["json", "form", "garbage"]))
    if kind == "json":
        value: object = int(pan) if shown == "number" else grouped if shown == "grouped" else pan
        body = json.dumps({"note": filler, key: value, cvv_key: cvv})
    elif kind == "form":
        text = grouped if shown == "grouped" else pan
        body = f"note={quote_plus(filler)}&{key}={quote_plus(text)}&{cvv_key}={cvv}"
    else:
        text = grouped if shown == "grouped" else pan
        body = f"{filler} {key}: {text}; {cvv_key}={cvv} {filler}"
    return body.encode(), pan, cvv


@given(_bodies())
def test_no_body_keeps_an_embedded_card_number_or_cvv(case: tuple[bytes, str, str]) -> None:
    body, pan, cvv = case
    redacted = redact_body(body)
    assert pan not in re.sub(r"\D", "", redacted)
    rest = re.sub(r"\d{6}\*+\d{4}|^\[unparsed body:[^\]]*\]", "", redacted)
    assert not re.search(rf"(?<!\d){cvv}(?!\d)", rest)
