"""``paychart validate``: decide every recorded input and summarize what happened.

Runs the same orchestrator a backend embeds, over a store (memory by default, SQLite when
asked), so a day of production logs is judged exactly as live traffic would have been. One
hostile line never ends the run: whatever goes wrong while deciding it is that line's
internal error (journaled as ``invalid`` while the store still works), and the next line is
decided. Authenticity fails closed (``authenticity.py``): a provider with secrets must
verify every callback, and a run with callbacks nobody verified is never clean. The run's
result carries everything a report needs (its decisions, and the last record of every object
the run wrote), so reports never query the orchestrator. ``report_only`` keeps just what a
report prints (counts of every decision and warning, the results it lists, the keys of the
objects it wrote) so that a run of a million inputs does not hold a million results, their
bodies, or every object's record.
"""

from __future__ import annotations

import functools
import itertools
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path

import attrs

from paychart.adapters import get_adapter

from ._kept_results import ObservedStore, PackedResults, WrittenObjects
from .adapter import Adapter, AdapterContext, RawInput
from .authenticity import UNVERIFIED, Authenticated, unverified_by_provider
from .charts import ChartSet
from .decision import Decision, Outcome
from .errors import InputError, PaychartError, UnknownProviderError
from .event import Channel, SignatureStatus
from .exit import where_failed
from .inputs import Record, read_records
from .ledger import refine
from .orchestrator import Orchestrator
from .orders import Order, OrdersSummary, iter_orders, summarize
from .providers import available
from .reason_groups import ReasonGroups, without_figures
from .record import ObjectRecord
from .secrets import Secrets
from .stores.base import Store
from .stores.memory import MemoryStore

Progress = Callable[[int], None]


class UnknownOptionError(PaychartError):
    """An override option no loaded chart declares (a typo would silently change nothing)."""

    def __init__(self, unknown: Sequence[str], known: Sequence[str]) -> None:
        self.unknown = tuple(unknown)
        self.known = tuple(known)
        super().__init__(f"unknown option {', '.join(unknown)}; known: "
                         f"{', '.join(known) or '(none)'}")


@attrs.frozen
class InputResult:
    """One decision about one recorded input (an input with two events has two results).

    ``internal_error`` says where paychart itself failed on this input (an exception, or an
    adapter's ``ParseResult.defect``); the input is then ``invalid``. ``signature`` is that
    of a recorded event, ``authenticity`` that of the event the decision is about, however
    it came (recorded, or parsed by the adapter). ``repr`` never shows headers."""

    line: int
    decision: Decision
    raw: RawInput | None = None
    signature: SignatureStatus | None = None
    received_at: datetime | None = None
    channel: str | None = None
    internal_error: str | None = None
    authenticity: SignatureStatus | None = None


def listed(result: InputResult) -> bool:
    """Whether a report lists this result: not applied, or failed. Warnings are grouped
    by what they say (``warning_groups``), not listed per result."""
    return result.decision.outcome is not Outcome.APPLIED or result.internal_error is not None


def warning_groups(results: Iterable[InputResult], groups: ReasonGroups | None = None
                   ) -> ReasonGroups:
    """Every warning of ``results`` added to ``groups`` (new ones by default), by its text
    without ids and figures."""
    groups = ReasonGroups() if groups is None else groups
    for result in results:
        for warning in result.decision.warnings:
            groups.add(without_figures(warning), result.line)
    return groups


Signed = tuple[str, str | None, SignatureStatus | None]
"""(provider, channel, authenticity) of a decided raw input: what ``unverified`` counts."""


@attrs.frozen
class Tally:
    """Counts over every decision of a run whose ``results`` keep only the listed ones."""

    outcomes: Mapping[Outcome, int]
    signed: Mapping[Signed, int]
    warnings: ReasonGroups


class _Tallied:
    """Results as they come: every one counted, only the listed ones kept, without their
    raw input (the body and headers a report never prints)."""

    def __init__(self) -> None:
        self.outcomes: Counter[Outcome] = Counter()
        self.signed: Counter[Signed] = Counter()
        self.warnings = ReasonGroups()
        self.kept: PackedResults[InputResult] = PackedResults()

    def __call__(self, results: Iterable[InputResult]) -> None:
        results = list(results)
        warning_groups(results, self.warnings)
        for result in results:
            decision = result.decision
            self.outcomes[decision.outcome] += 1
            if result.raw is not None:
                self.signed[decision.provider or "", result.channel, result.authenticity] += 1
            if listed(result):
                self.kept.append(attrs.evolve(result, raw=None))

    def tally(self) -> Tally:
        return Tally(dict(self.outcomes), dict(self.signed), self.warnings)


@attrs.frozen
class ValidationRun:
    """The decisions of a run and the last record of every object it wrote.

    ``results`` holds every decision, or, when ``tally`` is set (``report_only``), only those
    a report lists (``listed``, raw input dropped), the tally counting all of them and
    grouping their warnings; ``written`` is then read back from the store by key.
    ``orchestrator`` stays available to callers who want to ask the engine more (allowed
    actions, prechecks); the reports read only ``results``, the tally and ``written``."""

    results: Sequence[InputResult]
    orchestrator: Orchestrator = attrs.field(repr=False)
    inputs: int
    charts: ChartSet = attrs.field(repr=False)
    written: Sequence[ObjectRecord] = attrs.field(default=(), repr=False)
    allowed_unverified: frozenset[str] = frozenset()
    """Providers whose unverified callbacks the caller accepts (``--allow-unverified``)."""
    tally: Tally | None = attrs.field(default=None, repr=False)

    def _outcomes(self) -> Mapping[Outcome, int]:
        if self.tally is not None:
            return self.tally.outcomes
        return Counter(result.decision.outcome for result in self.results)

    def summary(self) -> dict[str, int]:
        counts = self._outcomes()
        return {"inputs": self.inputs, **{o.value: counts.get(o, 0) for o in Outcome},
                "internal_errors": len(self.internal_errors)}

    @property
    def unverified(self) -> dict[str, int]:
        """Callbacks the adapter decided ``unchecked`` (no secret to verify them), per
        provider. Recorded events (``{"event": …}``) are the recording's own word, not
        counted here; with secrets, an unchecked recorded callback is ``invalid``."""
        if self.tally is not None:
            return unverified_by_provider(itertools.chain.from_iterable(
                itertools.repeat(signed, n) for signed, n in self.tally.signed.items()))
        return unverified_by_provider(
            (r.decision.provider or "", r.channel, r.authenticity) for r in self.results
            if r.raw is not None)

    @property
    def unchecked_providers(self) -> frozenset[str]:
        """Providers with callbacks nobody verified."""
        return frozenset(self.unverified)

    @property
    def blocking_unverified(self) -> dict[str, int]:
        """Unverified callbacks of providers the caller did not allow: the run is not clean."""
        return {p: n for p, n in self.unverified.items() if p not in self.allowed_unverified}

    @property
    def needs_attention(self) -> bool:
        """Something rejected or invalid."""
        counts = self._outcomes()
        return bool(counts.get(Outcome.REJECTED) or counts.get(Outcome.INVALID))

    def warning_groups(self) -> ReasonGroups:
        """Every decision's warnings, grouped by what they say."""
        return self.tally.warnings if self.tally is not None else warning_groups(self.results)

    def objects(self) -> list[ObjectRecord]:
        """Objects this run wrote, by key, as they ended (not what the store held before)."""
        return list(self.written)

    @functools.cached_property
    def object_counts(self) -> dict[str, Counter[str]]:
        """Objects this run wrote per chart and canonical status, read once."""
        found: dict[str, Counter[str]] = {}
        for record in self.written:
            found.setdefault(record.chart, Counter())[self.canonical(record)] += 1
        return found

    def canonical(self, record: ObjectRecord) -> str:
        """An object's canonical status: its state's, refined by its ledger."""
        return refine(self.charts.named(record.chart).canonical[record.state],
                      record.ledger).value

    def orders(self) -> list[Order]:
        """The orders among the objects this run wrote (by merchant reference)."""
        return list(self.orders_by_reference())

    def orders_by_reference(self) -> Iterator[Order]:
        """The orders one at a time, by reference (each built when reached)."""
        written = self.written
        if isinstance(written, WrittenObjects):
            return iter_orders(written, written.fetch, self.canonical)
        by_key = {record.key: record for record in written}
        return iter_orders(by_key.values(), by_key.__getitem__, self.canonical)

    @functools.cached_property
    def order_summary(self) -> OrdersSummary:
        """The orders counted and their anomalies listed, built once, one order at a time."""
        return summarize(self.orders_by_reference())

    @functools.cached_property
    def internal_errors(self) -> tuple[InputResult, ...]:
        """The results paychart itself failed on (read once: results may be packed)."""
        return tuple(r for r in self.results if r.internal_error is not None)

    @property
    def order_anomalies(self) -> dict[str, int]:
        """How many orders show each anomaly (``orders.ANOMALIES``), only those found: a
        double charge in a recorded day is a finding, like a rejected input."""
        return {code: n for code, n in self.order_summary.anomalies.items() if n}

    @property
    def clean(self) -> bool:
        """Nothing rejected or invalid, no order anomaly, and every callback verified (or
        its provider allowed unverified): the exit status 0 of ``paychart validate``."""
        return (not self.needs_attention and not self.blocking_unverified
                and not self.order_anomalies)


def _result(record: Record, decision: Decision, raw: RawInput | None = None,
            internal: str | None = None, parsed: SignatureStatus | None = None
            ) -> InputResult:
    event = record.event
    source_at = event.received_at if event is not None else raw.received_at if raw else None
    channel = event.channel if event is not None else raw.channel if raw else None
    recorded = event.signature if event is not None else None
    return InputResult(record.line, decision, raw, recorded, source_at,
                       None if channel is None else channel.value, internal,
                       recorded if event is not None else parsed)


def _recorded_event_error(record: Record, secrets: Secrets) -> InputError | None:
    """A recorded event claims its own signature status: for a provider with secrets, an
    ``unchecked`` callback event is no more trusted than a raw one."""
    event = record.event
    if (event is None or event.provider not in secrets or event.channel is not Channel.CALLBACK
            or event.signature not in UNVERIFIED):
        return None
    return InputError("signature", "a recorded callback event that was never verified, "
                      f"although secrets for {event.provider} are configured",
                      provider=event.provider, object_kind=event.object_kind,
                      object_id=event.object_id)


class _Adapters(dict[str, Adapter]):
    """The run's adapters by provider: looked up once, not once per input."""

    def __missing__(self, provider: str) -> Adapter:
        adapter = self[provider] = get_adapter(provider)
        return adapter


def _decide(orchestrator: Orchestrator, record: Record, secrets: Secrets,
            adapters: Mapping[str, Adapter] | None = None) -> list[InputResult]:
    line = record.line
    if record.error is not None:
        return [_result(record, orchestrator.invalid(record.error, line=line))]
    if record.event is not None:
        refused = _recorded_event_error(record, secrets)
        if refused is not None:
            return [_result(record, orchestrator.invalid(refused, line=line))]
        return [_result(record, orchestrator.apply(record.event, line=line))]
    raw = record.raw
    assert raw is not None
    try:
        found = get_adapter(raw.provider) if adapters is None else adapters[raw.provider]
        adapter = Authenticated(found, required=raw.provider in secrets)
    except UnknownProviderError as exc:
        error = InputError("provider", str(exc), provider=raw.provider)
        return [_result(record, orchestrator.invalid(error, raw=raw, line=line), raw)]
    context = AdapterContext(secrets.for_provider(raw.provider),
                             orchestrator.remembered_for(raw.provider))
    decisions = orchestrator.ingest(raw, adapter, context, line=line)
    statuses: list[SignatureStatus | None] = [e.signature for e in adapter.events]
    if len(statuses) != len(decisions):  # the input was refused as a whole
        statuses = [None] * len(decisions)
    return [_result(record, decision, raw, adapter.defect, status)
            for decision, status in zip(decisions, statuses, strict=True)]


def _internal(orchestrator: Orchestrator, record: Record, where: str) -> InputResult:
    """The result of a line paychart failed on: journaled ``invalid`` if the store can."""
    raw = record.raw
    provider = raw.provider if raw is not None else record.event.provider if record.event else None
    error = InputError("line", f"internal error while deciding this input ({where})",
                       provider=provider)
    try:
        decision = orchestrator.invalid(error, raw=raw, line=record.line)
    except Exception as exc:  # the store is failing too: report the line unjournaled
        decision = Decision(Outcome.INVALID, f"{error.reason}; not journaled ({where_failed(exc)})",
                            provider=provider, field="line")
    return _result(record, decision, raw, where)


def check_options(charts: ChartSet, options: Iterable[str]) -> None:
    """``UnknownOptionError`` unless every option is declared by a loaded chart."""
    known = sorted({name for chart in charts for name in chart.spec.options})
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise UnknownOptionError(unknown, known)


def check_allowed_unverified(providers: Iterable[str]) -> frozenset[str]:
    """``UnknownProviderError`` for a name no adapter has: a typo must not go unnoticed."""
    allowed = frozenset(providers)
    known = available()
    for provider in sorted(allowed - set(known)):
        raise UnknownProviderError(provider, known)
    return allowed


def validate_records(records: Iterable[Record], *, charts: ChartSet | None = None,
                     secrets: Secrets | None = None, options: Iterable[str] = (),
                     store: Store | None = None, progress: Progress | None = None,
                     allow_unverified: Iterable[str] = (), report_only: bool = False
                     ) -> ValidationRun:
    """Decide every record in order; ``progress`` is called with the count of inputs done.
    ``UnknownOptionError`` when an option is declared by no chart; ``allow_unverified``
    names providers whose unverified callbacks still leave the run clean; ``report_only``
    keeps only the results a report lists (and a tally of all)."""
    charts = charts or ChartSet.bundled()
    options = list(options)
    check_options(charts, options)
    allowed = check_allowed_unverified(allow_unverified)
    observed = ObservedStore(store if store is not None else MemoryStore(), keys_only=report_only)
    orchestrator = Orchestrator(charts, observed, options=options)
    secrets = secrets or Secrets()
    results: list[InputResult] = []
    tallied = _Tallied() if report_only else None
    adapters = _Adapters()
    keep: Callable[[Iterable[InputResult]], None] = (
        results.extend if tallied is None else tallied)
    inputs = 0
    with orchestrator.store.batch():
        for record in records:
            try:
                decided = _decide(orchestrator, record, secrets, adapters)
            except Exception as exc:  # one hostile line must not end the run
                decided = [_internal(orchestrator, record, where_failed(exc))]
            keep(decided)
            inputs += 1
            if progress is not None:
                progress(inputs)
    written = observed.written()
    if tallied is not None:
        return ValidationRun(tallied.kept, orchestrator, inputs, charts, written,
                             allowed, tallied.tally())
    return ValidationRun(tuple(results), orchestrator, inputs, charts, written, allowed)


def validate_file(path: str | Path, *, charts: ChartSet | None = None,
                  secrets: Secrets | None = None, options: Iterable[str] = (),
                  store: Store | None = None, progress: Progress | None = None,
                  allow_unverified: Iterable[str] = (), report_only: bool = False
                  ) -> ValidationRun:
    """``validate_records`` over a JSONL file; ``OSError`` when it cannot be read."""
    return validate_records(read_records(path), charts=charts, secrets=secrets,
                            options=options, store=store, progress=progress,
                            allow_unverified=allow_unverified, report_only=report_only)
