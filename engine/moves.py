"""Moves that change an object: an edge taken, a composite move, a late message filling in
a skipped step, and the first sighting of an object."""

from __future__ import annotations

from collections.abc import Collection

import attrs

from .chart import Chart, Edge, Resolution
from .charts import ChartSet
from .decision import Decision, Outcome
from .event import CREATING_CHANNELS, Event, object_key
from .history import bit, fill_skipped, in_cycle, jumped_edges, moved_past, passed_before, visited
from .ledger import EMPTY_LEDGER, Ledger, LedgerRefusal
from .money_rules import OVERWRITING_EFFECTS, SETTLING_EFFECTS
from .parents import drive_parent
from .record import ObjectRecord
from .rulebook import GuardInput
from .verdicts import Verdicts
from .workset import Workset


class Moves:
    """The changing steps of a decision; each writes its records into the workset only
    when it applies."""

    def __init__(self, charts: ChartSet, options: Collection[str], verdicts: Verdicts, *,
                 reference: bool = False) -> None:
        self.charts = charts
        self.options = options
        self.verdicts = verdicts
        self._reference = reference

    def resolve(self, chart: Chart, record: ObjectRecord, event: Event) -> Resolution:
        """The edge the chart allows (``reference``: found by the shared machine)."""
        remembered = record.remembered

        def check(edge: Edge) -> str | None:
            assert edge.guard is not None
            return edge.guard(GuardInput(record.ledger, event, remembered))

        if self._reference:
            edge = chart.resolve_reference(record.state, event.trigger, self.options, check,
                                           event.state)
            if edge is not None:
                return Resolution(edge)
        resolution = chart.resolve(record.state, event.trigger, self.options, check,
                                   event.state)
        return Resolution(None, resolution.refusals) if self._reference else resolution

    def take(self, chart: Chart, record: ObjectRecord, edge: Edge, event: Event, ws: Workset,
             *, deferring: bool = False) -> Decision:
        """Take ``edge``: its ledger effect (deferred when ``deferring`` and the earlier steps
        that make room are missing), its parent effect, the new state. A record of version 0
        is one the input creates."""
        shown = record if record.version else None
        warnings = list(event.warnings)
        ledger, deferred = record.ledger, record.deferred
        if ledger.currency is None and event.money is not None:
            ledger = Ledger(currency=event.money.currency)
        if edge.effect is not None:
            try:
                ledger = edge.effect(ledger, event)
            except LedgerRefusal as refusal:
                if not deferring:
                    return self.verdicts.rejected(event, shown, str(refusal))
                amount = None if event.money is None else event.money.amount
                deferred = (*deferred, (edge.index, amount))
                warnings.append(f"ledger effect deferred until the earlier steps arrive "
                                f"({refusal})")
            else:
                if deferred and edge.spec.effect in SETTLING_EFFECTS:
                    deferred = (*deferred, (edge.index, None))  # again after those waiting
                elif (record.skipped and event.money is None
                      and edge.spec.effect in OVERWRITING_EFFECTS):
                    deferred = (*deferred, (edge.index, None))  # took what was there: again
        elif (event.money is not None and ledger.authorized
              and event.money.amount != ledger.authorized):
            warnings.append(f"amount {event.money} differs from authorized "
                            f"{ledger.money('authorized')}")
        if edge.override is not None:
            warnings.append(override_used(edge))
        sequence = record.sequence
        if event.sequence is not None and (sequence is None or event.sequence > sequence):
            sequence = event.sequence
        remembered = record.remembered
        if event.remember:
            remembered = tuple({**dict(remembered), **dict(event.remember)}.items())
        parent = record.parent
        if parent is None and event.parent_id is not None and chart.spec.parent is not None:
            parent = object_key(event.provider, chart.spec.parent, event.parent_id)
        updated = ObjectRecord(  # attrs.evolve without its introspection: every edge taken
            key=record.key, chart=record.chart, state=edge.target, version=record.version,
            ledger=ledger, parent=parent, sequence=sequence, remembered=remembered,
            skipped=record.skipped, deferred=deferred,
            visited=visited(chart, record) | moved_past(chart, record.state, edge.target),
            pending=record.pending, unlinked=record.unlinked, placeholder=False,
            reference=record.reference)
        move = None
        if edge.parent_effect is not None or edge.parent_trigger is not None:
            updated, outcome = drive_parent(self.charts, ws, self.options, chart, updated,
                                            edge, event)
            if outcome.refusal is not None:
                return self.verdicts.rejected(event, shown, outcome.refusal)
            warnings += outcome.warnings
            move = outcome.move
        ws.put(updated)
        self._touch_parent(chart, None if shown is None else record.state, updated, ws)
        return self.verdicts.applied(chart, event, updated, origin=edge.origin,
                                     reason=f"`{edge.origin}` → `{edge.target}`",
                                     warnings=warnings, parent_move=move)

    def take_path(self, chart: Chart, record: ObjectRecord, path: tuple[Edge, ...],
                  event: Event, ws: Workset) -> Decision:
        """A batched callback that skipped statuses: the intermediate edges are walked without
        their guards and effects (their inputs never arrived; the event's figures belong to
        its own step), and remembered as skipped so that their late messages fill them in."""
        *through, last = path
        decision = self.take(chart, attrs.evolve(record, state=last.origin), last, event, ws,
                             deferring=True)
        if decision.outcome is not Outcome.APPLIED:
            return self.verdicts.rejected(event, record, decision.reason)
        updated = ws.get(record.key)
        assert updated is not None
        passed = moved_past(chart, record.state, last.target)
        for edge in through:
            passed |= bit(chart, edge.target)
        still_skipped = tuple(dict.fromkeys((
            *record.skipped, *(edge.index for edge in through if edge.effect is not None),
            *jumped_edges(chart, record.state, last.target, self.options))))
        deferred = updated.deferred
        if (last.spec.effect in SETTLING_EFFECTS and in_cycle(chart, last)
                and any(edge.effect is not None for edge in through)):
            deferred = (*deferred, (last.index, None))  # again once the skipped step fills in
        ws.put(attrs.evolve(updated, visited=updated.visited | passed,
                            skipped=still_skipped,
                            deferred=deferred))
        skipped = "`, `".join(edge.target for edge in through)
        note = f"composite move: skipped `{skipped}`"
        overrides = [override_used(edge) for edge in through if edge.override is not None]
        return attrs.evolve(decision, from_state=record.state,
                            reason=f"`{record.state}` → `{last.target}` ({note})",
                            warnings=(*decision.warnings, *overrides, note))

    def fill_in(self, chart: Chart, record: ObjectRecord, event: Event,
                ws: Workset) -> Decision | None:
        """A late message for a step the object skipped: its ledger effect applies now and
        the state stays. ``None`` when the event fills no skipped step."""
        filled = fill_skipped(chart, record, event)
        if filled is None:
            return None
        edge, updated = filled
        ws.put(updated)
        return self.verdicts.applied(chart, event, updated, origin=record.state,
                                     reason=f"fills in the skipped step `{edge.origin}` → "
                                            f"`{edge.target}`; stays `{record.state}`",
                                     warnings=event.warnings)

    def advance_clock(self, record: ObjectRecord, event: Event, ws: Workset) -> None:
        """A message reporting the state the object is in moves nothing, but a newer
        provider sequence on it moves the object's clock: the older message for the other
        side of a cycle (`pending` ⇄ `incomplete`) is stale after it."""
        if event.sequence is not None and (record.sequence is None
                                           or event.sequence > record.sequence):
            ws.put(attrs.evolve(record, sequence=event.sequence))

    def late_loop(self, chart: Chart, record: ObjectRecord, event: Event,
                  ws: Workset) -> Decision | None:
        """A late message for a money self-loop of a state the object has passed (a partial
        refund of a payment `paid` before its dispute was lost): its effect applies to the
        ledger as it is now, the state stays. ``None`` when no such loop takes it."""
        reported = event.state
        assert reported is not None
        for edge in chart.table.get((reported, event.trigger), ()):
            if (edge.target != reported or edge.effect is None or edge.parent_trigger
                    or (edge.override is not None and edge.override not in self.options)):
                continue
            if edge.guard is not None and edge.guard(
                    GuardInput(record.ledger, event, record.remembered)) is not None:
                continue
            try:
                ledger = edge.effect(record.ledger, event)
            except LedgerRefusal:
                continue
            updated = attrs.evolve(record, ledger=ledger)
            ws.put(updated)
            return self.verdicts.applied(chart, event, updated, origin=record.state,
                                         reason=f"late `{edge.origin}` → `{edge.target}` "
                                                f"applies its money; stays `{record.state}`",
                                         warnings=event.warnings)
        return None

    def first_sighting(self, chart: Chart, event: Event, placeholder: ObjectRecord | None,
                       ws: Workset) -> Decision:
        """An object seen for the first time: created by the merchant's own request or
        response, else started in the state the input reports (earlier history unknown). It
        takes over the effects its children left pending on a placeholder."""
        parent = None
        if chart.spec.parent is not None and event.parent_id is not None:
            parent = object_key(event.provider, chart.spec.parent, event.parent_id)
        pending = () if placeholder is None else placeholder.pending
        opening = EMPTY_LEDGER if event.money is None else Ledger(currency=event.money.currency)
        if (event.channel in CREATING_CHANNELS and event.state == chart.initial
                and (chart.initial, event.trigger) not in chart.table):
            created = ObjectRecord(event.key, chart.name, chart.initial, version=0,
                                   ledger=opening, parent=parent, sequence=event.sequence,
                                   remembered=event.remember, visited=bit(chart, chart.initial),
                                   pending=pending)
            ws.put(created)
            self._touch_parent(chart, None, created, ws)
            return self.verdicts.applied(chart, event, created, origin=None,
                                         reason="created", warnings=event.warnings)
        base = ObjectRecord(event.key, chart.name, chart.initial, version=0, parent=parent,
                            pending=pending)
        if event.channel in CREATING_CHANNELS:
            fresh = attrs.evolve(base, visited=bit(chart, chart.initial))
            resolution = self.resolve(chart, fresh, event)
            if resolution.edge is not None:
                return self.take(chart, fresh, resolution.edge, event, ws)
        reported = event.state
        if reported is None or reported not in chart.canonical:
            return self.verdicts.rejected(event, None, f"unknown {chart.object_kind} and the "
                                          "input reports no state of the chart to start it in")
        edge = chart.entry_edge.get((event.trigger, reported))
        note = f"first seen in `{reported}`: earlier history unknown"
        history = passed_before(chart, reported)
        if edge is None:
            created = attrs.evolve(base, state=reported, ledger=opening,
                                   sequence=event.sequence, remembered=event.remember,
                                   skipped=chart.history_edges[reported], visited=history)
            ws.put(created)
            self._touch_parent(chart, None, created, ws)
            return self.verdicts.applied(chart, event, created, origin=None, reason=note,
                                         warnings=event.warnings, history_unknown=True)
        path = chart.composite_path(reported, reported, event.trigger, self.options)
        if in_cycle(chart, edge) and path is not None:  # went round the cycle before
            start = attrs.evolve(base, state=reported, visited=history, ledger=opening,
                                 skipped=chart.history_edges[reported])
            decision = self.take_path(chart, start, path, event, ws)
            if decision.outcome is not Outcome.APPLIED:
                return decision
            return attrs.evolve(decision, from_state=None, history_unknown=True, reason=note)
        start = attrs.evolve(base, state=edge.origin, visited=history, skipped=tuple(
            i for i in chart.history_edges[reported] if i != edge.index))
        decision = self.take(chart, start, edge, event, ws, deferring=True)
        if decision.outcome is not Outcome.APPLIED:
            return decision
        return attrs.evolve(decision, from_state=None, history_unknown=True, reason=note)

    def _touch_parent(self, chart: Chart, before: str | None, child: ObjectRecord,
                      ws: Workset) -> None:
        """A child entering or leaving a blocking state writes its parent (a placeholder when
        the parent is not seen yet), so that decisions about the parent that read "no
        blocking child" conflict with it instead of deciding on a stale read."""
        blocking = chart.blocking_states
        if not blocking or child.parent is None or (before in blocking) == (
                child.state in blocking):
            return
        parent = ws.get(child.parent)
        parent_chart = self.charts.parent_of(chart)
        assert parent_chart is not None
        ws.put(parent or ObjectRecord(child.parent, parent_chart.name, parent_chart.initial,
                                      placeholder=True))


def override_used(edge: Edge) -> str:
    return f"override `{edge.override}` used: `{edge.origin} → {edge.target}`"
