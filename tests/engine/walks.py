"""Hypothesis strategies that walk any chart: legal sequences and their corruptions.

A legal sequence is found by walking the chart with a live orchestrator and keeping the
events it applied, so provider-specific guards need no special knowledge here.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs
from hypothesis import strategies as st

from paychart import Channel, Chart, Edge, Event, Money, Orchestrator, Outcome, SignatureStatus

CURRENCY = "EUR"
FACT_CHOICES = ((), (("two_stage", "true"),))


def _amount(data: st.DataObject, edge: Edge, engine: Orchestrator, chart: Chart,
            object_id: str) -> int | None:
    """An amount likely to satisfy the edge's guard and effect, sometimes a wrong one."""
    record = engine.record(chart.provider, chart.object_kind, object_id)
    ledger = record.ledger if record is not None else None
    limits = {"capture": "capturable", "refund": "refundable", "chargeback": "disputable"}
    name = edge.spec.effect or edge.spec.parent_effect or ""
    figure = limits.get(name)
    if figure is not None and ledger is not None:
        available = ledger.figure(figure)
        guard = edge.guard_name or ""
        if available > 1 and guard.endswith("_part"):
            return data.draw(st.integers(1, available - 1), label="part")
        if guard.endswith("_all"):
            return available
        if available > 0:
            return data.draw(st.integers(1, available), label="amount")
    if data.draw(st.booleans(), label="with amount"):
        return data.draw(st.integers(1, 100_000), label="amount")
    return None


def legal_walk(data: st.DataObject, engine: Orchestrator, chart: Chart, *,
               objects: int = 2, steps: int = 8, sequenced: bool = False) -> list[Event]:
    """Events that ``engine`` applied, walking ``chart`` for a few objects, interleaved."""
    applied: list[Event] = []
    ids = [f"{chart.object_kind[:3]}-{n}" for n in range(objects)]
    parent = chart.spec.parent
    for step in range(steps):
        object_id = data.draw(st.sampled_from(ids), label="object")
        record = engine.record(chart.provider, chart.object_kind, object_id)
        current = record.state if record is not None else chart.initial
        edges = [e for e in chart.edges if e.origin == current
                 and (e.override is None or e.override in engine.options)]
        if not edges:
            continue
        edge = data.draw(st.sampled_from(edges), label="edge")
        channel = data.draw(st.sampled_from([Channel.RESPONSE, Channel.CALLBACK, Channel.POLL])
                            if record is None else st.sampled_from(list(Channel)),
                            label="channel")
        amount = _amount(data, edge, engine, chart, object_id)
        event = Event(
            chart.provider, chart.object_kind, object_id, edge.trigger, channel,
            dedupe_key=f"{object_id}:{step}:{edge.trigger}", state=edge.target,
            money=Money(amount, CURRENCY) if amount is not None else None,
            parent_id="parent-0" if parent else None,
            sequence=step if sequenced else None,
            facts=data.draw(st.sampled_from(FACT_CHOICES), label="facts"))
        if engine.apply(event).outcome is Outcome.APPLIED:
            applied.append(event)
    return applied


def noise(data: st.DataObject, chart: Chart, sample: Sequence[Event]) -> list[Event]:
    """Illegal and malformed events about the same objects: random triggers and states,
    forged signatures, foreign currencies, unknown object kinds."""
    if not sample:
        return []
    made = []
    states = sorted(chart.canonical)
    triggers = sorted(chart.triggers)
    for n in range(data.draw(st.integers(0, 4), label="noise count")):
        base = data.draw(st.sampled_from(list(sample)), label="noise base")
        kind = data.draw(st.sampled_from(["illegal", "forged", "currency", "kind"]),
                         label="noise kind")
        key = f"noise:{n}:{kind}"
        if kind == "illegal":
            made.append(attrs.evolve(base, dedupe_key=key,
                                     trigger=data.draw(st.sampled_from(triggers)),
                                     state=data.draw(st.sampled_from(states))))
        elif kind == "forged":
            made.append(attrs.evolve(base, dedupe_key=key, signature=SignatureStatus.INVALID))
        elif kind == "currency":
            made.append(attrs.evolve(base, dedupe_key=key, money=Money(100, "JPY")))
        else:
            made.append(attrs.evolve(base, dedupe_key=key, object_kind="no_such_kind"))
    return made


def shuffled_with_duplicates(data: st.DataObject, events: Sequence[Event]) -> list[Event]:
    """The same events, reordered, some delivered two or three times."""
    delivered = list(events)
    for event in events:
        copies = data.draw(st.integers(0, 2), label="extra copies")
        delivered += [event] * copies
    return data.draw(st.permutations(delivered), label="delivery order")
