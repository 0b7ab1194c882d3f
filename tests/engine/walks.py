"""Hypothesis strategies that walk charts: legal sequences and their corruptions.

A legal sequence comes from the charts themselves: a walk over the spec's edges, with an
independent model of the ledger for the generic money rules (capture ≤ capturable, refund ≤
refundable…) and of parent effects and parent triggers for families. Only provider-specific
rules (``platform_…``, ``ts_…``, ``invoice_…``) are evaluated with their own registered code
on the model's figures. The engine under test is never asked what is legal: the model's
ledger arithmetic and generic guards are the simulator's (``paychart._sim_model``), written
apart from the orchestrator, so the two oracles share one model instead of two copies.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

import attrs
from hypothesis import strategies as st

from paychart import Channel, Chart, ChartSet, Edge, Event, Ledger, Money, SignatureStatus
from paychart._sim_model import Refused, model_effect
from paychart._sim_model import capturable as _capturable
from paychart._sim_model import disputable as _disputable
from paychart._sim_model import model_guard as _model_guard
from paychart._sim_model import refundable as _refundable

CURRENCY = "EUR"
EMPTY = Ledger()
FACT_CHOICES = ((), (("two_stage", "true"),))


def model_guard(edge: Edge, ledger: Ledger, event: Event) -> bool:
    return _model_guard(edge, ledger, event, ())


@attrs.frozen
class Obj:
    """The model's view of one object."""

    state: str
    ledger: Ledger = EMPTY


def model_edge(chart: Chart, state: str, trigger: str, target: str | None,
               options: Collection[str], ledger: Ledger, event: Event) -> Edge | None:
    """The edge the chart's rules pick, as ARCHITECTURE.md says: among the edges of this
    trigger (those into the reported state when any leads there), the first enabled one
    whose guard passes."""
    candidates = [e for e in chart.edges if e.origin == state and e.trigger == trigger]
    if any(e.target == target for e in candidates):
        candidates = [e for e in candidates if e.target == target]
    for edge in candidates:
        if edge.override is not None and edge.override not in options:
            continue
        if model_guard(edge, ledger, event):
            return edge
    return None


def _amount(data: st.DataObject, edge: Edge, ledger: Ledger | None) -> int | None:
    """An amount likely to satisfy the edge's guard and effect, sometimes any amount."""
    limits = {"capture": _capturable, "refund": _refundable, "chargeback": _disputable}
    name = edge.spec.effect or edge.spec.parent_effect or ""
    room = limits.get(name)
    if room is not None and ledger is not None:
        available = room(ledger)
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


@attrs.define
class FamilyModel:
    """Objects of one parent chart and its child charts, moved by the model only."""

    charts: ChartSet
    options: Collection[str]
    objects: dict[tuple[str, str], Obj] = attrs.Factory(dict)

    def step(self, chart: Chart, object_id: str, edge: Edge, event: Event) -> bool:
        """Apply ``event`` (for ``edge``) if the charts make it legal; whether they did."""
        current = self.objects.get((chart.object_kind, object_id))
        state = chart.initial if current is None else current.state
        ledger = EMPTY if current is None else current.ledger
        chosen = model_edge(chart, state, edge.trigger, edge.target, self.options, ledger,
                            event)
        if chosen is not edge:
            return False
        if ledger.currency is None and event.money is not None:
            ledger = attrs.evolve(ledger, currency=event.money.currency)  # its first money
        try:
            ledger = model_effect(edge.spec.effect, edge.effect, ledger, event)
        except Refused:
            return False
        if not ledger.holds_invariants():
            return False
        updates = {(chart.object_kind, object_id): Obj(edge.target, ledger)}
        if edge.parent_effect is not None or edge.parent_trigger is not None:
            parent = self._parent_move(chart, edge, event)
            if parent is None:
                return False
            updates[(chart.spec.parent or "", event.parent_id or "")] = parent
        self.objects.update(updates)
        return True

    def _parent_move(self, chart: Chart, edge: Edge, event: Event) -> Obj | None:
        parent_chart = self.charts.parent_of(chart)
        parent = self.objects.get((chart.spec.parent or "", event.parent_id or ""))
        if parent_chart is None or parent is None:
            return None  # the ordered delivery names parents it has seen
        try:
            ledger = model_effect(edge.spec.parent_effect, edge.parent_effect, parent.ledger,
                                  event)
        except Refused:
            return None
        if not ledger.holds_invariants():
            return None
        state = parent.state
        if edge.parent_trigger is not None:
            moved = model_edge(parent_chart, state, edge.parent_trigger, None, self.options,
                               ledger, event)
            if moved is not None:
                state = moved.target
            elif (state, edge.parent_trigger) not in parent_chart.table:
                return None  # the parent is not where this child's move applies
        return Obj(state, ledger)


def family_walk(data: st.DataObject, charts: ChartSet, parent: Chart,
                children: Sequence[Chart], options: Collection[str], *, steps: int = 10,
                child_objects: int = 2, sequenced: bool = False
                ) -> tuple[list[Event], FamilyModel]:
    """A legal ordered delivery for one parent and its children, and the model's end.
    ``sequenced``: every message carries the provider's order (its time), rising."""
    model = FamilyModel(charts, options)
    objects = [(parent, "par-0")] + [(c, f"{c.object_kind[:3]}-{n}") for c in children
                                      for n in range(child_objects)]
    made: list[Event] = []
    for step in range(steps):
        chart, object_id = data.draw(st.sampled_from(objects), label="object")
        current = model.objects.get((chart.object_kind, object_id))
        state = chart.initial if current is None else current.state
        edges = [e for e in chart.edges if e.origin == state
                 and (e.override is None or e.override in options)]
        if not edges:
            continue
        edge = data.draw(st.sampled_from(edges), label="edge")
        ledger = current.ledger if current is not None else None
        if chart is not parent and (edge.parent_effect or edge.parent_trigger):
            held = model.objects.get((parent.object_kind, "par-0"))
            ledger = held.ledger if held is not None else None
        amount = _amount(data, edge, ledger)
        channel = (Channel.RESPONSE if current is None else
                   data.draw(st.sampled_from([Channel.CALLBACK, Channel.POLL]), label="channel"))
        event = Event(chart.provider, chart.object_kind, object_id, edge.trigger, channel,
                      dedupe_key=f"{object_id}:{step}:{edge.trigger}", state=edge.target,
                      money=Money(amount, CURRENCY) if amount is not None else None,
                      parent_id="par-0" if chart is not parent else None,
                      sequence=step if sequenced else None,
                      facts=data.draw(st.sampled_from(FACT_CHOICES), label="facts"))
        if model.step(chart, object_id, edge, event):
            made.append(event)
    return made, model


def legal_walk(data: st.DataObject, charts: ChartSet, chart: Chart,
               options: Collection[str], *, objects: int = 2, steps: int = 8,
               sequenced: bool = False) -> list[Event]:
    """A legal ordered delivery for a few objects of ``chart``, interleaved. Children get a
    parent that never arrives, so only their own edges are walked."""
    model = FamilyModel(charts, options)
    ids = [f"{chart.object_kind[:3]}-{n}" for n in range(objects)]
    made: list[Event] = []
    for step in range(steps):
        object_id = data.draw(st.sampled_from(ids), label="object")
        current = model.objects.get((chart.object_kind, object_id))
        state = chart.initial if current is None else current.state
        edges = [e for e in chart.edges if e.origin == state
                 and (e.override is None or e.override in options)
                 and e.parent_effect is None and e.parent_trigger is None]
        if not edges:
            continue
        edge = data.draw(st.sampled_from(edges), label="edge")
        channel = data.draw(st.sampled_from([Channel.RESPONSE, Channel.CALLBACK, Channel.POLL])
                            if current is None else st.sampled_from(list(Channel)),
                            label="channel")
        amount = _amount(data, edge, current.ledger if current else None)
        event = Event(chart.provider, chart.object_kind, object_id, edge.trigger, channel,
                      dedupe_key=f"{object_id}:{step}:{edge.trigger}", state=edge.target,
                      money=Money(amount, CURRENCY) if amount is not None else None,
                      parent_id="parent-0" if chart.spec.parent else None,
                      sequence=step if sequenced else None,
                      facts=data.draw(st.sampled_from(FACT_CHOICES), label="facts"))
        if model.step(chart, object_id, edge, event):
            made.append(event)
    return made


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
