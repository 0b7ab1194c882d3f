"""The orchestrator: one input in, exactly one decision and one journal entry out.

Order of questions for an event (ARCHITECTURE.md, "Decision"): is it authentic and of a known
chart (else ``invalid``); was its dedupe key already decided (``duplicate``); is the object new
(first sighting); is it older than what was applied (``stale`` by provider sequence, unless
it fills in a step the object skipped); does a pending child block the object
(``rejected``); which edge does the chart allow, preferring the one into the reported state
(``applied``); otherwise does it fill in a skipped step (``applied``, state kept), report a
state the object already passed (``stale``), or a state ahead that the chart reaches by a
composite move (``applied``, skipped steps remembered); else there is no legal move
(``rejected``, with the guard figures or the disabled override).
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from .actions import AllowedCache, allowed_actions, check_action, state_actions
from .adapter import Adapter, AdapterContext, RawInput, Remembered
from .chart import Chart, Edge, Resolution
from .charts import ChartSet
from .decision import CONSUMES_DEDUPE_KEY, ActionCheck, AllowedAction, Decision, Outcome
from .errors import DuplicateKeyError, InputError, UnknownChartError, VersionConflictError
from .event import CREATING_CHANNELS, Channel, Event, SignatureStatus, object_key
from .history import fill_skipped
from .journal import journal_entry
from .ledger import EMPTY_LEDGER, Ledger, LedgerRefusal, refine
from .money import Money
from .parents import drive_parent
from .providers import redacted_fields
from .record import ObjectRecord
from .rulebook import GuardInput
from .stores.base import Store
from .stores.memory import MemoryStore

_MAX_ATTEMPTS = 5


@attrs.frozen(slots=True)
class _Plan:
    """A decision and the records it writes, before the store commits them."""

    decision: Decision
    records: tuple[ObjectRecord, ...] = ()


class Orchestrator:
    """Applies events to charts over a store; safe to share by concurrent workers when the
    store is (conflicts are retried from a fresh read, duplicates lose the race cleanly).

    ``options`` enables override edges (``enable_change_final_status``…). ``reference=True``
    resolves edges with the shared ``transitions`` machine instead of the compiled table, to
    show both agree.
    """

    def __init__(self, charts: ChartSet, store: Store | None = None, *,
                 options: Iterable[str] = (), reference: bool = False) -> None:
        self.charts = charts
        self.store: Store = store if store is not None else MemoryStore()
        self.options = frozenset(options)
        self._options_tuple = tuple(sorted(self.options))
        self._reference = reference
        self._actions = {chart.name: state_actions(chart) for chart in charts}
        self._allowed_cache: AllowedCache = {}

    # -- public API -----------------------------------------------------------------------

    def apply(self, event: Event, *, raw: RawInput | None = None,
              line: int | None = None) -> Decision:
        """Decide one event and journal it with its (redacted) raw input."""
        for _ in range(_MAX_ATTEMPTS):
            plan = self._plan(event)
            claimed = (event.dedupe_key if plan.decision.outcome in CONSUMES_DEDUPE_KEY
                       else None)
            try:
                self._commit(plan, event=event, raw=raw, line=line, claimed=claimed)
            except VersionConflictError:
                continue
            except DuplicateKeyError:
                plan = _Plan(self._duplicate(event, "decided concurrently by another worker"))
                self._commit(plan, event=event, raw=raw, line=line, claimed=None)
            return plan.decision
        raise VersionConflictError(event.key, -1, None)

    def invalid(self, error: InputError, *, raw: RawInput | None = None,
                line: int | None = None) -> Decision:
        """Journal an input the adapter could not parse or authenticate."""
        decision = Decision(Outcome.INVALID, error.reason, provider=error.provider or
                            (raw.provider if raw else None), object_kind=error.object_kind,
                            object_id=error.object_id, field=error.field)
        self._commit(_Plan(decision), event=None, raw=raw, line=line, claimed=None)
        return decision

    def ingest(self, raw: RawInput, adapter: Adapter, context: AdapterContext | None = None,
               *, line: int | None = None) -> tuple[Decision, ...]:
        """Parse raw input with its adapter and decide every event it yields."""
        if context is None:
            context = AdapterContext(remembered=self.remembered_for(raw.provider))
        result = adapter.parse(raw, context)
        if result.error is not None or not result.events:
            error = result.error or InputError("body", "no event in input", provider=raw.provider)
            return (attrs.evolve(self.invalid(error, raw=raw, line=line), reply=result.reply),)
        decisions = []
        for event in result.events:
            decision = self.apply(event, raw=raw, line=line)
            decisions.append(attrs.evolve(decision, reply=result.reply) if result.reply
                             else decision)
        return tuple(decisions)

    def remembered_for(self, provider: str) -> Remembered:
        """A lookup adapters use to read facts kept for an object of ``provider``."""
        def lookup(kind: str, object_id: str) -> dict[str, str]:
            record = self.store.get(object_key(provider, kind, object_id))
            return dict(record.remembered) if record else {}
        return lookup

    def record(self, provider: str, object_kind: str, object_id: str) -> ObjectRecord | None:
        return self.store.get(object_key(provider, object_kind, object_id))

    def canonical(self, record: ObjectRecord) -> str:
        chart = self.charts.named(record.chart)
        return refine(chart.canonical[record.state], record.ledger).value

    def allowed_actions(self, provider: str, object_kind: str,
                        object_id: str) -> tuple[AllowedAction, ...]:
        """Merchant calls allowed now on the object (empty when unknown or blocked)."""
        chart = self.charts.get(provider, object_kind)
        record = self.store.get(object_key(provider, object_kind, object_id))
        if record is None or self._blocker(chart, record) is not None:
            return ()
        return allowed_actions(self._actions[chart.name], record, self._allowed_cache)

    def precheck(self, provider: str, object_kind: str, object_id: str, action: str,
                 amount: Money | None = None) -> ActionCheck:
        """Whether the merchant may make ``action`` (for ``amount``) now, and why not."""
        chart = self.charts.get(provider, object_kind)
        record = self.store.get(object_key(provider, object_kind, object_id))
        if record is None:
            return ActionCheck(action, False, f"{object_kind} {object_id} is not known")
        blocker = self._blocker(chart, record)
        if blocker is not None:
            return ActionCheck(action, False, blocker)
        return check_action(chart, self._actions[chart.name], record, action, amount)

    # -- deciding ---------------------------------------------------------------------------

    def _plan(self, event: Event) -> _Plan:
        try:
            chart = self.charts.get(event.provider, event.object_kind)
        except UnknownChartError as exc:
            return _Plan(self._invalid(event, "object_kind", str(exc)))
        if event.signature is SignatureStatus.INVALID:
            return _Plan(self._invalid(event, "signature", "signature does not verify"))
        if event.signature is SignatureStatus.ABSENT and event.channel is Channel.CALLBACK:
            return _Plan(self._invalid(event, "signature", "callback carries no signature; "
                                       "an unsigned callback could come from anyone"))
        seen, record = self.store.load(event.key, event.dedupe_key)
        if seen:
            return _Plan(self._duplicate(event, "same message already decided"))
        if record is None:
            return self._first_sighting(chart, event)
        money = event.money
        currency = record.ledger.currency
        if money is not None and currency is not None and money.currency != currency:
            return _Plan(self._invalid(event, "currency", f"{money.currency} does not match "
                                       f"the object's currency {currency}"))
        if (event.sequence is not None and record.sequence is not None
                and event.sequence < record.sequence):
            filled = self._fill_skipped(chart, record, event) if record.skipped else None
            return filled or _Plan(self._stale(event, record, f"provider sequence "
                                               f"{event.sequence} is older than applied "
                                               f"{record.sequence}"))
        blocker = self._blocker(chart, record)
        if blocker is not None:
            return _Plan(self._refuse(event, record, blocker))
        resolution = self._resolve(chart, record, event)
        if resolution.edge is not None:
            return self._take(chart, record, resolution.edge, event)
        if resolution.refusals:
            return _Plan(self._refuse(event, record, "; ".join(resolution.refusals)))
        if record.skipped:
            filled = self._fill_skipped(chart, record, event)
            if filled is not None:
                return filled
        reported = event.state
        if reported == record.state:
            return _Plan(self._stale(event, record, f"already `{reported}`; nothing newer"))
        if reported is not None and reported in chart.canonical:
            if chart.is_behind(reported, record.state):
                return _Plan(self._stale(event, record, f"reports `{reported}`, which "
                                         f"`{record.state}` has already passed"))
            path = chart.composite_path(record.state, reported, event.trigger, self.options)
            if path is not None:
                return self._take_path(chart, record, path, event)
        if record.state in chart.finals:
            return _Plan(self._refuse(event, record, f"object is final in `{record.state}`; "
                                      f"no edge for `{event.trigger}`"))
        return _Plan(self._refuse(event, record, f"no edge for `{event.trigger}` from "
                                  f"`{record.state}`"))

    def _resolve(self, chart: Chart, record: ObjectRecord, event: Event) -> Resolution:
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
        if self._reference:
            return Resolution(None, resolution.refusals)
        return resolution

    def _first_sighting(self, chart: Chart, event: Event) -> _Plan:
        parent = None
        if chart.spec.parent is not None and event.parent_id is not None:
            parent = object_key(event.provider, chart.spec.parent, event.parent_id)
        fresh = ObjectRecord(event.key, chart.name, chart.initial, version=0,
                             parent=parent)
        if event.channel in CREATING_CHANNELS:
            if event.state == chart.initial and (chart.initial, event.trigger) not in chart.table:
                created = ObjectRecord(event.key, chart.name, chart.initial,
                                       1, self._opening_ledger(event), parent, event.sequence,
                                       event.remember)
                return _Plan(self._applied(chart, event, None, created, "created",
                                           list(event.warnings)), (created,))
            resolution = self._resolve(chart, fresh, event)
            if resolution.edge is not None:
                return self._take(chart, fresh, resolution.edge, event)
        reported = event.state
        if reported is None or reported not in chart.canonical:
            return _Plan(self._refuse(event, None, f"unknown {chart.object_kind} and the input "
                                      "reports no state of the chart to start it in"))
        edge = chart.entry_edge.get((event.trigger, reported))
        note = f"first seen in `{reported}`: earlier history unknown"
        if edge is None:
            created = ObjectRecord(event.key, chart.name, reported, 1,
                                   self._opening_ledger(event), parent, event.sequence,
                                   event.remember, chart.history_edges[reported])
            return _Plan(attrs.evolve(self._applied(chart, event, None, created, note,
                                                    list(event.warnings)),
                                      history_unknown=True), (created,))
        start = ObjectRecord(event.key, chart.name, edge.origin, 0,
                             parent=parent, skipped=tuple(
                                 i for i in chart.history_edges[reported] if i != edge.index))
        plan = self._take(chart, start, edge, event, first_sighting=True)
        if plan.decision.outcome is not Outcome.APPLIED:
            return plan
        decision = attrs.evolve(plan.decision, from_state=None, history_unknown=True,
                                reason=note)
        return _Plan(decision, plan.records)

    @staticmethod
    def _opening_ledger(event: Event) -> Ledger:
        return EMPTY_LEDGER if event.money is None else Ledger(currency=event.money.currency)

    def _take(self, chart: Chart, record: ObjectRecord, edge: Edge, event: Event, *,
              first_sighting: bool = False, composite: bool = False) -> _Plan:
        warnings = list(event.warnings)
        ledger = record.ledger
        deferred = record.deferred
        if ledger.currency is None and event.money is not None:
            ledger = Ledger(currency=event.money.currency)
        if edge.effect is not None:
            try:
                ledger = edge.effect(ledger, event)
            except LedgerRefusal as refusal:
                if first_sighting or composite:
                    amount = None if event.money is None else event.money.amount
                    deferred = (*deferred, (edge.index, amount))
                    warnings.append(f"ledger effect deferred until the earlier steps arrive "
                                    f"({refusal})")
                else:
                    return _Plan(self._refuse(event, record, str(refusal)))
        elif (event.money is not None and ledger.authorized
              and event.money.amount != ledger.authorized):
            authorized = ledger.money("authorized")
            warnings.append(f"amount {event.money} differs from authorized {authorized}")
        if edge.override is not None:
            warnings.append(_override_used(edge))
        sequence = record.sequence
        if event.sequence is not None and (sequence is None or event.sequence > sequence):
            sequence = event.sequence
        remembered = record.remembered
        if event.remember:
            remembered = tuple({**dict(remembered), **dict(event.remember)}.items())
        parent = record.parent
        if parent is None and event.parent_id is not None and chart.spec.parent is not None:
            parent = object_key(event.provider, chart.spec.parent, event.parent_id)
        updated = ObjectRecord(record.key, record.chart, edge.target,
                               record.version + 1, ledger, parent, sequence, remembered,
                               record.skipped, deferred)
        records = [updated]
        move = None
        if edge.parent_effect is not None or edge.parent_trigger is not None:
            driven = drive_parent(self.charts, self.store, self.options, chart, updated, edge,
                                  event)
            if driven.refusal is not None:
                return _Plan(self._refuse(event, record, driven.refusal))
            if driven.warning is not None:
                warnings.append(driven.warning)
            if driven.record is not None:
                records.append(driven.record)
            move = driven.move
        reason = f"`{edge.origin}` → `{edge.target}`"
        decision = self._applied(chart, event, edge.origin, updated, reason, warnings)
        return _Plan(attrs.evolve(decision, parent_move=move) if move else decision,
                     tuple(records))

    def _take_path(self, chart: Chart, record: ObjectRecord, path: tuple[Edge, ...],
                   event: Event) -> _Plan:
        """A batched callback that skipped statuses: the intermediate edges are walked without
        their guards and effects (their inputs never arrived; the event's figures belong to
        its own step), and remembered as skipped so that their late messages fill them in."""
        *through, last = path
        start = attrs.evolve(record, state=last.origin)
        plan = self._take(chart, start, last, event, composite=True)
        decision = plan.decision
        if decision.outcome is not Outcome.APPLIED:
            return _Plan(self._refuse(event, record, decision.reason))
        skipped = "`, `".join(edge.target for edge in through)
        note = f"composite move: skipped `{skipped}`"
        overrides = [_override_used(edge) for edge in through if edge.override is not None]
        updated, *others = plan.records
        updated = attrs.evolve(updated, version=record.version + 1, skipped=(
            *record.skipped, *(edge.index for edge in through if edge.effect is not None)))
        decision = attrs.evolve(decision, from_state=record.state,
                                reason=f"`{record.state}` → `{last.target}` ({note})",
                                warnings=(*decision.warnings, *overrides, note))
        return _Plan(decision, (updated, *others))

    def _fill_skipped(self, chart: Chart, record: ObjectRecord, event: Event) -> _Plan | None:
        """A late message for a step the object skipped: its ledger effect applies now and
        the state stays. ``None`` when the event fills no skipped step."""
        filled = fill_skipped(chart, record, event)
        if filled is None:
            return None
        edge, updated = filled
        reason = (f"fills in the skipped step `{edge.origin}` → `{edge.target}`; "
                  f"stays `{record.state}`")
        return _Plan(self._applied(chart, event, record.state, updated, reason,
                                   list(event.warnings)), (updated,))

    def _blocker(self, chart: Chart, record: ObjectRecord) -> str | None:
        children = self.charts.blocking_children.get(chart.name)
        if not children:
            return None
        names = {c.name: c for c in children}
        for child in self.store.children(record.key):
            child_chart = names.get(child.chart)
            if child_chart is not None and child.state in child_chart.blocking_states:
                return (f"{child_chart.object_kind} {child.object_id} is `{child.state}`; "
                        f"it blocks status changes of this {chart.object_kind}")
        return None

    # -- decisions ------------------------------------------------------------------------------

    def _applied(self, chart: Chart, event: Event, origin: str | None, record: ObjectRecord,
                 reason: str, warnings: list[str]) -> Decision:
        return Decision(
            Outcome.APPLIED, reason, event.provider, event.object_kind, event.object_id,
            event.trigger, origin, record.state, refine(chart.canonical[record.state],
                                                        record.ledger),
            record.ledger, warnings=tuple(warnings),
            allowed=self._allowed(chart, record),
            customer_action=event.customer_action, facts=event.facts)

    def _allowed(self, chart: Chart, record: ObjectRecord) -> tuple[AllowedAction, ...]:
        return allowed_actions(self._actions[chart.name], record, self._allowed_cache)

    @staticmethod
    def _invalid(event: Event, field: str, reason: str) -> Decision:
        return Decision(Outcome.INVALID, reason, event.provider, event.object_kind,
                        event.object_id, event.trigger, field=field, warnings=event.warnings)

    @staticmethod
    def _duplicate(event: Event, reason: str) -> Decision:
        return Decision(Outcome.DUPLICATE, reason, event.provider, event.object_kind,
                        event.object_id, event.trigger, warnings=event.warnings)

    def _stale(self, event: Event, record: ObjectRecord, reason: str) -> Decision:
        return self._unchanged(Outcome.STALE, event, record, reason)

    def _refuse(self, event: Event, record: ObjectRecord | None, reason: str) -> Decision:
        return self._unchanged(Outcome.REJECTED, event, record, reason)

    def _unchanged(self, outcome: Outcome, event: Event, record: ObjectRecord | None,
                   reason: str) -> Decision:
        if record is None or record.version == 0:
            return Decision(outcome, reason, event.provider, event.object_kind,
                            event.object_id, event.trigger, warnings=event.warnings)
        chart = self.charts.named(record.chart)
        return Decision(outcome, reason, event.provider, event.object_kind, event.object_id,
                        event.trigger, record.state, record.state,
                        refine(chart.canonical[record.state], record.ledger), record.ledger,
                        warnings=event.warnings, allowed=self._allowed(chart, record),
                        facts=event.facts)

    def _commit(self, plan: _Plan, *, event: Event | None, raw: RawInput | None,
                line: int | None, claimed: str | None) -> None:
        dropped = redacted_fields(raw.provider) if raw is not None else frozenset()
        entry = journal_entry(plan.decision, event, raw, line=line, claimed=claimed,
                              options=self._options_tuple, redacted_fields=dropped)
        self.store.commit(entry, plan.records)


def _override_used(edge: Edge) -> str:
    return f"override `{edge.override}` used: `{edge.origin} → {edge.target}`"
