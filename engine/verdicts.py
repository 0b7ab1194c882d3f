"""Decisions built by keyword from an event and the record it leaves: one place that knows
which fields each outcome fills."""

from __future__ import annotations

import attrs

from .actions import AllowedCache, StateActions, allowed_actions
from .chart import Chart
from .charts import ChartSet
from .decision import AllowedAction, Decision, Outcome, ParentMove
from .event import Event
from .ledger import refine
from .record import ObjectRecord


class Verdicts:
    """Builds the five outcomes; shared by every decision of one orchestrator."""

    def __init__(self, charts: ChartSet, actions: dict[str, StateActions]) -> None:
        self._charts = charts
        self._actions = actions
        self._cache: AllowedCache = {}

    def allowed(self, chart: Chart, record: ObjectRecord) -> tuple[AllowedAction, ...]:
        return allowed_actions(self._actions[chart.name], record, self._cache)

    def applied(self, chart: Chart, event: Event, record: ObjectRecord, *,
                origin: str | None, reason: str, warnings: tuple[str, ...] | list[str] = (),
                history_unknown: bool = False,
                parent_move: ParentMove | None = None) -> Decision:
        return Decision(
            outcome=Outcome.APPLIED, reason=reason, provider=event.provider,
            object_kind=event.object_kind, object_id=event.object_id, trigger=event.trigger,
            from_state=origin, to_state=record.state,
            canonical=refine(chart.canonical[record.state], record.ledger),
            ledger=record.ledger, history_unknown=history_unknown, warnings=tuple(warnings),
            allowed=self.allowed(chart, record), customer_action=event.customer_action,
            parent_move=parent_move, facts=event.facts, confirmed=event.confirmed,
            confirm_by=event.confirm_by)

    def refreshed(self, decision: Decision, chart: Chart, record: ObjectRecord,
                  notes: list[str]) -> Decision:
        """``decision`` showing ``record`` as it ends (pending effects settled on it)."""
        return attrs.evolve(decision, to_state=record.state, ledger=record.ledger,
                            canonical=refine(chart.canonical[record.state], record.ledger),
                            allowed=self.allowed(chart, record),
                            warnings=(*decision.warnings, *notes))

    def stale(self, event: Event, record: ObjectRecord, reason: str) -> Decision:
        return self.unchanged(Outcome.STALE, event, record, reason)

    def rejected(self, event: Event, record: ObjectRecord | None, reason: str) -> Decision:
        return self.unchanged(Outcome.REJECTED, event, record, reason)

    def unchanged(self, outcome: Outcome, event: Event, record: ObjectRecord | None,
                  reason: str) -> Decision:
        if record is None or record.placeholder:
            return Decision(outcome=outcome, reason=reason, provider=event.provider,
                            object_kind=event.object_kind, object_id=event.object_id,
                            trigger=event.trigger, warnings=event.warnings)
        chart = self._charts.named(record.chart)
        return Decision(outcome=outcome, reason=reason, provider=event.provider,
                        object_kind=event.object_kind, object_id=event.object_id,
                        trigger=event.trigger, from_state=record.state, to_state=record.state,
                        canonical=refine(chart.canonical[record.state], record.ledger),
                        ledger=record.ledger, warnings=event.warnings,
                        allowed=self.allowed(chart, record), facts=event.facts)

    @staticmethod
    def invalid(event: Event, field: str, reason: str) -> Decision:
        return Decision(outcome=Outcome.INVALID, reason=reason, provider=event.provider,
                        object_kind=event.object_kind, object_id=event.object_id,
                        trigger=event.trigger, field=field, warnings=event.warnings)

    @staticmethod
    def duplicate(event: Event, reason: str) -> Decision:
        return Decision(outcome=Outcome.DUPLICATE, reason=reason, provider=event.provider,
                        object_kind=event.object_kind, object_id=event.object_id,
                        trigger=event.trigger, warnings=event.warnings)
