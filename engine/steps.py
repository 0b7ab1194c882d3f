"""The order of questions for one event, each a named step (ARCHITECTURE.md, "Decision").

``decide`` asks: is the input authentic and of a known chart (``invalid``); does it name the
parent of a child recorded without one (link, then go on); was its dedupe key decided
(``duplicate``); is the object new (first sighting, taking over its children's pending
effects); for a known object: is its money in another currency (``invalid``), is it older
than what was applied by provider sequence (``stale``, unless it fills in a skipped step),
does a pending child block the object (``rejected``), which edge does the chart allow
(``applied``), does it fill in a skipped step, report a state this object already passed
(``stale``), or a state ahead reached by a composite move (``applied``); else there is no
legal move (``rejected``). Applied decisions then settle the children's effects waiting on
the object. Every step reads through the decision's ``Workset``, so the commit is checked
against the versions of every record the decision looked at.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import attrs

from .attempts import settle_attempt
from .chart import Chart
from .charts import ChartSet
from .decision import Decision, Outcome
from .errors import UnknownChartError
from .event import Channel, Event, SignatureStatus
from .family_fold import FamilyFold
from .history import earlier_missing, has_passed
from .legal_order import LegalOrder
from .moves import Moves
from .parents import ahead_of, blocking_child, link_child, settle
from .record import ObjectRecord
from .refold import foldable, refolded
from .stores.base import Store
from .verdicts import Verdicts
from .workset import Workset

Step = Callable[[Chart, ObjectRecord, Event, Workset], Decision | None]
UNCHANGING = frozenset({Outcome.STALE, Outcome.DUPLICATE, Outcome.REJECTED, Outcome.INVALID})


class Decider:
    """Decides one event against the store, writing only into the event's workset."""

    def __init__(self, charts: ChartSet, store: Store, options: Collection[str],
                 verdicts: Verdicts, *, reference: bool = False) -> None:
        self.charts = charts
        self.store = store
        self.options = options
        self.verdicts = verdicts
        self.moves = Moves(charts, options, verdicts, reference=reference)
        self._foldable = {c.name: foldable(charts, c) for c in charts}
        self._legal = LegalOrder(charts, options, verdicts,
                                 FamilyFold(charts, self.moves, store), self.blocker)
        self._known_steps: tuple[Step, ...] = (
            self._foreign_currency, self._older_sequence, self._blocked, self._edge,
            self._fill_in, self._already_passed, self._composite)

    def decide(self, event: Event, ws: Workset) -> Decision:
        chart = self.charts.find(event.provider, event.object_kind)
        if chart is None:
            error = UnknownChartError(event.provider, event.object_kind)
            return self.verdicts.invalid(event, "object_kind", str(error))
        forged = self._unauthentic(event)
        if forged is not None:
            return forged
        seen, record = self.store.load(event.key, event.dedupe_key)
        ws.seed(event.key, record)
        link = self._link(chart, record, event, ws, seen) if record is not None else None
        if link is not None:
            return link
        record = ws.get(event.key)
        if seen:
            return self.verdicts.duplicate(event, "same message already decided")
        if record is None or record.placeholder:
            decision = self.moves.first_sighting(chart, event, record, ws)
        else:
            decision = self._known(chart, record, event, ws)
        if not self._foldable[chart.name]:
            decision = self._legal.decide(chart, event, decision, ws) or decision
        return self._settled(chart, event, decision, ws)

    # -- steps ------------------------------------------------------------------------------

    def _unauthentic(self, event: Event) -> Decision | None:
        if event.signature is SignatureStatus.INVALID:
            return self.verdicts.invalid(event, "signature", "signature does not verify")
        if event.signature is SignatureStatus.ABSENT and event.channel is Channel.CALLBACK:
            return self.verdicts.invalid(event, "signature", "callback carries no signature; "
                                         "an unsigned callback could come from anyone")
        return None

    def _link(self, chart: Chart, record: ObjectRecord, event: Event, ws: Workset,
              seen: bool) -> Decision | None:
        """A child recorded without its parent, and an input that names the parent: the
        child's kept effect applies to the parent now. A redelivery (its key was claimed)
        only links; a new input goes on to be decided on the linked child."""
        outcome = link_child(self.charts, ws, self.options, chart, record, event)
        if outcome is None:
            return None
        if outcome.refusal is not None:
            return self.verdicts.rejected(event, record, outcome.refusal)
        linked = ws.get(event.key)
        assert linked is not None
        if not seen:
            ws.notes += outcome.warnings
            return None
        ws.claims = False
        return self.verdicts.applied(chart, event, linked, origin=linked.state,
                                     reason=f"links {chart.object_kind} {event.object_id} to "
                                            f"{chart.spec.parent} {event.parent_id}",
                                     warnings=(*event.warnings, *outcome.warnings),
                                     parent_move=outcome.move)

    def _known(self, chart: Chart, record: ObjectRecord, event: Event, ws: Workset) -> Decision:
        for step in self._known_steps:
            decision = step(chart, record, event, ws)
            if decision is not None:
                if decision.outcome is Outcome.STALE and self._foldable[chart.name]:
                    self._claimed_clock(record, event, ws)
                return decision
        return self._no_move(chart, record, event)

    def _claimed_clock(self, record: ObjectRecord, event: Event, ws: Workset) -> None:
        """A stale message keeps its place in the object's history: the clock moves to it,
        so a message older than it is decided in its place, where this one may apply. The
        record is written even when the clock stays, so the version covers the history a
        concurrent late message reads."""
        current = ws.get(record.key) or record
        if event.sequence is not None and (current.sequence is None
                                           or event.sequence > current.sequence):
            current = attrs.evolve(current, sequence=event.sequence)
        ws.put(current)

    def _foreign_currency(self, chart: Chart, record: ObjectRecord, event: Event,
                          ws: Workset) -> Decision | None:
        money, currency = event.money, record.ledger.currency
        if money is None or currency is None or money.currency == currency:
            return None
        return self.verdicts.invalid(event, "currency", f"{money.currency} does not match "
                                     f"the object's currency {currency}")

    def _older_sequence(self, chart: Chart, record: ObjectRecord, event: Event,
                        ws: Workset) -> Decision | None:
        if (event.sequence is None or record.sequence is None
                or event.sequence >= record.sequence):
            return None
        in_place = self._in_place(chart, record, event, ws)
        if in_place is not None:
            return in_place
        filled = self._fill_in(chart, record, event, ws) if record.skipped else None
        return filled or self.verdicts.stale(event, record, f"provider sequence "
                                             f"{event.sequence} is older than applied "
                                             f"{record.sequence}")

    def _in_place(self, chart: Chart, record: ObjectRecord, event: Event,
                  ws: Workset) -> Decision | None:
        """An older message of an object that is its own whole history, decided in its place:
        the object's claimed messages and this one again, in provider order (``refold.py``).
        ``stale`` when that changes neither state nor ledger."""
        if not self._foldable[chart.name]:
            return None
        folded = refolded(chart, record, event, self.store.history(record.key),
                          self._fold_step)
        if folded is None:
            return None
        if folded != record:
            ws.put(folded)
        place = (f"provider sequence {event.sequence} is older than applied "
                 f"{record.sequence}")
        if (folded.state, folded.ledger) == (record.state, record.ledger):
            return self.verdicts.stale(event, record, f"{place}; decided in its place it "
                                       "changes nothing")
        return self.verdicts.applied(chart, event, folded, origin=record.state,
                                     reason=f"{place}: decided in its place, the object's "
                                            f"messages in provider order end `{folded.state}`",
                                     warnings=event.warnings)

    def _fold_step(self, chart: Chart, record: ObjectRecord | None, event: Event,
                   ws: Workset) -> Decision:
        if record is None:
            return self.moves.first_sighting(chart, event, None, ws)
        return self._known(chart, record, event, ws)

    def _blocked(self, chart: Chart, record: ObjectRecord, event: Event,
                 ws: Workset) -> Decision | None:
        blocker = self.blocker(chart, record)
        return None if blocker is None else self.verdicts.rejected(event, record, blocker)

    def _edge(self, chart: Chart, record: ObjectRecord, event: Event,
              ws: Workset) -> Decision | None:
        resolution = self.moves.resolve(chart, record, event)
        if resolution.edge is not None and resolution.edge.index in record.skipped:
            # a cycle went round unseen through this very step: its message fills it in
            filled = self.moves.fill_in(chart, record, event, ws)
            if filled is not None:
                return filled
        if resolution.edge is not None:  # steps still unknown may make room for its effect
            return self.moves.take(chart, record, resolution.edge, event, ws,
                                   deferring=bool(record.skipped))
        if resolution.refusals:
            waiting = self._guard_waits(chart, record, event, ws)
            if waiting is not None:
                return waiting
            return self.verdicts.rejected(event, record, "; ".join(resolution.refusals))
        return None

    def _guard_waits(self, chart: Chart, record: ObjectRecord, event: Event,
                     ws: Workset) -> Decision | None:
        """A family object's edge refused by its guard while a skipped ledger step that
        leads to it is still missing (a partial refund of a payment first seen `paid`,
        before its capture): the steps that make room have not arrived, so the edge is taken
        with its money deferred, and the message stays in the family's history for the
        legal order to place (``family_fold.py``). ``None`` otherwise."""
        if self._foldable[chart.name] or event.money is None or not record.skipped:
            return None
        for edge in chart.table.get((record.state, event.trigger), ()):
            if (edge.guard is not None and edge.target == (event.state or edge.target)
                    and (edge.override is None or edge.override in self.options)
                    and earlier_missing(chart, record.skipped, edge)):
                return self.moves.take(chart, record, edge, event, ws, deferring=True)
        return None

    def _fill_in(self, chart: Chart, record: ObjectRecord, event: Event,
                 ws: Workset) -> Decision | None:
        return self.moves.fill_in(chart, record, event, ws) if record.skipped else None

    def _already_passed(self, chart: Chart, record: ObjectRecord, event: Event,
                        ws: Workset) -> Decision | None:
        reported = event.state
        if reported == record.state and self._unseen_cycle(chart, record, event):
            return self._composite(chart, record, event, ws)
        if reported == record.state:
            self.moves.advance_clock(record, event, ws)
            return self.verdicts.stale(event, record, f"already `{reported}`; nothing newer")
        if reported is not None and reported in chart.canonical and has_passed(
                chart, record, reported):
            late = self.moves.late_loop(chart, record, event, ws)
            if late is not None:
                return late
            return self.verdicts.stale(event, record, f"reports `{reported}`, which "
                                       f"`{record.state}` has already passed")
        if (reported is not None and reported in chart.canonical and record.skipped
                and not self._foldable[chart.name]
                and record.state in ahead_of(chart, reported, self.options)):
            # a family's message from the part of the history never seen: it keeps its
            # place in the family's messages, where a legal order may put it
            return self.verdicts.stale(event, record, f"reports `{reported}`, which may come "
                                       f"before `{record.state}` in the history not seen")
        return None

    def _unseen_cycle(self, chart: Chart, record: ObjectRecord, event: Event) -> bool:
        """Whether ``event`` reports the object's state by an edge from a state the object
        never passed, with money of its own: it went round a cycle unseen (a chargeback
        reversal of a payment never seen charged back), which a composite move walks, not an
        old message."""
        return any(edge.trigger == event.trigger and edge.target == record.state
                   and edge.effect is not None  # a status-only echo stays stale
                   and not has_passed(chart, record, edge.origin)
                   and (edge.override is None or edge.override in self.options)
                   for edge in chart.edges)

    def _composite(self, chart: Chart, record: ObjectRecord, event: Event,
                   ws: Workset) -> Decision | None:
        reported = event.state
        if reported is None or reported not in chart.canonical:
            return None
        path = chart.composite_path(record.state, reported, event.trigger, self.options)
        return None if path is None else self.moves.take_path(chart, record, path, event, ws)

    def _no_move(self, chart: Chart, record: ObjectRecord, event: Event) -> Decision:
        reported = event.state
        if record.state not in chart.finals:
            return self.verdicts.rejected(event, record, f"no edge for `{event.trigger}` from "
                                          f"`{record.state}`")
        if reported is not None and reported in chart.canonical:
            return self.verdicts.rejected(event, record, (
                f"object is final in `{record.state}` and never passed `{reported}`: "
                f"`{event.trigger}` after the end is new information the chart has no edge "
                "for; someone must look at it"))
        return self.verdicts.rejected(event, record, f"object is final in `{record.state}`; "
                                      f"no edge for `{event.trigger}`")

    # -- after the step ------------------------------------------------------------------------

    def _settled(self, chart: Chart, event: Event, decision: Decision,
                 ws: Workset) -> Decision:
        """An applied decision with the children's effects that now apply to the object; an
        unchanging one after a link made on the way reports the link instead."""
        if decision.outcome in UNCHANGING:
            linked = ws.get(event.key)
            if not ws.notes or linked is None:
                return decision
            return self.verdicts.applied(chart, event, linked, origin=linked.state,
                                         reason=f"links {chart.object_kind} {event.object_id}"
                                                f" to {chart.spec.parent} {event.parent_id} "
                                                f"(the input itself: {decision.reason})",
                                         warnings=(*event.warnings, *ws.notes))
        record = ws.get(event.key)
        assert record is not None
        record, bound = settle_attempt(event, record, ws, self.store)
        notes = [*ws.notes, *bound]
        if record.pending:
            record, settled = settle(self.charts, self.options, chart, record, event)
            ws.put(record)
            notes += settled
        if not notes:
            return decision
        return self.verdicts.refreshed(decision, chart, record, notes)

    def blocker(self, chart: Chart, record: ObjectRecord) -> str | None:
        """Why a child blocks status changes of ``record`` (an open dispute), if one does.
        Children entering or leaving a blocking state write their parent, so the parent's
        version covers this read."""
        if not self.charts.blocking_children.get(chart.name):
            return None
        return blocking_child(self.charts, chart, self.store.children(record.key))

