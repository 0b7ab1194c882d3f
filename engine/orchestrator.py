"""The orchestrator: one input in, exactly one decision and one journal entry out.

The decision order is in ``steps.py``; this module runs it against the store: every decision
is committed under the versions of the records it read, re-decided from a fresh read when a
concurrent worker changed one of them, and journaled exactly as returned (reply included).
``ingest_committed``/``apply_committed`` also return the seq each journal entry got, for
consumers that line pushed decisions up with ``Store.entries`` (the receiver's subscribers).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from datetime import datetime
from typing import NamedTuple

from .actions import check_action, state_actions
from .adapter import Adapter, AdapterContext, RawInput, Remembered
from .attempts import named, refused, remembered_facts
from .charts import ChartSet
from .conflicts import RetriesExhaustedError
from .decision import (
    CONSUMES_DEDUPE_KEY,
    ActionCheck,
    AllowedAction,
    Decision,
    Outcome,
    with_reply,
)
from .due import Due, due
from .errors import DuplicateKeyError, InputError, VersionConflictError
from .event import Event, object_key
from .journal import journal_entry
from .ledger import refine
from .money import Money
from .orders import Order, order_of
from .providers import redacted_fields
from .record import ObjectRecord
from .steps import Decider
from .stores.base import Store
from .stores.memory import MemoryStore
from .verdicts import Verdicts
from .workset import Workset

MAX_ATTEMPTS = 40
"""Re-decisions before an input fails loudly: with backoff, 16 writers on one object settle
well within this."""
_BACKOFF_CAP = 0.05


class Committed(NamedTuple):
    """A decision with the journal seq its entry got: what a consumer of pushed decisions
    (the receiver's ``on_decision``) needs to line them up with ``Store.entries``."""

    decision: Decision
    seq: int


class Orchestrator:
    """Applies events to charts over a store; safe to share by concurrent workers when the
    store is (conflicts are re-decided from a fresh read, duplicates lose the race cleanly).

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
        self._actions = {chart.name: state_actions(chart) for chart in charts}
        self._verdicts = Verdicts(charts, self._actions)
        self._decider = Decider(charts, self.store, self.options, self._verdicts,
                                reference=reference)

    # -- deciding ---------------------------------------------------------------------------

    def apply(self, event: Event, *, raw: RawInput | None = None, line: int | None = None,
              reply: str | None = None) -> Decision:
        """Decide one event and journal it with its (redacted) raw input and the ``reply``
        the provider expects back."""
        return self.apply_committed(event, raw=raw, line=line, reply=reply).decision

    def apply_committed(self, event: Event, *, raw: RawInput | None = None,
                        line: int | None = None, reply: str | None = None,
                        document: object = None) -> Committed:
        """``apply``, with the seq of the journal entry it committed; ``document`` is the
        adapter's parse of ``raw``'s body, redacted without parsing the body again."""
        conflict: VersionConflictError | None = None
        for attempt in range(MAX_ATTEMPTS):
            ws = Workset(self.store)
            if event.refusal is not None:  # the provider refused the merchant's call
                current, decision = refused(event, self._verdicts, ws, self.store)
            else:
                current = named(event, ws.get)  # a request before the provider id
                decision = self._decider.decide(current, ws)
            if reply is not None:
                decision = with_reply(decision, reply)
            claimed = (current.dedupe_key if ws.claims
                       and decision.outcome in CONSUMES_DEDUPE_KEY else None)
            try:
                seq = self._commit(decision, ws, event=current, raw=raw, line=line,
                                   claimed=claimed, document=document)
            except VersionConflictError as exc:
                conflict = exc
                _back_off(attempt)
                continue
            except DuplicateKeyError:
                decision = self._verdicts.duplicate(current, "decided concurrently by another "
                                                    "worker")
                if reply is not None:
                    decision = with_reply(decision, reply)
                seq = self._commit(decision, None, event=current, raw=raw, line=line,
                                   claimed=None, document=document)
            return Committed(decision, seq)
        assert conflict is not None
        raise RetriesExhaustedError(event.key, event.dedupe_key, MAX_ATTEMPTS, conflict)

    def invalid(self, error: InputError, *, raw: RawInput | None = None,
                line: int | None = None, reply: str | None = None) -> Decision:
        """Journal an input the adapter could not parse or authenticate."""
        return self._invalid(error, raw=raw, line=line, reply=reply).decision

    def _invalid(self, error: InputError, *, raw: RawInput | None, line: int | None,
                 reply: str | None) -> Committed:
        decision = Decision(outcome=Outcome.INVALID, reason=error.reason,
                            provider=error.provider or (raw.provider if raw else None),
                            object_kind=error.object_kind, object_id=error.object_id,
                            field=error.field, reply=reply)
        return Committed(decision, self._commit(decision, None, event=None, raw=raw, line=line,
                                                claimed=None))

    def ingest(self, raw: RawInput, adapter: Adapter, context: AdapterContext | None = None,
               *, line: int | None = None) -> tuple[Decision, ...]:
        """Parse raw input with its adapter and decide every event it yields."""
        return tuple(done.decision for done in self.ingest_committed(raw, adapter, context,
                                                                     line=line))

    def ingest_committed(self, raw: RawInput, adapter: Adapter,
                         context: AdapterContext | None = None, *,
                         line: int | None = None) -> tuple[Committed, ...]:
        """``ingest``, each decision with the seq of the journal entry it committed."""
        if context is None:
            context = AdapterContext(remembered=self.remembered_for(raw.provider))
        result = adapter.parse(raw, context)
        if result.error is not None or not result.events:
            error = result.error or InputError("body", "no event in input", provider=raw.provider)
            return (self._invalid(error, raw=raw, line=line, reply=result.reply),)
        return tuple(self.apply_committed(event, raw=raw, line=line, reply=result.reply,
                                          document=result.document)
                     for event in result.events)

    def _commit(self, decision: Decision, ws: Workset | None, *, event: Event | None,
                raw: RawInput | None, line: int | None, claimed: str | None,
                document: object = None) -> int:
        """Journal ``decision`` (and ``ws``'s writes) atomically; the entry's seq."""
        dropped = redacted_fields(raw.provider) if raw is not None else frozenset()
        entry = journal_entry(decision, event, raw, line=line, claimed=claimed,
                              options=self._options_tuple, redacted_fields=dropped,
                              document=document)
        if ws is None:
            return self.store.commit(entry, ())
        return self.store.commit(entry, ws.writes(), reads=ws.reads())

    # -- reading ------------------------------------------------------------------------------

    def due(self, now: datetime) -> tuple[Due, ...]:
        """The polls, timeouts and confirmations due at ``now`` (see ``due.py``)."""
        return due(self.store, self.charts, now)

    def remembered_for(self, provider: str) -> Remembered:
        """A lookup adapters use to read facts kept for an object of ``provider`` (or, for
        an ``attempts.awaiting`` id, for the request still awaiting its provider id)."""
        def lookup(kind: str, object_id: str) -> dict[str, str]:
            return remembered_facts(self.store, provider, kind, object_id)
        return lookup

    def record(self, provider: str, object_kind: str, object_id: str) -> ObjectRecord | None:
        """The object's record; ``None`` until it is seen (a placeholder holding its
        children's pending effects is not the object)."""
        record = self.store.get(object_key(provider, object_kind, object_id))
        return None if record is None or record.placeholder else record

    def canonical(self, record: ObjectRecord) -> str:
        chart = self.charts.named(record.chart)
        return refine(chart.canonical[record.state], record.ledger).value

    def order(self, reference: str) -> Order | None:
        """Every attempt sharing the merchant's ``reference``, across providers (status,
        totals, anomalies: ``orders.py``); ``None`` when no object keeps it."""
        providers = {chart.spec.provider for chart in self.charts}
        return order_of(self.store, providers, reference, self.canonical)

    def allowed_actions(self, provider: str, object_kind: str,
                        object_id: str) -> tuple[AllowedAction, ...]:
        """Merchant calls allowed now on the object (empty when unknown or blocked)."""
        chart = self.charts.get(provider, object_kind)
        record = self.record(provider, object_kind, object_id)
        if record is None or self._decider.blocker(chart, record) is not None:
            return ()
        return self._verdicts.allowed(chart, record)

    def precheck(self, provider: str, object_kind: str, object_id: str, action: str,
                 amount: Money | None = None) -> ActionCheck:
        """Whether the merchant may make ``action`` (for ``amount``) now, and why not."""
        chart = self.charts.get(provider, object_kind)
        record = self.record(provider, object_kind, object_id)
        if record is None:
            return ActionCheck(action, False, f"{object_kind} {object_id} is not known")
        blocker = self._decider.blocker(chart, record)
        if blocker is not None:
            return ActionCheck(action, False, blocker)
        return check_action(chart, self._actions[chart.name], record, action, amount)


def _back_off(attempt: int) -> None:
    """Full jitter: the first retry is immediate, later ones spread out so that many writers
    on one object stop colliding."""
    if attempt:
        delay = min(_BACKOFF_CAP, 0.001 * 2 ** attempt)
        time.sleep(random.uniform(0, delay))  # noqa: S311 - jitter, not a secret
