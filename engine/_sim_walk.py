"""Model-based walks: one family (a payment and its refunds, captures, disputes) from its
initial state towards a final one, each step an edge of the chart whose guard the model's
ledger passes, rendered by the adapter's ``encode`` and read back by its ``parse``.

A step is kept only when the adapter reads it back and the model accepts every event it
parses to, so the walk never contains a message the protocol cannot say or the charts do not
allow. The model, not the engine, says where the family ends.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime, timedelta

import attrs

from paychart.adapter import AdapterContext, Encoded, Encoder, ProviderAdapter, RawInput
from paychart.chart import Chart, Edge
from paychart.charts import ChartSet
from paychart.event import Channel, Event
from paychart.ledger import Ledger
from paychart.money import Money

from ._sim_model import Model, Refused, capturable, disputable, refundable
from ._sim_plans import Child, Plan

MAX_STEPS = 16
_ROOMS = (("refund", refundable), ("capture", capturable), ("charge", disputable))


@attrs.frozen
class Message:
    """One input of the walk: the encoded wire, when it arrives, the events it parses to."""

    provider: str
    event: Event
    facts: Mapping[str, str]
    wire: Encoded
    at: datetime
    parsed: tuple[Event, ...]
    edges: tuple[Edge | None, ...]

    @property
    def pure(self) -> bool:
        """Moves state only: no ledger or parent effect, no creation (whether the family
        still ends where it did without it is checked by replaying the model)."""
        return all(edge is not None and edge.effect is None and edge.parent_effect is None
                   and edge.parent_trigger is None and edge.origin != edge.target
                   for edge in self.edges)

    def raw(self, wire: Encoded | None = None, at: datetime | None = None) -> RawInput:
        wire = wire or self.wire
        return RawInput(self.provider, wire.channel, wire.body, wire.headers, at or self.at,
                        wire.ref, wire.operation)


@attrs.define
class _Live:
    chart: Chart
    object_id: str
    facts: dict[str, str]
    parent_id: str | None = None
    amount: int | None = None
    opening: tuple[str, str] | None = None
    opened: bool = False
    channels: tuple[Channel, ...] = (Channel.CALLBACK, Channel.POLL)
    visited: set[str] = attrs.Factory(set)


@attrs.define
class Walker:
    """Walks families of one provider; ``secrets`` is its table, ``options`` the overrides."""

    plan: Plan
    charts: ChartSet
    adapter: ProviderAdapter
    secrets: Mapping[str, str]
    reported: frozenset[tuple[str, str]]
    options: tuple[str, ...] = ()

    @property
    def encode(self) -> Encoder:
        assert self.adapter.encode is not None
        return self.adapter.encode

    def new_id(self, rng: random.Random) -> str:
        return self.plan.ids.format(hex=f"{rng.getrandbits(64):016x}")

    def family(self, rng: random.Random, start: datetime) -> tuple[list[Message], Model]:
        """One family's messages in delivery order, and the model where they end."""
        root = rng.choices(self.plan.roots, [r.weight for r in self.plan.roots])[0]
        chart = self.charts.named(root.chart)
        model = Model(self.charts, self.options)
        currency = rng.choice(self.plan.currencies)
        head = _Live(chart, self.new_id(rng), root.facts(rng),
                     amount=rng.randrange(100, 1_000_000), channels=root.channels)
        live, pending = [head], list(root.children)
        messages: list[Message] = []
        at = start
        for _ in range(MAX_STEPS):
            if head.opened and pending and rng.random() < 0.35:
                live.append(self._child(rng, pending.pop(rng.randrange(len(pending))), head))
            movable = [o for o in live if self._movable(model, o)]
            if not movable:
                break
            obj = rng.choice(movable)
            at += timedelta(seconds=rng.randrange(20, 1800))
            message = self._step(rng, model, obj, head, currency, at)
            if message is None:
                live.remove(obj)
                if not live:
                    break
                continue
            obj.opened = True
            obj.visited.add(self._state(model, obj))
            messages.append(message)
        return messages, model

    def _movable(self, model: Model, obj: _Live) -> bool:
        """Not final, or final with an override edge out that the options enable."""
        state = self._state(model, obj)
        return state not in obj.chart.finals or any(
            e.origin == state and e.override is not None and e.override in self.options
            for e in obj.chart.edges)

    def _child(self, rng: random.Random, child: Child, head: _Live) -> _Live:
        chart = self.charts.named(child.chart)
        object_id = head.object_id if child.same_id else self.new_id(rng)
        return _Live(chart, object_id, dict(head.facts), parent_id=head.object_id,
                     opening=child.opening)

    def _state(self, model: Model, obj: _Live) -> str:
        found = model.objects.get((self.plan.provider, obj.chart.object_kind, obj.object_id))
        return obj.chart.initial if found is None else found.state

    def _ledger(self, model: Model, obj: _Live, edge: Edge | None) -> Ledger:
        """The ledger the edge's money moves: the parent's for a child's parent effect."""
        key = (self.plan.provider, obj.chart.object_kind, obj.object_id)
        if edge is not None and edge.parent_effect is not None and obj.parent_id:
            key = (self.plan.provider, obj.chart.spec.parent or "", obj.parent_id)
        found = model.objects.get(key)
        return found.ledger if found is not None else Ledger()

    def _amount(self, rng: random.Random, model: Model, obj: _Live, edge: Edge | None,
                ledger: Ledger, head: _Live) -> int:
        """The object's amount, drawn once for a child (within its parent's room); for an
        edge that moves money on the object itself, an amount its guard accepts."""
        name = (edge.spec.effect or edge.spec.parent_effect or "") if edge else ""
        guard = (edge.guard_name or "") if edge else ""
        for word, room in _ROOMS:
            if word in name and (obj.parent_id is None or obj.amount is None):
                available = room(ledger)
                if available <= 0:
                    return obj.amount or head.amount or 100
                if guard.endswith("_part") and available > 1:
                    return rng.randrange(1, available)
                if guard.endswith("_all") or rng.random() < 0.5:
                    return available
                return rng.randrange(1, available + 1)
        if obj.amount is None:
            parent = self._parent_ledger(model, obj)
            share = refundable(parent) or capturable(parent) or head.amount or 100
            return rng.randrange(1, share + 1) if rng.random() < 0.4 else share
        return obj.amount

    def _parent_ledger(self, model: Model, obj: _Live) -> Ledger:
        if obj.parent_id is None:
            return Ledger()
        found = model.objects.get((self.plan.provider, obj.chart.spec.parent or "",
                                   obj.parent_id))
        return found.ledger if found is not None else Ledger()

    def _candidates(self, rng: random.Random, model: Model, obj: _Live
                    ) -> list[tuple[str, str, Edge | None]]:
        if not obj.opened and obj.opening is not None:
            return [(*obj.opening, None)]
        state = self._state(model, obj)
        edges = [e for e in obj.chart.edges if e.origin == state
                 and (obj.chart.object_kind, e.trigger) in self.reported
                 and (e.override is None or e.override in self.options)]
        rng.shuffle(edges)
        if rng.random() < 0.7:  # mostly on to new intermediate states, as real traffic goes
            edges.sort(key=lambda e: (e.target in obj.visited or e.target == e.origin,
                                      e.target in obj.chart.finals))
        return [(e.trigger, e.target, e) for e in edges]

    def _channels(self, rng: random.Random, obj: _Live, edge: Edge | None) -> list[Channel]:
        if not obj.opened or (edge is not None and edge.caused_by.value == "merchant"):
            return [Channel.RESPONSE]
        preferred = obj.channels[0] if rng.random() < 0.8 else rng.choice(obj.channels)
        rest = [c for c in (*obj.channels, Channel.RESPONSE) if c is not preferred]
        return [preferred, *dict.fromkeys(rest)]

    def _step(self, rng: random.Random, model: Model, obj: _Live, head: _Live, currency: str,
              at: datetime) -> Message | None:
        for trigger, state, edge in self._candidates(rng, model, obj):
            ledger = self._ledger(model, obj, edge)
            amount = self._amount(rng, model, obj, edge, ledger, head)
            facts: tuple[tuple[str, str], ...] = ()
            if self.plan.figures is not None and edge is not None:
                facts = self.plan.figures(edge, ledger, head.amount or amount, rng)
            event = Event(self.plan.provider, obj.chart.object_kind, obj.object_id, trigger,
                          Channel.RESPONSE, "-", state=state, money=Money(amount, currency),
                          parent_id=obj.parent_id, sequence=self.plan.clock(at), facts=facts)
            for channel in self._channels(rng, obj, edge):
                message = self._try(model, attrs.evolve(event, channel=channel), obj, at)
                if message is not None:
                    if obj.amount is None and obj.parent_id is not None:
                        obj.amount = amount
                    return message
        return None

    def _try(self, model: Model, event: Event, obj: _Live, at: datetime) -> Message | None:
        try:
            wire = self.encode(event, obj.facts, self.secrets)
        except ValueError:
            return None
        raw = RawInput(self.plan.provider, wire.channel, wire.body, wire.headers, at, wire.ref,
                       wire.operation)
        result = self.adapter.parse(raw, AdapterContext(self.secrets,
                                                        model.remembered(self.plan.provider)))
        if result.error is not None or not result.events:
            return None
        trial = model.copy()
        try:
            edges = tuple(trial.apply(parsed) for parsed in result.events)
        except Refused:
            return None
        model.objects, model.seen = trial.objects, trial.seen
        return Message(self.plan.provider, event, dict(obj.facts), wire, at, result.events,
                       edges)
