"""Redaction from the adapter's parsed document (``redact_document``) stores exactly the text
the generic walk (``redact_body``) stores for the same body, for every provider, on its real
payloads and fixtures with card numbers, security codes, secrets and hostile text planted in
random places; and the journal really takes that path for a parsed body."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from paychart import journal
from paychart.adapter import AdapterContext, JsonFloat, JsonInt, RawInput
from paychart.charts import ChartSet
from paychart.decision import Decision, Outcome
from paychart.event import Channel
from paychart.inputs import parse_raw
from paychart.orchestrator import Orchestrator
from paychart.providers import get_adapter, redacted_fields
from paychart.redact import REMOVED, redact_body
from paychart.redact_document import redact_document
from tests.cards import luhn

FIXTURES = Path(__file__).resolve().parent.parent / "adapters" / "fixtures"
PROVIDERS = ("cardlink", "invoices", "paylink", "platform", "transaction_services")
NOTHING = AdapterContext()


def _recorded(provider: str) -> Iterator[RawInput]:
    """The provider's recorded sequences: raw inputs with their channel, ref and operation."""
    for path in sorted((FIXTURES / provider / "sequences").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and '"body"' in line:
                yield parse_raw(json.loads(line))


def _parsed_samples(provider: str) -> list[RawInput]:
    """Every fixture body of ``provider`` (its real payloads too) on each channel and
    operation it parses on with a document handed over, and every recorded input that does."""
    adapter = get_adapter(provider)
    recorded = list(_recorded(provider))
    operations = [*sorted({raw.operation for raw in recorded if raw.operation}), None]
    found: dict[bytes, RawInput] = {}
    for raw in recorded:
        if adapter.parse(raw, NOTHING).document is not None:
            found.setdefault(raw.body, raw)
    for path in sorted((FIXTURES / provider).rglob("*.json")):
        body = path.read_bytes()
        for channel in Channel:
            for operation in operations:
                raw = RawInput(provider, channel, body, {}, None, "ref-1", operation)
                if body not in found and adapter.parse(raw, NOTHING).document is not None:
                    found[body] = raw
    return list(found.values())


SAMPLES = {provider: _parsed_samples(provider) for provider in PROVIDERS}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_hands_its_parsed_json_over(provider: str) -> None:
    """Without samples the property below would test nothing for the provider."""
    assert len(SAMPLES[provider]) >= 3


@pytest.mark.parametrize("provider", PROVIDERS)
def test_fixture_bodies_redact_to_the_generic_text(provider: str) -> None:
    dropped = redacted_fields(provider)
    for raw in SAMPLES[provider]:
        document = get_adapter(provider).parse(raw, NOTHING).document
        assert redact_document(raw.body, document, dropped) == redact_body(raw.body, dropped)


# -- the property: planted card data, secrets and hostile text -----------------------------

@st.composite
def card_numbers(draw: st.DrawFn) -> str:
    """A Luhn-valid number of 13 to 19 digits, not starting with 0."""
    length = draw(st.integers(13, 19))
    body = str(draw(st.integers(1, 9))) + "".join(
        str(d) for d in draw(st.lists(st.integers(0, 9), min_size=length - 2,
                                      max_size=length - 2)))
    check = next(str(d) for d in range(10) if luhn(body + str(d)))
    return body + check


def _grouped(pan: str, separator: str) -> str:
    return separator.join(pan[i:i + 4] for i in range(0, len(pan), 4))


SECRET_NAMES = ("cvv", "card_cvv2", "CVC", "securityCode", "password", "api_key",
                "client_secret", "pin", "accessToken")
PLAIN_NAMES = ("description", "note", "comment", "memo", "extra", "ключ", "x\u202ey", "a=b",
               "cvv=1", "cardHolder")
CARD_NAMES = ("cardNumber", "pan", "card_number", "ccNumber", "4111111111111111")
HOSTILE = st.one_of(st.text(max_size=24), st.sampled_from([
    "cvv=123", '"cvv": "999"', "pin:0000 and password=hunter2", "token=abc&x=1",
    "\u2028\u2029</script>", "\\u0000", "9" * 25, "+44 20 7946 0958 123", "-0", "1e400"]))


@attrs.frozen
class Plant:
    """One planted field: where the value goes, and what must not survive redaction."""

    name: str
    value: Any
    forbidden: tuple[str, ...] = ()


@st.composite
def plants(draw: st.DrawFn) -> Plant:
    pan = draw(card_numbers())
    shown = draw(st.sampled_from([pan, _grouped(pan, " "), _grouped(pan, "-")]))
    kind = draw(st.sampled_from(["card", "text", "number", "secret", "nested", "hostile"]))
    if kind == "card":
        return Plant(draw(st.sampled_from(CARD_NAMES + PLAIN_NAMES)), shown, (shown, pan))
    if kind == "text":
        return Plant(draw(st.sampled_from(PLAIN_NAMES)), f"paid with {shown} today",
                     (shown, pan))
    if kind == "number":
        return Plant(draw(st.sampled_from(CARD_NAMES + PLAIN_NAMES)), int(pan), (pan,))
    marker = f"S3cr3t-{draw(st.integers(10**5, 10**6))}"
    if kind == "secret":
        return Plant(draw(st.sampled_from(SECRET_NAMES)), marker, (marker,))
    if kind == "nested":
        return Plant(draw(st.sampled_from(PLAIN_NAMES)),
                     {"card": {"number": shown, "cvv": marker}, "list": [shown, 1.5]},
                     (shown, pan, marker))
    return Plant(draw(st.sampled_from(PLAIN_NAMES)), draw(HOSTILE))


def _objects(value: Any) -> list[dict[str, Any]]:
    """Every JSON object in ``value``, the outermost first."""
    found = []
    if isinstance(value, dict):
        found.append(value)
        for item in value.values():
            found += _objects(item)
    elif isinstance(value, list):
        for item in value:
            found += _objects(item)
    return found


_LAYOUTS: tuple[dict[str, Any], ...] = (
    {}, {"indent": 2}, {"separators": (",", ":")}, {"ensure_ascii": False}, {"indent": "\t"})


@st.composite
def planted_inputs(draw: st.DrawFn, provider: str) -> tuple[RawInput, list[Plant]]:
    raw = draw(st.sampled_from(SAMPLES[provider]))
    document = json.loads(raw.body)
    planted = draw(st.lists(plants(), min_size=1, max_size=4))
    for plant in planted:
        objects = _objects(document)
        target = objects[draw(st.integers(0, len(objects) - 1))]
        if plant.name not in target:
            target[plant.name] = copy.deepcopy(plant.value)
    layout = draw(st.sampled_from(_LAYOUTS))
    body = json.dumps(document, **layout).encode("utf-8")
    return attrs.evolve(raw, body=body), [p for p in planted if _holds(document, p)]


def _holds(document: Any, plant: Plant) -> bool:
    return any(obj.get(plant.name) == plant.value for obj in _objects(document))


_CARD_LIKE = re.compile(r"(?<![0-9A-Za-z.])\d(?:[ -]?\d){12,18}(?![0-9A-Za-z]|\.\d)")
"""A run of 13–19 digits standing alone (digits in a hex token or a decimal are no card)."""


def _card_numbers_in(text: str) -> list[str]:
    runs = (re.sub(r"\D", "", match.group(0)) for match in _CARD_LIKE.finditer(text))
    return [digits for digits in runs if luhn(digits)]


def _check_planted(provider: str, raw: RawInput, planted: list[Plant]) -> None:
    result = get_adapter(provider).parse(raw, NOTHING)
    assume(result.document is not None)
    dropped = redacted_fields(provider)
    fast = redact_document(raw.body, result.document, dropped)
    assert fast is not None
    assert fast == redact_body(raw.body, dropped)
    assert _card_numbers_in(fast) == []
    for plant in planted:
        for text in plant.forbidden:
            assert text not in fast


@given(planted_inputs("cardlink"))
def test_cardlink_planted(case: tuple[RawInput, list[Plant]]) -> None:
    _check_planted("cardlink", *case)


@given(planted_inputs("invoices"))
def test_invoices_planted(case: tuple[RawInput, list[Plant]]) -> None:
    _check_planted("invoices", *case)


@given(planted_inputs("paylink"))
def test_paylink_planted(case: tuple[RawInput, list[Plant]]) -> None:
    _check_planted("paylink", *case)


@given(planted_inputs("platform"))
def test_platform_planted(case: tuple[RawInput, list[Plant]]) -> None:
    _check_planted("platform", *case)


@given(planted_inputs("transaction_services"))
def test_transaction_services_planted(case: tuple[RawInput, list[Plant]]) -> None:
    _check_planted("transaction_services", *case)


# -- the journal takes the fast path, and falls back to the generic one -------------------

def _callback_with_a_card_in_its_description() -> RawInput:
    raw = next(raw for raw in SAMPLES["cardlink"] if raw.channel is Channel.CALLBACK)
    document = json.loads(raw.body)
    document["description"] = "card 4111 1111 1111 1111, cvv=123"
    document["cvv"] = "123"
    return attrs.evolve(raw, body=json.dumps(document).encode("utf-8"))


def test_a_parsed_body_is_journaled_without_a_second_parse(
        monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _callback_with_a_card_in_its_description()
    expected = redact_body(raw.body)
    def no_second_parse(body: bytes, dropped: frozenset[str] = frozenset()) -> str:
        raise AssertionError("the body was parsed again")
    monkeypatch.setattr(journal, "redact_body", no_second_parse)
    engine = Orchestrator(ChartSet.bundled())
    engine.ingest(raw, get_adapter("cardlink"), NOTHING)
    (entry,) = list(engine.store.journal())
    assert entry.payload == expected
    assert "4111 1111 1111 1111" not in expected and '"cvv":"[removed]"' in expected


def test_an_input_the_adapter_refuses_is_redacted_by_the_generic_walk(
        monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _callback_with_a_card_in_its_description()
    document = json.loads(raw.body)
    document["token"] = "has a space"  # an id may not hold whitespace: the parse fails
    raw = attrs.evolve(raw, body=json.dumps(document).encode("utf-8"))
    calls: list[bytes] = []
    def generic(body: bytes, dropped: frozenset[str] = frozenset()) -> str:
        calls.append(body)
        return redact_body(body, dropped)
    monkeypatch.setattr(journal, "redact_body", generic)
    engine = Orchestrator(ChartSet.bundled())
    (decision,) = engine.ingest(raw, get_adapter("cardlink"), NOTHING)
    assert decision.outcome is Outcome.INVALID
    assert calls == [raw.body]


def _entry_payload(body: bytes, document: object) -> str | None:
    raw = RawInput("cardlink", Channel.CALLBACK, body)
    entry = journal.journal_entry(Decision(outcome=Outcome.INVALID, reason="test"), None, raw,
                                  line=None, claimed=None, options=(), document=document)
    return entry.payload


@pytest.mark.parametrize("body", [
    b"\xef\xbb\xbf{\"pan\": \"4111111111111111\"}",  # Wire drops a BOM; the generic walk not
    b"cvv=123 card 4111111111111111 {",
    b"\xff\xfe not UTF-8 4111111111111111",
])
def test_a_body_the_generic_walk_cannot_parse_keeps_its_fail_closed_rendering(
        body: bytes) -> None:
    """Even when a document is handed over: the generic path decides such bodies."""
    payload = _entry_payload(body, {"pan": "4111111111111111"})
    assert payload == redact_body(body)
    assert payload is not None and payload.startswith("[unparsed body:")
    shown = payload.split("] ", 1)[1]  # after the length and digest
    assert "4111111111111111" not in shown and "123" not in shown


@pytest.mark.parametrize("document", [
    {"amount": 1.5}, {"amount": (1, 2)}, {"nested": [{"x": object()}]}, "text", None])
def test_a_document_not_shaped_like_the_wire_readers_is_left_to_the_generic_walk(
        document: object) -> None:
    body = b'{"amount": 4111111111111111, "note": "x"}'
    assert redact_document(body, document) is None
    assert _entry_payload(body, document) == redact_body(body)


def test_numbers_render_as_json_loads_reads_them() -> None:
    body = b'{"a": -0, "b": 1.50, "c": 1E400, "d": 4111111111111111, "e": 4.111111111111111e15}'
    document = {"a": JsonInt("-0"), "b": JsonFloat("1.50"), "c": JsonFloat("1E400"),
                "d": JsonInt("4111111111111111"), "e": JsonFloat("4.111111111111111e15")}
    rendered = redact_document(body, document)
    assert rendered == redact_body(body)
    assert rendered == ('{"a":0,"b":1.5,"c":Infinity,"d":"411111******1111",'
                        '"e":"411111******1111"}')


def test_secrets_the_provider_declares_are_dropped_from_the_document() -> None:
    body = b'{"metadata": {"token": "bearer-xyz"}, "token": "kept", "cvv2": "123"}'
    document = json.loads(body, parse_int=JsonInt, parse_float=JsonFloat)
    rendered = redact_document(body, document, redacted_fields("invoices"))
    assert rendered == redact_body(body, redacted_fields("invoices"))
    assert json.loads(rendered or "") == {"metadata": {"token": REMOVED}, "token": "kept",
                                          "cvv2": REMOVED}
