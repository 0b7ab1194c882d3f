"""Every adapter's ``encode`` is the inverse of its ``parse``: for an event drawn from any
edge of the provider's charts, on any channel the protocol says it on, the signed wire form
parses back to the same object, trigger, state, money and parent, and verifies."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import Channel, ChartSet, Event, Money, SignatureStatus
from paychart.adapter import AdapterContext, Encoder, RawInput
from paychart.adapters import available, get_adapter
from paychart.chart import Edge
from paychart.secrets import Secrets

FIXTURES = Path(__file__).parent / "fixtures"
CHARTS = ChartSet.bundled()
CHANNELS = (Channel.CALLBACK, Channel.RESPONSE, Channel.POLL)
PROVIDERS = sorted(p for p in available() if p != "_template")
FACTS = {"cardlink": ({}, {"two_stage": "true"}),
         "paylink": ({}, {"test": "true"}),
         "invoices": ({"test_mode": "true"}, {"test_mode": "false"}),
         "platform": ({"payer_email": "doe@example.com", "card_first6": "411111",
                       "card_last4": "1111"},),
         "transaction_services": ({},)}
CURRENCIES = {"invoices": "USD", "transaction_services": "EUR"}


def secrets_of(provider: str) -> Mapping[str, str]:
    """The fixtures' secrets, plus the signing key of a protocol signed by public key."""
    secrets = dict(Secrets.load(FIXTURES / provider / "secrets.toml").for_provider(provider))
    private = FIXTURES / provider / "test_only_rsa_private.pem"
    if private.exists():
        secrets["private_key"] = private.read_text()
    return secrets


def reported(provider: str) -> set[tuple[str, str]]:
    """(object kind, trigger) pairs the provider's status table can say."""
    vocab = importlib.import_module(f"paychart.adapters.{provider}.vocab")
    return {(move.object_kind, move.trigger) for move in vocab.MOVES}


def parent_triggers(provider: str) -> set[tuple[str, str]]:
    """(object kind, trigger) pairs a child's edge moves its parent by."""
    return {(chart.spec.parent or "", edge.parent_trigger) for chart in CHARTS
            if chart.provider == provider for edge in chart.edges if edge.parent_trigger}


def edges(provider: str) -> list[tuple[str, Edge]]:
    """The edges a message of the provider can ask for (the others a child's move takes)."""
    said = reported(provider)
    return [(chart.name, edge) for chart in CHARTS if chart.provider == provider
            for edge in chart.edges if (chart.object_kind, edge.trigger) in said]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unreported_edges_are_parent_moves(provider: str) -> None:
    """An edge no status reports is one a child's edge takes, so no message needs to."""
    said, moved = reported(provider), parent_triggers(provider)
    unreachable = [f"{chart.name} {edge.trigger}" for chart in CHARTS
                   if chart.provider == provider for edge in chart.edges
                   if (chart.object_kind, edge.trigger) not in said | moved]
    assert not unreachable


def encoder(provider: str) -> Encoder:
    encode = get_adapter(provider).encode  # type: ignore[attr-defined]
    assert encode is not None, f"{provider} has no encode"
    return encode  # type: ignore[no-any-return]


def drawn_event(data: st.DataObject, provider: str, chart_name: str, edge: Edge,
                channel: Channel) -> Event:
    chart = CHARTS.named(chart_name)
    object_id = data.draw(st.from_regex(r"[a-z0-9]{6,20}", fullmatch=True), label="id")
    parent = None
    if chart.spec.parent:
        parent = object_id if chart.object_kind == "dispute" else data.draw(
            st.from_regex(r"[a-z0-9]{6,20}", fullmatch=True), label="parent")
    amount = data.draw(st.integers(1, 10_000_000), label="amount")
    currency = CURRENCIES.get(provider, data.draw(st.sampled_from(["EUR", "USD"])))
    return Event(provider, chart.object_kind, object_id, edge.trigger, channel,
                 dedupe_key="drawn", state=edge.target, money=Money(amount, currency),
                 parent_id=parent)


def test_every_provider_encodes() -> None:
    assert PROVIDERS and all(encoder(p) for p in PROVIDERS)


def assert_round_trip(provider: str, event: Event, facts: Mapping[str, str], edge: Edge
                      ) -> bool:
    """Whether the protocol says ``event`` on its channel; if it does, that ``parse`` gives
    the event back, verified."""
    secrets = secrets_of(provider)
    try:
        wire = encoder(provider)(event, facts, secrets)
    except ValueError:
        return False
    remembered = {**facts, **({"payment": event.parent_id} if event.parent_id else {})}
    raw = RawInput(provider, wire.channel, wire.body, wire.headers, ref=wire.ref,
                   operation=wire.operation)
    result = get_adapter(provider).parse(
        raw, AdapterContext(secrets, lambda _kind, _id: remembered))
    assert result.error is None, result.error
    parsed = [e for e in result.events if e.object_id == event.object_id
              and e.object_kind == event.object_kind]
    assert parsed, result.events
    got = parsed[0]
    assert (got.trigger, got.channel) == (event.trigger, event.channel)
    # the state the wire reports, or none (only the ledger tells), or one no edge of this
    # trigger leads to from here, so the chart takes the edge by its trigger alone
    chart = CHARTS.get(provider, event.object_kind)
    assert got.state in (event.state, None) or not any(
        e.origin == edge.origin and e.trigger == edge.trigger and e.target == got.state
        for e in chart.edges)
    if got.money is not None or event.channel is Channel.CALLBACK:
        assert got.money == event.money
    if event.parent_id is not None and got.parent_id is not None:
        assert got.parent_id == event.parent_id
    if event.channel is Channel.CALLBACK:
        assert got.signature is SignatureStatus.VALID
    return True


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_edge_has_a_channel(provider: str) -> None:
    """Some channel of the protocol says every edge a status reports, and parses back."""
    unsaid = []
    for chart_name, edge in edges(provider):
        chart = CHARTS.named(chart_name)
        said = False
        for channel in CHANNELS:
            for facts in FACTS[provider]:
                event = Event(provider, chart.object_kind, "obj0001", edge.trigger, channel,
                              "k", state=edge.target,
                              money=Money(1000, CURRENCIES.get(provider, "EUR")),
                              parent_id="obj0001" if chart.spec.parent else None)
                said = assert_round_trip(provider, event, facts, edge) or said
        if not said:
            unsaid.append(f"{chart_name} {edge.origin}-{edge.trigger}->{edge.target}")
    assert not unsaid


@pytest.mark.parametrize("provider", PROVIDERS)
@given(data=st.data())
def test_parse_inverts_encode(provider: str, data: st.DataObject) -> None:
    chart_name, edge = data.draw(st.sampled_from(edges(provider)), label="edge")
    channel = data.draw(st.sampled_from(CHANNELS), label="channel")
    facts = data.draw(st.sampled_from(FACTS[provider]), label="facts")
    assert_round_trip(provider, drawn_event(data, provider, chart_name, edge, channel), facts,
                      edge)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unsigned_without_secrets(provider: str) -> None:
    """Without secrets the callback carries no signature: it is not authenticated."""
    encode = encoder(provider)
    for chart_name, edge in edges(provider):
        chart = CHARTS.named(chart_name)
        event = Event(provider, chart.object_kind, "obj0001", edge.trigger, Channel.CALLBACK,
                      "k", state=edge.target, money=Money(1000, CURRENCIES.get(provider, "EUR")))
        try:
            signed = encode(event, FACTS[provider][0], secrets_of(provider))
            bare = encode(event, FACTS[provider][0], {})
        except ValueError:
            continue
        assert attrs.evolve(bare, body=b"", headers={}) == attrs.evolve(signed, body=b"",
                                                                           headers={})
        assert (bare.body, dict(bare.headers)) != (signed.body, dict(signed.headers))
        return
    pytest.fail(f"{provider} encodes no callback")
