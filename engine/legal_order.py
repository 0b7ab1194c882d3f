"""The glue between the step-by-step decision and the family's legal order.

``steps.Decider`` decides one message at a time; when that leaves a family untidy (skipped
steps, deferred or waiting effects, stale or refused, first seen mid-chart, moved round a
cycle) this module asks ``family_fold`` for the family's messages in a legal order and, when
that order ends elsewhere, replaces the step-by-step writes with its end. Kept apart from
``steps.py`` so the order of questions reads on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

import attrs

from .chart import Chart
from .charts import ChartSet
from .decision import Decision, Outcome, ParentMove
from .event import Event
from .family_fold import FamilyFold, untidy
from .history import has_passed, may_return
from .record import ObjectRecord
from .verdicts import Verdicts
from .workset import Workset

Blocker = Callable[[Chart, ObjectRecord], str | None]
"""Why a child blocks the record's status changes (``Decider.blocker``), if one does."""


class LegalOrder:
    """Re-decides a message with its family's messages in a legal order, when it must."""

    def __init__(self, charts: ChartSet, options: Collection[str], verdicts: Verdicts,
                 family: FamilyFold, blocker: Blocker) -> None:
        self.charts = charts
        self.options = options
        self.verdicts = verdicts
        self._family = family
        self._blocker = blocker

    def decide(self, chart: Chart, event: Event, decision: Decision,
               ws: Workset) -> Decision | None:
        """A message that leaves its family untidy (skipped steps, deferred or waiting
        effects, stale or refused, first seen mid-chart): the family's messages decided
        again in a legal order (``family_fold.py``). ``None`` when no legal order places them
        all yet, or the message leaves the family tidy."""
        if ws.notes or not ws.claims or not self._leaves_untidy(chart, event, decision, ws):
            return None
        parent_key = self._family.family_of(event, ws.get(event.key))
        messages = None if parent_key is None else self._family.messages(parent_key, event)
        end = None if messages is None else self._family.legal_end(messages)
        if end is None or all(_same(ws.get(key), folded) for key, folded in end.items()):
            return None  # the step-by-step decision already ends where the legal order does
        if any(self._leaves_final(ws.read(key), folded) for key, folded in end.items()):
            return None  # a final state is final: the step-by-step decision stands
        ws.discard()
        before = ws.get(event.key)
        moved = False
        for key, folded in end.items():
            read = ws.get(key)
            if read is not None:
                folded = _kept(folded, read)
                if folded == read:
                    continue
            moved = moved or read is None or read.placeholder or (
                (folded.state, folded.ledger) != (read.state, read.ledger))
            ws.put(folded)
        record = ws.get(event.key)
        assert record is not None  # placed, or reporting a state it passed
        if not moved:
            return self.verdicts.stale(event, record, "decided with its family's messages "
                                       "in a legal order, it changes nothing")
        origin = None if before is None or before.placeholder else before.state
        return self.verdicts.applied(chart, event, record, origin=origin,
                                     reason=f"decided with its family's messages in a legal "
                                            f"order: ends `{record.state}`",
                                     warnings=event.warnings,
                                     parent_move=self._parent_moved(chart, event, record, ws))

    def _parent_moved(self, chart: Chart, event: Event, child: ObjectRecord,
                      ws: Workset) -> ParentMove | None:
        """The parent's status move a child's message made in the legal order, if any."""
        if child.parent is None:
            return None
        before, after = ws.read(child.parent), ws.get(child.parent)
        if after is None or before is None or before.placeholder or before.state == after.state:
            return None
        trigger = next((edge.parent_trigger for edge in chart.edges
                        if edge.trigger == event.trigger and edge.parent_trigger), event.trigger)
        return ParentMove(after.object_id, trigger, before.state, after.state)

    def _leaves_final(self, read: ObjectRecord | None, folded: ObjectRecord) -> bool:
        """Whether the legal order would move ``read`` out of a final state that no enabled
        override leaves."""
        if read is None or read.placeholder or read.state == folded.state:
            return False
        chart = self.charts.named(read.chart)
        return read.state in chart.finals and not any(
            edge.origin == read.state and edge.override in self.options for edge in chart.edges)

    def _leaves_untidy(self, chart: Chart, event: Event, decision: Decision,
                       ws: Workset) -> bool:
        if decision.outcome is Outcome.REJECTED:
            # an open dispute refuses in any delivery order: no sign of disorder
            record = ws.read(event.key)
            return record is None or self._blocker(chart, record) is None
        if decision.outcome is Outcome.STALE or decision.history_unknown:
            return True
        if decision.outcome is not Outcome.APPLIED:
            return False
        written = ws.written()
        looked_at = [*written, *(ws.read(record.key) for record in written),
                     *(ws.get(key) for key, _ in ws.reads())]
        if any(record is not None and untidy(record) for record in looked_at):
            return True
        return any(self._returns(ws, record) for record in written)

    def _returns(self, ws: Workset, written: ObjectRecord) -> bool:
        """Whether ``written`` moved round a cycle (to a state it passed, or one leading back
        to one: a chargeback that may be reversed): a message stale before may take its
        place in the family's history now, or after the next move."""
        read = ws.read(written.key)
        if read is None or read.placeholder or written.state == read.state:
            return False
        chart = self.charts.named(read.chart)
        return (has_passed(chart, read, written.state)
                or may_return(chart, read, written.state))


def _kept(folded: ObjectRecord, read: ObjectRecord) -> ObjectRecord:
    """``folded`` keeping what the store's record knows beyond its messages: its version,
    facts bound from a request, the order reference, the newest provider sequence."""
    remembered = dict(folded.remembered)
    remembered.update(read.remembered)
    sequence = max((s for s in (folded.sequence, read.sequence) if s is not None),
                   default=None)
    return attrs.evolve(folded, version=read.version, remembered=tuple(remembered.items()),
                        reference=read.reference or folded.reference, sequence=sequence)


def _same(record: ObjectRecord | None, folded: ObjectRecord) -> bool:
    return record is not None and not record.placeholder and (
        (record.state, record.ledger) == (folded.state, folded.ledger))
