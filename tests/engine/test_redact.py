from __future__ import annotations

import json
import re

import pytest

from paychart import Channel, Orchestrator, RawInput
from paychart.redact import mask_card_numbers, redact_body, redact_headers

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
