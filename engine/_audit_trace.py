"""How each recorded object actually went: its decisions in order and its path as steps.

Built from a ``ValidationRun``'s results alone (each carries when and by which channel its
input arrived), never from the store. A parent moved by a child
(a refund's ``parent_trigger``) gets a step too, noted with the child that caused it, since the
orchestrator records that move only as a warning on the child's decision.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

import attrs

from ._diagram_render import Highlight, Step
from .chart import Chart
from .decision import Decision, Outcome
from .event import object_key
from .money import Money
from .record import ObjectRecord
from .validate import ValidationRun


@attrs.frozen
class Row:
    """One decision of the run, with when and how its input arrived."""

    index: int
    line: int
    received_at: datetime | None
    channel: str | None
    decision: Decision
    signature: str | None = None
    step: int | None = None
    """The path step number this decision produced on its object, when applied."""
    amount: Money | None = None
    """The amount the input reported, when it carried one."""

    @property
    def key(self) -> str | None:
        d = self.decision
        if d.provider and d.object_kind and d.object_id:
            return object_key(d.provider, d.object_kind, d.object_id)
        return None


@attrs.frozen
class Trail:
    """One object: where it ended and how it got there."""

    record: ObjectRecord
    chart: Chart
    canonical: str
    rows: tuple[Row, ...]
    highlight: Highlight

    @property
    def key(self) -> str:
        return self.record.key


def rows_of(run: ValidationRun) -> list[Row]:
    """Every decision of the run in order, with when and how its input arrived."""
    return [Row(index, result.line, result.received_at, result.channel, result.decision,
                result.signature.value if result.signature else None)
            for index, result in enumerate(run.results)]


def trails(run: ValidationRun, rows: Sequence[Row] | None = None) -> list[Trail]:
    """One trail per object the run knows, in the run's object order (``rows`` defaults to
    the run's own; an audit passes them with amounts)."""
    records = {record.key: record for record in run.objects()}
    by_key: dict[str, list[Row]] = defaultdict(list)
    steps: dict[str, list[Step]] = defaultdict(list)
    for row in (rows_of(run) if rows is None else rows):
        key = row.key
        if key is None:
            continue
        d = row.decision
        if d.outcome is Outcome.APPLIED and d.to_state is not None:
            number = len(steps[key]) + 1
            steps[key].append(Step(number, d.from_state, d.to_state, d.trigger,
                                   d.history_unknown))
            for parent, step in _parent_steps(run, records.get(key), d, steps):
                by_key[parent].append(attrs.evolve(row, step=step))
            row = attrs.evolve(row, step=number)
        by_key[key].append(row)
    result = []
    for key, record in records.items():
        chart = run.charts.named(record.chart)
        canonical = run.canonical(record)
        title = (f"{chart.provider} {chart.object_kind} {record.object_id}: "
                 f"{record.state} «{canonical}» ({chart.name})")
        result.append(Trail(record, chart, canonical,
                            tuple(by_key.get(key, ())),
                            Highlight(tuple(steps.get(key, ())), record.state, title)))
    return result


def _parent_steps(run: ValidationRun, child: ObjectRecord | None, decision: Decision,
                  steps: dict[str, list[Step]]) -> list[tuple[str, int]]:
    """A child's applied edge that moved its parent adds a step to the parent's path;
    returns the parent's key and step number for each step added."""
    if child is None or child.parent is None:
        return []
    chart = run.charts.named(child.chart)
    move = decision.parent_move
    if move is None or move.from_state == move.to_state:
        return []
    parent = child.parent
    steps[parent].append(Step(len(steps[parent]) + 1, move.from_state, move.to_state,
                              move.trigger, note=f"by {chart.object_kind} {child.object_id}"))
    return [(parent, len(steps[parent]))]


def find_trail(found: list[Trail], wanted: str, chart: str | None = None) -> Trail | None:
    """The trail of an object named by id or by store key (``provider/kind/id``)."""
    matches = [t for t in found if wanted in (t.record.object_id, t.key)
               and (chart is None or t.chart.name == chart)]
    return matches[0] if len(matches) == 1 else None
