"""Faults planted in a family's traffic, each with the decision it must get.

``duplicate`` re-sends a message (``duplicate``); ``late`` delivers a state-only message
after the family's last one and ``reorder`` after the next message of its object (``stale``:
the object has passed the state it reports); ``batch`` sends two callbacks of one object in
one body where the protocol batches (each ``applied``); ``forged`` a callback signed with
other secrets and ``unsigned`` one without its signature (``invalid``); ``over_refund`` a
refund above what is refundable (``rejected``). A fault is planted only where the model
shows that it changes nothing else: the family must still end where it did.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

import attrs

from paychart.adapter import AdapterContext, Encoded
from paychart.chart import Chart
from paychart.event import Channel, Event
from paychart.money import Money

from ._sim_model import Model, Refused, refundable
from ._sim_walk import Message, Walker

FAULTS = ("duplicate", "late", "reorder", "batch", "forged", "unsigned", "over_refund")
DEFAULT_RATES: Mapping[str, float] = {"duplicate": 0.05, "late": 0.10, "reorder": 0.10,
                                      "batch": 0.05, "forged": 0.02, "unsigned": 0.02,
                                      "over_refund": 0.05}
"""Per message for duplicate, forged and unsigned; per family for the others."""
BatchEncoder = Callable[[list[Event], Mapping[str, str], Mapping[str, str]], Encoded]


@attrs.frozen
class Delivery:
    """One input as it will be recorded, with the outcomes each of its decisions may get."""

    at: datetime
    provider: str
    wire: Encoded
    outcomes: tuple[str, ...]
    fault: str | None = None


def _applied(message: Message) -> Delivery:
    return Delivery(message.at, message.provider, message.wire, ("applied",))


def _signs_with_key(secrets: Mapping[str, str]) -> bool:
    """Whether the provider signs with a private key (a signature nobody else can make)."""
    return any("PRIVATE KEY" in value for value in secrets.values())


def forged_secrets(secrets: Mapping[str, str]) -> dict[str, str]:
    """Other secrets of the same shape (the algorithm and the shop id are no secret)."""
    forged = {}
    for name, value in secrets.items():
        if name in ("hash", "shop_id"):
            forged[name] = value  # the algorithm and the shop are no secret
        else:
            forged[name] = value + "-forged"
    return forged


def _leads_to(chart: Chart, source: str | None, target: str | None) -> bool:
    """Whether ``target`` follows ``source`` on the chart's ordinary edges (no override): a
    message reporting ``source`` after ``target`` is then unambiguously late. A state the
    object left only by an override (``declined`` before an override ``approved``) is not:
    the engine may read its late report as new information and reject it."""
    seen, frontier = {source}, [source]
    while frontier:
        state = frontier.pop()
        for edge in chart.edges:
            if edge.origin == state and edge.override is None and edge.target not in seen:
                if edge.target == target:
                    return True
                seen.add(edge.target)
                frontier.append(edge.target)
    return False


def _replays(messages: list[Message], model: Model, skip: Message, after: Message
             ) -> bool:
    """Whether delivering ``skip`` right after ``after`` leaves every other message applied,
    ``skip`` refused, and the family where it ended."""
    trial = Model(model.charts, model.options)
    for message in messages:
        if message is skip:
            continue
        try:
            for event in message.parsed:
                trial.apply(event)
        except Refused:
            return False
        if message is after:
            try:
                for event in skip.parsed:
                    trial.apply(event)
                return False
            except Refused:
                pass
    return trial.objects == model.objects


@attrs.define
class Planter:
    """Plants faults in one provider's families at the given rates."""

    walker: Walker
    rates: Mapping[str, float]
    batch_encoder: BatchEncoder | None = None
    _forged: dict[str, str] | None = None
    """Other secrets for forged callbacks, made once."""
    counts: dict[str, int] = attrs.Factory(dict)

    def _count(self, fault: str) -> None:
        self.counts[fault] = self.counts.get(fault, 0) + 1

    def family(self, rng: random.Random, messages: list[Message], model: Model
               ) -> list[Delivery]:
        if not messages:
            return []
        demoted: dict[int, Delivery] = {}
        last = messages[-1].at
        if rng.random() < self.rates.get("late", 0) and not self._demote(
                rng, messages, model, demoted, late=True, last=last):
            deliveries_late = self._stale_report(rng, messages, model, last)
        else:
            deliveries_late = []
        if not demoted and rng.random() < self.rates.get("reorder", 0):  # one move a family
            self._demote(rng, messages, model, demoted, late=False, last=last)
        deliveries = [demoted.get(id(m)) or _applied(m) for m in messages]
        delivered = {id(m): m.at for m in messages}
        if (self.batch_encoder is not None and not demoted
                and rng.random() < self.rates.get("batch", 0)):  # a batch would move them
            deliveries = self._batch(messages, deliveries, demoted, delivered)
        deliveries += deliveries_late
        for message in messages:
            deliveries += self._per_message(rng, message, demoted, delivered[id(message)])
        if rng.random() < self.rates.get("over_refund", 0):
            deliveries += self._over_refund(rng, messages, model, last)
        return deliveries

    def _demote(self, rng: random.Random, messages: list[Message], model: Model,
                demoted: dict[int, Delivery], *, late: bool, last: datetime) -> bool:
        order = list(range(1, len(messages)))
        rng.shuffle(order)
        for i in order:
            message = messages[i]
            same = [m for m in messages[i + 1:] if m.event.key == message.event.key]
            if id(message) in demoted or not message.pure or not same:
                continue
            after = messages[-1] if late else same[0]
            chart = self.walker.charts.get(message.provider, message.event.object_kind)
            ended = model.objects.get((message.provider, message.event.object_kind,
                                       message.event.object_id))
            then = ended.state if late and ended is not None else same[0].event.state
            if not _leads_to(chart, message.event.state, then) or not _replays(
                    messages, model, message, after):
                continue
            at = (last + timedelta(hours=rng.randrange(1, 48)) if late
                  else after.at + timedelta(seconds=rng.randrange(1, 60)))
            fault = "late" if late else "reorder"
            demoted[id(message)] = Delivery(at, message.provider, message.wire, ("stale",),
                                            fault)
            self._count(fault)
            return True
        return False

    def _stale_report(self, rng: random.Random, messages: list[Message], model: Model,
                      last: datetime) -> list[Delivery]:
        """A late status report (a poll answered, a callback retried) of a state the object
        has since left, where no message can be moved: ``stale``, as long as no edge of its
        trigger leaves where the object is now."""
        order = list(range(1, len(messages)))
        rng.shuffle(order)
        walker = self.walker
        for i in order:
            event = messages[i].event
            obj = model.objects.get((event.provider, event.object_kind, event.object_id))
            chart = walker.charts.find(event.provider, event.object_kind)
            if obj is None or chart is None or obj.state == event.state:
                continue
            older = event.sequence is not None and obj.sequence is not None and (
                event.sequence < obj.sequence)
            if not older and any(e.origin == obj.state and e.trigger == event.trigger
                                 for e in chart.edges):
                continue  # without a provider clock, only a state no edge leads on from
            at = last + timedelta(hours=rng.randrange(1, 48))
            for channel in (Channel.POLL, Channel.CALLBACK):
                wire = self._unseen(attrs.evolve(event, channel=channel), messages[i].facts,
                                    model, at)
                if wire is not None:
                    self._count("late")
                    return [Delivery(at, event.provider, wire, ("stale",), "late")]
        return []

    def _unseen(self, event: Event, facts: Mapping[str, str], model: Model,
                at: datetime) -> Encoded | None:
        """The wire of ``event`` when it parses to messages never decided, the model
        refusing them all."""
        read = self._read_back(event, facts, model, at)
        if read is None:
            return None
        wire, events = read
        if any(parsed.dedupe_key in model.seen for parsed in events):
            return None
        for parsed in events:
            try:
                model.copy().apply(parsed)
                return None
            except Refused:
                pass
        return wire

    def _batch(self, messages: list[Message], deliveries: list[Delivery],
               demoted: dict[int, Delivery], delivered: dict[int, datetime]
               ) -> list[Delivery]:
        """Two callbacks of one object in one body, sent when the second was; ``delivered``
        learns that the first now arrives then (its duplicates must come after it)."""
        assert self.batch_encoder is not None
        for i in range(len(messages) - 1):
            first, second = messages[i], messages[i + 1]
            if (first.wire.channel is Channel.CALLBACK is second.wire.channel
                    and first.event.key == second.event.key
                    and id(first) not in demoted and id(second) not in demoted):
                wire = self.batch_encoder([first.event, second.event], first.facts,
                                          self.walker.secrets)
                self._count("batch")
                delivered[id(first)] = second.at
                merged = Delivery(second.at, first.provider, wire, ("applied",), "batch")
                return [*deliveries[:i], merged, *deliveries[i + 2:]]
        return deliveries

    def _per_message(self, rng: random.Random, message: Message,
                     demoted: dict[int, Delivery], delivered: datetime) -> list[Delivery]:
        made = []
        if id(message) not in demoted and rng.random() < self.rates.get("duplicate", 0):
            made.append(Delivery(delivered + timedelta(seconds=rng.randrange(1, 3600)),
                                 message.provider, message.wire, ("duplicate",), "duplicate"))
            self._count("duplicate")
        callback = message.wire.channel is Channel.CALLBACK and bool(self.walker.secrets)
        for fault in ("forged", "unsigned"):
            if callback and rng.random() < self.rates.get(fault, 0):
                wire = self._resigned(message, fault)
                if wire is not None:
                    at = message.at + timedelta(seconds=rng.randrange(-30, 3600))
                    made.append(Delivery(at, message.provider, wire, ("invalid",), fault))
                    self._count(fault)
        return made

    def _resigned(self, message: Message, fault: str) -> Encoded | None:
        """The message unsigned, or forged: signed with other secrets, or, where only the
        provider's private key signs, its genuine signature on a body with another amount."""
        event, headers = message.event, None
        if fault == "unsigned":
            secrets: Mapping[str, str] = {}
        elif _signs_with_key(self.walker.secrets):
            secrets, headers = self.walker.secrets, message.wire.headers
            if event.money is not None:
                event = attrs.evolve(event, money=Money(event.money.amount + 1,
                                                        event.money.currency))
        else:
            if self._forged is None:
                self._forged = forged_secrets(self.walker.secrets)
            secrets = self._forged
        try:
            wire = self.walker.encode(event, message.facts, secrets)
        except ValueError:
            return None
        if headers is not None:
            wire = attrs.evolve(wire, headers=dict(headers))
        return wire if (wire.body, dict(wire.headers)) != (
            message.wire.body, dict(message.wire.headers)) else None

    def _over_refund(self, rng: random.Random, messages: list[Message], model: Model,
                     last: datetime) -> list[Delivery]:
        """A refund above what is refundable, right after a message that left the root with
        money to refund: on the root itself, or as a new refund child of it."""
        head = messages[0].event
        key = (head.provider, head.object_kind, head.object_id)
        replay = Model(model.charts, model.options)
        points: list[tuple[int, Model]] = []
        for i, message in enumerate(messages):
            for event in message.parsed:
                replay.apply(event)
            root = replay.objects.get(key)
            if root is not None and root.ledger.captured > 0:
                points.append((i, replay.copy()))
        rng.shuffle(points)
        for i, state in points[:3]:
            after = messages[i].at
            until = messages[i + 1].at if i + 1 < len(messages) else last + timedelta(hours=2)
            at = after + (until - after) / 2
            delivery = self._over_refund_at(rng, messages[0], state, at)
            if delivery is not None:
                return [delivery]
        return []

    def _over_refund_at(self, rng: random.Random, head: Message, model: Model,
                        at: datetime) -> Delivery | None:
        root = model.objects[(head.provider, head.event.object_kind, head.event.object_id)]
        charts = self.walker.charts
        chart = charts.named(root.chart)
        extra = rng.randrange(1, 10_000)
        amount = refundable(root.ledger) + extra
        tries: list[tuple[str, str, str, str | None]] = [
            (chart.object_kind, head.event.object_id, e.trigger, e.target) for e in chart.edges
            if e.origin == root.state and "refund" in (e.spec.effect or "")]
        for child in charts:
            if child.spec.parent == chart.object_kind and child.provider == chart.provider:
                tries += [(child.object_kind, self.walker.new_id(rng), e.trigger, e.target)
                          for e in child.edges if e.origin == child.initial
                          and "refund" in (e.spec.parent_effect or "")]
        currency = root.ledger.currency
        assert currency is not None  # captured money has a currency
        for kind, object_id, trigger, state in tries:
            facts: tuple[tuple[str, str], ...] = ()
            if self.walker.plan.figures is not None:
                invoiced = head.event.money.amount if head.event.money else amount
                facts = (("amount_minor", str(invoiced)),
                         ("processed_amount_minor", str(root.ledger.captured)),
                         ("refunded_amount_minor", str(root.ledger.captured + extra)))
            parent = head.event.object_id if kind != chart.object_kind else None
            event = Event(head.provider, kind, object_id, trigger, Channel.RESPONSE, "-",
                          state=state, money=Money(amount, currency), parent_id=parent,
                          sequence=self.walker.plan.clock(at), facts=facts)
            wire = self._refused(event, head.facts, model, at)
            if wire is not None:
                self._count("over_refund")
                return Delivery(at, head.provider, wire, ("rejected",), "over_refund")
        return None

    def _read_back(self, event: Event, facts: Mapping[str, str], model: Model,
                   at: datetime) -> tuple[Encoded, tuple[Event, ...]] | None:
        """``event`` encoded and parsed back as the engine would read it (with the facts the
        model remembers); ``None`` when it cannot be encoded or parses to no event."""
        walker = self.walker
        try:
            wire = walker.encode(event, facts, walker.secrets)
        except ValueError:
            return None
        raw = Message(walker.plan.provider, event, facts, wire, at, (), ()).raw()
        result = walker.adapter.parse(raw, AdapterContext(
            walker.secrets, model.remembered(walker.plan.provider)))
        if result.error is not None or not result.events:
            return None
        return wire, result.events

    def _refused(self, event: Event, facts: Mapping[str, str], model: Model,
                 at: datetime) -> Encoded | None:
        """The wire of ``event`` when the adapter reads it and the model refuses it."""
        read = self._read_back(event, facts, model, at)
        if read is None:
            return None
        wire, events = read
        trial = model.copy()
        try:
            for parsed in events:
                trial.apply(parsed)
        except Refused:
            return wire
        return None
