"""Children driving parents: a refund's approval adds to its payment's refunded amount and
may end the payment; a lost dispute charges it back. Both happen in the child's commit."""

from __future__ import annotations

from collections.abc import Collection

import attrs

from .chart import Chart, Edge
from .charts import ChartSet
from .decision import ParentMove
from .event import Event
from .ledger import LedgerRefusal
from .record import ObjectRecord
from .rulebook import GuardInput
from .stores.base import Store


@attrs.frozen(slots=True)
class ParentOutcome:
    """What a child's edge did to its parent: the parent's new record and status move, a
    refusal that rejects the child's input (the parent's ledger would break), or a warning
    when the parent is not known yet."""

    record: ObjectRecord | None = None
    move: ParentMove | None = None
    refusal: str | None = None
    warning: str | None = None


def drive_parent(charts: ChartSet, store: Store, options: Collection[str], chart: Chart,
                 child: ObjectRecord, edge: Edge, event: Event) -> ParentOutcome:
    """Apply ``edge``'s parent effect, then fire its parent trigger when the parent's chart
    has a legal edge for it (a partial refund leaves the payment where it is)."""
    parent_chart = charts.parent_of(chart)
    parent = store.get(child.parent) if child.parent else None
    if parent is None or parent_chart is None:
        return ParentOutcome(warning=f"parent {child.parent or '(not named)'} is not known; "
                                     "its ledger and status were not updated")
    ledger = parent.ledger
    if edge.parent_effect is not None:
        try:
            ledger = edge.parent_effect(ledger, event)
        except LedgerRefusal as refusal:
            return ParentOutcome(refusal=f"parent {parent.object_id}: {refusal}")
    state = parent.state
    move = None
    if edge.parent_trigger is not None:
        def check(parent_edge: Edge) -> str | None:
            assert parent_edge.guard is not None
            return parent_edge.guard(GuardInput(ledger, event, parent.remembered))

        resolution = parent_chart.resolve(state, edge.parent_trigger, options, check)
        if resolution.edge is not None:
            state = resolution.edge.target
            move = ParentMove(parent.object_id, edge.parent_trigger, parent.state, state)
    updated = attrs.evolve(parent, state=state, ledger=ledger, version=parent.version + 1)
    return ParentOutcome(record=updated, move=move)
