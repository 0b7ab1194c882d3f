"""The ``paychart validate`` report: a page a person reads at a glance, or JSON for machines.

Built from the run's results alone (its decisions and the objects it wrote), never by asking
the orchestrator afterwards: a store holding earlier runs does not leak in. The text page
reads the kept results once and the written objects once per summary, listing one by one
only what a person must act on (rejected, invalid, orders with anomalies) and grouping the
rest by reason, so its size does not grow with a day's routine noise."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .decision import Decision, Outcome
from .money import Money
from .orders import OrdersSummary
from .reason_groups import ReasonGroups, generic_reason
from .serialize import to_json
from .validate import InputResult, ValidationRun

_NEED_ATTENTION = (Outcome.REJECTED, Outcome.INVALID)
_ROUTINE = (Outcome.STALE, Outcome.DUPLICATE)
"""Expected noise of at-least-once delivery: summarized by reason, not listed one by one."""


def _object_name(decision: Decision) -> str:
    parts = [decision.provider, decision.object_kind, decision.object_id]
    return " ".join(p for p in parts if p) or "(unidentified input)"


def _reason(decision: Decision) -> str:
    return f"{decision.field}: {decision.reason}" if decision.field else decision.reason


def _decision_json(result: InputResult) -> dict[str, Any]:
    d = result.decision
    return {"line": result.line, "outcome": d.outcome.value, "reason": d.reason,
            "provider": d.provider, "object": d.object_kind, "id": d.object_id,
            "from": d.from_state, "to": d.to_state, "field": d.field,
            "warnings": list(d.warnings)}


def unverified_json(run: ValidationRun) -> dict[str, Any]:
    """``{"total", "by_provider", "allowed"}``: callbacks nobody verified."""
    counts = run.unverified
    return {"total": sum(counts.values()), "by_provider": counts,
            "allowed": sorted(run.allowed_unverified)}


def verdict(run: ValidationRun) -> str:
    """``clean`` only when nothing needs attention, no order shows an anomaly and every
    callback was verified."""
    parts = []
    if run.needs_attention:
        parts.append("NEEDS ATTENTION (rejected or invalid inputs)")
    anomalies = run.order_anomalies
    if anomalies:
        shown = ", ".join(f"{code} {n}" for code, n in anomalies.items())
        parts.append(f"ORDER ANOMALIES ({sum(anomalies.values())}: {shown}; see orders)")
    blocking = run.blocking_unverified
    if blocking:
        shown = ", ".join(f"{p} {n}" for p, n in blocking.items())
        parts.append(f"UNVERIFIED ({sum(blocking.values())} callbacks decided with no "
                     f"signature check: {shown}; pass --secrets FILE, or --allow-unverified "
                     "PROVIDER to accept them)")
    return "; ".join(parts) or "clean"


_STREAMED = ("objects", "orders", "decisions")
"""The lists of ``as_json`` that grow with the day: ``json_text`` writes them item by item."""


def _json_parts(run: ValidationRun) -> dict[str, Any]:
    """``as_json``'s keys, the growing lists as iterators read once."""
    def objects() -> Iterator[dict[str, Any]]:
        for record in run.written:
            chart = run.charts.named(record.chart)
            yield {"provider": chart.provider, "object": chart.object_kind,
                   "id": record.object_id, "state": record.state,
                   "canonical": run.canonical(record), "ledger": to_json(record.ledger)}

    def orders() -> Iterator[dict[str, Any]]:
        """Anomalies first (``by_attention``): the flagged ones, then the rest by reference."""
        yield from (order.to_json() for order in run.order_summary.flagged)
        yield from (order.to_json() for order in run.orders_by_reference()
                    if not order.anomalies)

    summary: dict[str, Any] = {**run.summary(), "unverified": unverified_json(run),
                               "verdict": verdict(run)}
    return {"summary": summary, "objects": objects(), "orders": orders(),
            "decisions": (_decision_json(r) for r in run.results
                          if r.decision.outcome is not Outcome.APPLIED),
            "internal_errors": [{"line": r.line, "error": r.internal_error}
                                for r in run.internal_errors],
            "unchecked_signatures": sorted(run.unchecked_providers)}


def as_json(run: ValidationRun) -> dict[str, Any]:
    """``{"summary", "objects", "orders", "decisions", "internal_errors",
    "unchecked_signatures"}``; decisions lists every one not applied, objects those the run
    wrote, as they ended, orders those objects by merchant reference (anomalies first).
    ``summary.unverified`` counts callbacks nobody verified, in total and per provider."""
    return {key: list(value) if key in _STREAMED else value
            for key, value in _json_parts(run).items()}


def json_text(run: ValidationRun, extra: Mapping[str, Any] | None = None, *,
              ensure_ascii: bool = False) -> Iterator[str]:
    """``json.dumps({**as_json(run), **extra}, indent=2)``, the same text, a piece at a time:
    a day of a million inputs is written one object, order and decision at a time instead
    of building the whole document first."""
    def dumps(value: Any, depth: int) -> str:
        text = json.dumps(value, indent=2, ensure_ascii=ensure_ascii)
        return text.replace("\n", "\n" + "  " * depth)

    parts = {**_json_parts(run), **(extra or {})}
    for n, (key, value) in enumerate(parts.items()):
        yield ("{" if n == 0 else ",") + "\n  " + dumps(key, 1) + ": "
        if key not in _STREAMED:
            yield dumps(value, 1)
            continue
        opened = False
        for item in value:
            yield ("," if opened else "[") + "\n    " + dumps(item, 2)
            opened = True
        yield "\n  ]" if opened else "[]"
    yield "\n}\n" if parts else "{}\n"


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in rows]


def _orders_text(orders: OrdersSummary) -> list[str]:
    """Orders with anomalies one by one (what a person must act on), the rest counted."""
    if not orders.count:
        return []
    flagged = orders.flagged
    lines = [f"orders ({orders.count}), {len(flagged)} with anomalies:"]
    lines += _table([(order.reference, ", ".join(order.anomalies), order.status,
                      " + ".join(str(Money(t.captured, t.currency)) for t in order.totals)
                      + " captured",
                      " · ".join(f"{a.provider} {a.record.object_kind} {a.record.object_id} "
                                 f"{a.canonical}" for a in order.attempts))
                     for order in flagged])
    if orders.statuses:
        label = "the others by status" if flagged else "by status"
        lines.append(f"  {label}: " + " · ".join(f"{n} {status}"
                                                 for status, n in orders.statuses.items()))
    return [*lines, ""]


def _sorted_out(results: Sequence[InputResult]
                ) -> tuple[dict[Outcome, list[InputResult]], dict[Outcome, ReasonGroups]]:
    """One pass over the kept results: those listed one by one, the routine ones grouped."""
    listed: dict[Outcome, list[InputResult]] = {outcome: [] for outcome in _NEED_ATTENTION}
    grouped = {outcome: ReasonGroups() for outcome in _ROUTINE}
    for result in results:
        outcome = result.decision.outcome
        if outcome in listed:
            listed[outcome].append(result)
        elif outcome in grouped:
            grouped[outcome].add(generic_reason(_reason(result.decision)), result.line)
    return listed, grouped


def as_text(run: ValidationRun, source: str) -> str:
    """Headline, signature coverage, where objects ended, then every decision not applied."""
    summary = run.summary()
    counts = " · ".join(f"{summary[o.value]} {o.value}" for o in Outcome)
    if summary["internal_errors"]:
        counts += f" · {summary['internal_errors']} internal errors"
    lines = [f"paychart validate {source}", f"{summary['inputs']} inputs: {counts}",
             f"verdict: {verdict(run)}", ""]
    if run.unverified:
        shown = ", ".join(f"{p} {n}" + (" (allowed)" if p in run.allowed_unverified else "")
                          for p, n in run.unverified.items())
        lines += [f"callbacks NOT verified (no secret given): {shown}", ""]
    internal = run.internal_errors
    if internal:
        lines.append(f"INTERNAL ERRORS ({len(internal)}): paychart failed on these inputs "
                     "(each decided invalid; please report):")
        lines += _table([(f"line {r.line}", r.internal_error or "") for r in internal])
        lines.append("")
    lines += _orders_text(run.order_summary)
    by_chart = run.object_counts
    if by_chart:
        lines.append(f"objects ({sum(sum(c.values()) for c in by_chart.values())}), "
                     "by canonical status:")
        lines += _table([(chart, " · ".join(f"{n} {status}" for status, n in
                                              sorted(counts_.items(), key=lambda kv: -kv[1])))
                         for chart, counts_ in sorted(by_chart.items())])
        lines.append("")
    listed, grouped = _sorted_out(run.results)
    for outcome in _NEED_ATTENTION:
        results = listed[outcome]
        if results:
            lines.append(f"{outcome.value} ({len(results)}):")
            lines += _table([(f"line {r.line}", _object_name(r.decision), _reason(r.decision))
                             for r in results])
            lines.append("")
    for outcome in _ROUTINE:
        groups = grouped[outcome]
        if groups:
            lines.append(f"{outcome.value} ({groups.total}), by reason:")
            lines += _table(groups.rows())
            lines.append("")
    warnings = run.warning_groups()
    if warnings:
        lines.append(f"warnings ({warnings.total}), by reason:")
        lines += _table(warnings.rows())
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
