"""The audit page's content, computed once for the templates: verification per provider,
the exceptions an auditor must read, routine outcomes by count, and objects grouped by the
path they took (each distinct path is drawn once, not once per object)."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

import attrs

from ._audit_source import AuditInput
from ._audit_trace import Row, Trail, rows_of, trails
from ._diagram_render import Highlight, Step
from .decision import Outcome
from .event import SignatureStatus
from .orders import Order, by_attention
from .reason_groups import without_figures
from .validate import ValidationRun

ROUTINE = (Outcome.DUPLICATE, Outcome.STALE)
"""Outcomes a healthy day has by the hundred: summarized by reason, not listed."""


@attrs.frozen
class Verification:
    provider: str
    verified: int = 0
    unchecked: int = 0
    invalid: int = 0
    secrets: bool = False


@attrs.frozen
class Finding:
    """One exception: what kind, its row, and why it matters."""

    kind: str
    row: Row
    reason: str


@attrs.frozen
class PathGroup:
    """Objects of one chart that took the same steps and ended in the same state."""

    anchor: str
    trails: tuple[Trail, ...]
    highlight: Highlight

    @property
    def chart(self) -> str:
        return self.trails[0].chart.name


@attrs.frozen
class AuditModel:
    source: AuditInput
    rows: tuple[Row, ...]
    trails: tuple[Trail, ...]
    verification: tuple[Verification, ...]
    findings: tuple[Finding, ...]
    unverified: tuple[tuple[str, int, str], ...]
    """(provider, count, why) for callbacks whose signature nobody checked."""
    routine: tuple[tuple[str, str, int], ...]
    """(outcome, reason with ids and figures blanked, count), most frequent first."""
    groups: tuple[PathGroup, ...]
    group_of: dict[str, str]
    """Object key → anchor of its path group."""
    orders: tuple[Order, ...] = ()
    """The run's orders by merchant reference, those with anomalies first."""

    @property
    def run(self) -> ValidationRun:
        return self.source.run


def anchor(key: str) -> str:
    return "obj-" + re.sub(r"[^A-Za-z0-9_-]", "-", key)


def _verification(run: ValidationRun, rows: Sequence[Row], secret_tables: Sequence[str]
                  ) -> tuple[Verification, ...]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        provider = row.decision.provider
        if provider is None:
            continue
        if row.decision.field == "signature" or row.signature == SignatureStatus.INVALID:
            counts[provider]["invalid"] += 1
        elif row.signature == SignatureStatus.VALID:
            counts[provider]["verified"] += 1
        else:
            counts[provider]["unchecked"] += 1
    return tuple(Verification(p, c["verified"], c["unchecked"], c["invalid"],
                              p in secret_tables and p not in run.unchecked_providers)
                 for p, c in sorted(counts.items()))


def _findings(rows: Sequence[Row], run: ValidationRun) -> list[Finding]:
    internal = {r.line: r.internal_error for r in run.internal_errors}
    found = []
    for row in rows:
        d = row.decision
        if row.line in internal and d.outcome is Outcome.INVALID:
            found.append(Finding("internal error", row, f"paychart failed: {internal[row.line]}"))
        elif d.outcome in (Outcome.REJECTED, Outcome.INVALID):
            why = f"field {d.field}: {d.reason}" if d.field else d.reason
            found.append(Finding(d.outcome.value, row, why))
        elif d.warnings and d.outcome not in ROUTINE:
            found.append(Finding("warning", row, "; ".join(d.warnings)))
    return found


def _unverified(rows: Sequence[Row], verification: Sequence[Verification]
                ) -> tuple[tuple[str, int, str], ...]:
    callbacks = Counter(r.decision.provider for r in rows
                        if r.channel == "callback" and r.signature == SignatureStatus.UNCHECKED
                        and r.decision.provider)
    checked = {v.provider for v in verification if v.secrets}
    return tuple((p, n, "its signature scheme was not checked although secrets were given"
                  if p in checked else "no secrets table for this provider was given")
                 for p, n in sorted(callbacks.items()) if p is not None)


def _routine(rows: Sequence[Row]) -> tuple[tuple[str, str, int], ...]:
    counts = Counter((r.decision.outcome.value, without_figures(r.decision.reason))
                     for r in rows if r.decision.outcome in ROUTINE)
    return tuple((outcome, reason, n) for (outcome, reason), n in counts.most_common())


def _path_key(trail: Trail) -> tuple[object, ...]:
    steps = tuple((s.origin, s.target, s.trigger, s.history_unknown, bool(s.note))
                  for s in trail.highlight.steps)
    return (trail.chart.name, steps, trail.record.state)


def _groups(found: Sequence[Trail]) -> tuple[tuple[PathGroup, ...], dict[str, str]]:
    by_path: dict[tuple[object, ...], list[Trail]] = defaultdict(list)
    for trail in found:
        by_path[_path_key(trail)].append(trail)
    ordered = sorted(by_path.values(), key=lambda ts: (ts[0].chart.name, -len(ts)))
    groups, group_of = [], {}
    for number, members in enumerate(ordered, 1):
        first = members[0]
        steps = tuple(Step(s.number, s.origin, s.target, s.trigger, s.history_unknown,
                           "by a child" if s.note else "") for s in first.highlight.steps)
        title = (f"path {number} of {first.chart.name}: {len(members)} object"
                 f"{'' if len(members) == 1 else 's'} ending in {first.record.state}")
        group = PathGroup(f"path-{number}", tuple(members),
                          Highlight(steps, first.record.state, title))
        groups.append(group)
        for trail in members:
            group_of[trail.key] = group.anchor
    return tuple(groups), group_of


def build(source: AuditInput) -> AuditModel:
    run = source.run
    rows = tuple(attrs.evolve(row, amount=amount)
                 for row, amount in zip(rows_of(run), source.amounts, strict=True))
    found = tuple(trails(run, rows))
    verification = _verification(run, rows, source.provenance.secrets_tables)
    groups, group_of = _groups(found)
    return AuditModel(source, rows, found, verification, tuple(_findings(rows, run)),
                      _unverified(rows, verification), _routine(rows), groups, group_of,
                      tuple(by_attention(run.orders())))
