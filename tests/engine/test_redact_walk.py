"""The redaction walk, sped up by per-name plans and short-text shortcuts, redacts exactly as
the generic walk it replaced (kept here as the reference) on any JSON document."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from paychart import redact
from paychart.redact import (
    REMOVED,
    _is_card_key,
    _is_dropped,
    _normalized_fields,
    _redact_number,
    _scrub_pairs,
    mask_card_numbers,
    redact_body,
)


def reference_walk(value: Any, dropped: frozenset[str], *, card_field: bool = False,
                   parent: str = "") -> Any:
    """The walk as it was before the speed-up: every name classified, every string scanned."""
    if isinstance(value, dict):
        return {mask_card_numbers(str(k)): (
                    REMOVED if _is_dropped(str(k), parent, dropped) else
                    reference_walk(v, dropped, card_field=_is_card_key(str(k)), parent=str(k)))
                for k, v in value.items()}
    if isinstance(value, list):
        return [reference_walk(v, dropped, card_field=card_field, parent=parent) for v in value]
    if isinstance(value, str):
        return _scrub_pairs(mask_card_numbers(value, card_field=card_field))
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _redact_number(value, card_field=card_field)
    return value


NAMES = st.sampled_from(["cardNumber", "pan", "card_cvv2", "CVV", "token", "metadata",
                         "password", "amount", "status", "note", "4111111111111111",
                         "authorization_code", "Authorization", "apiKey", "pin", "id"])
TEXTS = st.one_of(
    st.sampled_from(["4111111111111111", "4111 1111 1111 1111", "4617-6117-9431-3933",
                     "5555555555554444", "1234567890123", "cvv=123", '"cvv": "123"',
                     "pin:0000 and password=hunter2", "2026-01-01T00:00:00+00:00",
                     "approved", "", "token=abc&x=1", "+44 20 7946 0958 123"]),
    st.text(alphabet="0123456789 -=:abcvCV", max_size=30),
    st.text(max_size=12))
NUMBERS = st.one_of(st.integers(), st.sampled_from([4111111111111111, 5555555555554444,
                                                    4111111111111111.0, 1e16, -1234567890123]),
                    st.floats(allow_nan=False, allow_infinity=False))
DOCUMENTS = st.recursive(
    st.one_of(TEXTS, NUMBERS, st.booleans(), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(NAMES, TEXTS), inner, max_size=5)),
    max_leaves=20)
DROPPED = st.sampled_from([frozenset(), frozenset({"token"}), frozenset({"metadata.token"})])


@given(DOCUMENTS, DROPPED)
def test_the_fast_walk_redacts_as_the_generic_walk(document: Any, dropped: frozenset[str]
                                                   ) -> None:
    fields = _normalized_fields(dropped)
    expected = reference_walk(document, fields)
    assert redact._redact_value(document, fields) == expected
    if not isinstance(document, dict | list):
        return  # a bare scalar is not a JSON body: redact_body renders it as unparsed text
    body = json.dumps(document).encode("utf-8")
    assert redact_body(body, dropped) == json.dumps(
        reference_walk(json.loads(body), fields), ensure_ascii=False, separators=(",", ":"))


def test_card_numbers_and_secrets_are_still_masked_and_dropped() -> None:
    body = json.dumps({"cardNumber": "4111111111111112", "note": "paid 4111 1111 1111 1111",
                       "cvv": "123", "metadata": {"token": "t"}, "pan": 5555555555554444,
                       "memo": "cvv=999"}).encode()
    shown = json.loads(redact_body(body, frozenset({"metadata.token"})))
    assert shown == {"cardNumber": "411111******1112", "note": "paid 411111******1111",
                     "cvv": REMOVED, "metadata": {"token": REMOVED}, "pan": "555555******4444",
                     "memo": f"cvv={REMOVED}"}
