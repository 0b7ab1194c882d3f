"""``paychart validate``: decide every recorded input and summarize what happened.

Runs the same orchestrator a backend embeds, over a store (memory by default, SQLite when
asked), so a day of production logs is judged exactly as live traffic would have been.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import attrs

from paychart.adapters import get_adapter

from .adapter import AdapterContext, RawInput
from .charts import ChartSet
from .decision import Decision, Outcome
from .errors import InputError, UnknownProviderError
from .event import SignatureStatus
from .inputs import Record, read_records
from .orchestrator import Orchestrator
from .record import ObjectRecord
from .secrets import Secrets
from .stores.base import Store

Progress = Callable[[int], None]


@attrs.frozen
class InputResult:
    """One decision about one recorded input (an input with two events has two results)."""

    line: int
    decision: Decision
    raw: RawInput | None = None
    signature: SignatureStatus | None = None


@attrs.frozen
class ValidationRun:
    """Every decision of a run, plus the orchestrator holding the objects it built."""

    results: tuple[InputResult, ...]
    orchestrator: Orchestrator
    inputs: int
    unchecked_providers: frozenset[str]

    def summary(self) -> dict[str, int]:
        counts = Counter(result.decision.outcome for result in self.results)
        return {"inputs": self.inputs, **{o.value: counts.get(o, 0) for o in Outcome}}

    def objects(self) -> list[ObjectRecord]:
        return sorted(self.orchestrator.store.objects(), key=lambda r: r.key)

    @property
    def clean(self) -> bool:
        """Nothing rejected or invalid: the exit status 0 of ``paychart validate``."""
        return not any(r.decision.outcome in (Outcome.REJECTED, Outcome.INVALID)
                       for r in self.results)


def _decide(orchestrator: Orchestrator, record: Record, secrets: Secrets,
            unchecked: set[str]) -> list[InputResult]:
    line = record.line
    if record.error is not None:
        return [InputResult(line, orchestrator.invalid(record.error, line=line))]
    if record.event is not None:
        return [InputResult(line, orchestrator.apply(record.event, line=line),
                            signature=record.event.signature)]
    raw = record.raw
    assert raw is not None
    try:
        adapter = get_adapter(raw.provider)
    except UnknownProviderError as exc:
        error = InputError("provider", str(exc), provider=raw.provider)
        return [InputResult(line, orchestrator.invalid(error, raw=raw, line=line), raw)]
    context = AdapterContext(secrets.for_provider(raw.provider),
                             orchestrator.remembered_for(raw.provider))
    if raw.provider not in secrets:
        unchecked.add(raw.provider)
    return [InputResult(line, decision, raw)
            for decision in orchestrator.ingest(raw, adapter, context, line=line)]


def validate_records(records: Iterable[Record], *, charts: ChartSet | None = None,
                     secrets: Secrets | None = None, options: Iterable[str] = (),
                     store: Store | None = None, progress: Progress | None = None
                     ) -> ValidationRun:
    """Decide every record in order; ``progress`` is called with the count of inputs done."""
    orchestrator = Orchestrator(charts or ChartSet.bundled(), store, options=options)
    secrets = secrets or Secrets()
    unchecked: set[str] = set()
    results: list[InputResult] = []
    inputs = 0
    with orchestrator.store.batch():
        for record in records:
            results += _decide(orchestrator, record, secrets, unchecked)
            inputs += 1
            if progress is not None:
                progress(inputs)
    return ValidationRun(tuple(results), orchestrator, inputs, frozenset(unchecked))


def validate_file(path: str | Path, **kwargs: object) -> ValidationRun:
    """``validate_records`` over a JSONL file; ``OSError`` when it cannot be read."""
    return validate_records(read_records(path), **kwargs)  # type: ignore[arg-type]
