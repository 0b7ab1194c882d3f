"""The simulator's own model of a run: chart states and ledgers, moved by the specs alone.

What the traffic must end in is computed here, never by asking the orchestrator: an edge is
the chart's (among the edges of the trigger, those into the reported state when any leads
there; the first enabled one whose guard passes), the generic money rules are re-done with
this model's own arithmetic (capture ≤ capturable, refund ≤ refundable…), and only
provider-specific guards and effects (``platform_…``, ``ts_…``, ``invoice_…``) run their
registered code on the model's figures. Parent effects and triggers of children and the
blocking of a parent by an open dispute are modelled the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping

import attrs

from paychart.chart import Chart, Edge
from paychart.charts import ChartSet
from paychart.event import CREATING_CHANNELS, Event
from paychart.ledger import Ledger
from paychart.rulebook import GuardInput

EMPTY = Ledger()


class Refused(Exception):
    """The model refuses an event: no edge, a guard, or the ledger."""


def _adds(figure: str, room: Callable[[Ledger], int]) -> Callable[[Ledger, int | None], Ledger]:
    def apply(ledger: Ledger, amount: int | None) -> Ledger:
        available = room(ledger)
        amount = available if amount is None else amount
        if amount <= 0 or amount > available:
            raise Refused(f"{figure} {amount} exceeds {available}")
        return attrs.evolve(ledger, **{figure: getattr(ledger, figure) + amount})
    return apply


def _authorize(ledger: Ledger, amount: int | None) -> Ledger:
    if amount is None:
        return ledger
    if amount < ledger.captured:
        raise Refused("authorize below captured")
    return attrs.evolve(ledger, authorized=amount)


def _sale(ledger: Ledger, amount: int | None) -> Ledger:
    amount = ledger.authorized if amount is None else amount
    if amount < ledger.refunded + ledger.charged_back:
        raise Refused("sale below refunded")
    return attrs.evolve(ledger, authorized=amount, captured=amount)


EFFECTS: Mapping[str, Callable[[Ledger, int | None], Ledger]] = {
    "authorize": _authorize, "sale": _sale,
    "capture": _adds("captured", lambda g: g.authorized - g.captured),
    "refund": _adds("refunded", lambda g: g.captured - g.refunded),
    "chargeback": _adds("charged_back", lambda g: g.captured - g.charged_back),
    "release": lambda g, _: attrs.evolve(g, authorized=g.captured),
    "refund_remaining": lambda g, _: attrs.evolve(g, refunded=g.captured),
    "reverse_chargeback": lambda g, _: attrs.evolve(g, charged_back=0),
}


def _whole(room: Callable[[Ledger], int], at_least: bool = False
           ) -> Callable[[Ledger, int | None, Event], bool]:
    return lambda g, a, _: a is None or a == room(g) or (at_least and a >= room(g))


def _part(room: Callable[[Ledger], int]) -> Callable[[Ledger, int | None, Event], bool]:
    return lambda g, a, _: a is not None and 0 < a < room(g)


def refundable(g: Ledger) -> int:
    return g.captured - g.refunded


def capturable(g: Ledger) -> int:
    return g.authorized - g.captured


def disputable(g: Ledger) -> int:
    return g.captured - g.charged_back


GUARDS: Mapping[str, Callable[[Ledger, int | None, Event], bool]] = {
    "refunds_all": _whole(refundable), "refunds_part": _part(refundable),
    "captures_all": _whole(capturable), "captures_part": _part(capturable),
    "charges_back_all": _whole(disputable, at_least=True),
    "charges_back_part": _part(disputable),
    "fully_refunded": lambda g, a, e: g.captured > 0 and g.refunded >= g.captured,
    "charged_back": lambda g, a, e: g.charged_back > 0,
    "two_stage": lambda g, a, e: e.fact("two_stage") == "true",
    "single_stage": lambda g, a, e: e.fact("two_stage") != "true",
}


def model_effect(name: str | None, code: Callable[[Ledger, Event], Ledger] | None,
                 ledger: Ledger, event: Event) -> Ledger:
    """The ledger after a named effect (the model's own arithmetic for the generic ones)."""
    if name is None:
        return ledger
    amount = None if event.money is None else event.money.amount
    if ledger.currency is None and event.money is not None:
        ledger = attrs.evolve(ledger, currency=event.money.currency)
    if name in EFFECTS:
        return EFFECTS[name](ledger, amount)
    assert code is not None
    try:
        return code(ledger, event)
    except Exception as exc:
        raise Refused(name) from exc


def model_guard(edge: Edge, ledger: Ledger, event: Event,
                remembered: tuple[tuple[str, str], ...]) -> bool:
    name = edge.guard_name
    if name is None:
        return True
    if name in GUARDS:
        return GUARDS[name](ledger, None if event.money is None else event.money.amount, event)
    assert edge.guard is not None
    return edge.guard(GuardInput(ledger, event, remembered)) is None


def model_edge(chart: Chart, state: str, event: Event, options: Collection[str],
               ledger: Ledger, remembered: tuple[tuple[str, str], ...]) -> Edge | None:
    candidates = [e for e in chart.edges if e.origin == state and e.trigger == event.trigger]
    if any(e.target == event.state for e in candidates):
        candidates = [e for e in candidates if e.target == event.state]
    for edge in candidates:
        if edge.override is not None and edge.override not in options:
            continue
        if model_guard(edge, ledger, event, remembered):
            return edge
    return None


@attrs.frozen
class Obj:
    """The model's view of one object."""

    chart: str
    state: str
    ledger: Ledger = EMPTY
    parent: tuple[str, str, str] | None = None
    remembered: tuple[tuple[str, str], ...] = ()
    sequence: int | None = None
    """The newest provider sequence applied: an older report is stale, whatever it says."""


@attrs.define
class Model:
    """Objects of the simulated providers, moved by the specs only."""

    charts: ChartSet
    options: Collection[str] = ()
    objects: dict[tuple[str, str, str], Obj] = attrs.Factory(dict)
    seen: set[str] = attrs.Factory(set)

    def copy(self) -> Model:
        return Model(self.charts, self.options, dict(self.objects), set(self.seen))

    def remembered(self, provider: str) -> Callable[[str, str], Mapping[str, str]]:
        def lookup(kind: str, object_id: str) -> Mapping[str, str]:
            found = self.objects.get((provider, kind, object_id))
            return dict(found.remembered) if found is not None else {}
        return lookup

    def apply(self, event: Event) -> Edge | None:
        """Apply ``event`` as the charts say, or raise ``Refused``; the edge taken (``None``
        when the event created its object without one)."""
        if event.dedupe_key in self.seen:
            raise Refused("same message again")
        chart = self.charts.find(event.provider, event.object_kind)
        if chart is None:
            raise Refused(f"no chart for {event.object_kind}")
        key = (event.provider, event.object_kind, event.object_id)
        current = self.objects.get(key)
        parent = current.parent if current is not None else None
        if parent is None and chart.spec.parent and event.parent_id:
            parent = (event.provider, chart.spec.parent, event.parent_id)
        if current is None:
            if event.channel not in CREATING_CHANNELS:
                raise Refused("the simulator opens every object with the merchant's call")
            current = Obj(chart.name, chart.initial, parent=parent)
            if (event.state == chart.initial
                    and (chart.initial, event.trigger) not in chart.table):
                self._put(key, attrs.evolve(current, ledger=self._opening(event),
                                            remembered=event.remember,
                                            sequence=event.sequence), event)
                return None
        if (event.sequence is not None and current.sequence is not None
                and event.sequence < current.sequence):
            raise Refused("older than the provider sequence applied")
        if self._blocked(key, chart):
            raise Refused("a child blocks this object")
        remembered = current.remembered
        ledger = current.ledger
        if ledger.currency is None and event.money is not None:
            ledger = attrs.evolve(ledger, currency=event.money.currency)
        elif event.money is not None and event.money.currency != ledger.currency:
            raise Refused("another currency")
        edge = model_edge(chart, current.state, event, self.options, ledger, remembered)
        if edge is None:
            raise Refused(f"no edge for {event.trigger} from {current.state}")
        ledger = model_effect(edge.spec.effect, edge.effect, ledger, event)
        if not ledger.holds_invariants():
            raise Refused("ledger invariants")
        if event.remember:
            remembered = tuple({**dict(remembered), **dict(event.remember)}.items())
        sequence = current.sequence
        if event.sequence is not None and (sequence is None or event.sequence > sequence):
            sequence = event.sequence
        moved = Obj(chart.name, edge.target, ledger, parent, remembered, sequence)
        if edge.parent_effect is not None or edge.parent_trigger is not None:
            self._parent_move(chart, edge, moved, event)
        self._put(key, moved, event)
        return edge

    def _opening(self, event: Event) -> Ledger:
        return EMPTY if event.money is None else Ledger(currency=event.money.currency)

    def _put(self, key: tuple[str, str, str], obj: Obj, event: Event) -> None:
        self.objects[key] = obj
        self.seen.add(event.dedupe_key)

    def _blocked(self, key: tuple[str, str, str], chart: Chart) -> bool:
        children = {c.name: c for c in self.charts.blocking_children.get(chart.name, ())}
        return any(obj.parent == key and obj.chart in children
                   and obj.state in children[obj.chart].blocking_states
                   for obj in self.objects.values())

    def _parent_move(self, chart: Chart, edge: Edge, child: Obj, event: Event) -> None:
        parent_chart = self.charts.parent_of(chart)
        parent = self.objects.get(child.parent) if child.parent else None
        if parent_chart is None or parent is None or child.parent is None:
            raise Refused("the child's parent is not known")
        if self._blocked(child.parent, parent_chart):
            raise Refused("a child blocks the parent")
        ledger = model_effect(edge.spec.parent_effect, edge.parent_effect, parent.ledger, event)
        if not ledger.holds_invariants():
            raise Refused("parent ledger invariants")
        state = parent.state
        if edge.parent_trigger is not None:
            asked = attrs.evolve(event, trigger=edge.parent_trigger, state=None)
            moved = model_edge(parent_chart, state, asked, self.options, ledger,
                               parent.remembered)
            if moved is not None:
                state = moved.target
            elif (state, edge.parent_trigger) not in parent_chart.table:
                raise Refused("the parent is not where this child's move applies")
        self.objects[child.parent] = attrs.evolve(parent, state=state, ledger=ledger)
