"""``paychart janitor``: what is waiting on a provider in a store, and the timers that fired.

It lists the status queries, timeouts and confirmations due at ``--now`` (the clock is an
argument so that a run is reproducible and testable); ``--fire-timers`` applies the due
timeouts through the normal decision path. It makes no provider call: a poller makes the
listed queries and feeds their answers back as ordinary ``poll`` inputs.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from ._cli_commands import _secrets, open_store, out, print_json
from .charts import ChartSet
from .decision import Outcome
from .due import Due, fire_timers, summary
from .exit import EXIT_FINDINGS, EXIT_OK, UsageError
from .orchestrator import Orchestrator
from .validate import check_options

HELP = "list the polls, timeouts and confirmations due in a store; fire the due timers"
EXAMPLES = ("  paychart janitor sqlite:prod.sqlite --now 2026-12-01T18:00:00Z\n"
            "  paychart janitor sqlite:prod.sqlite --now 2026-12-01T18:00:00Z --fire-timers "
            "--format json\n\n"
            'json: {"due": [{"provider", "object", "id", "state", "action" (poll|timer|'
            'confirm),\n  "operation", "attempt", "due_at"}], and with --fire-timers "fired": '
            '[{"id", "outcome",\n  "to_state", "reason"}]\n\n'
            "exit status: 0 listed (and fired), 1 a fired timer was rejected, 2 bad argument\n"
            "  or unreadable store\n")


def add_parser(p: argparse.ArgumentParser) -> None:
    """The janitor's arguments (``cli.py`` creates the subcommand and registers it)."""
    p.add_argument("store", metavar="sqlite:PATH", help="the store to look at")
    p.add_argument("--now", metavar="ISO", required=True,
                   help="the clock to judge by, ISO 8601 (a time without offset is UTC)")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text for people (default) or json for machines")
    p.add_argument("--fire-timers", action="store_true",
                   help="apply the due timeouts (channel timer, journaled, idempotent)")
    p.add_argument("--secrets", metavar="FILE",
                   help="secrets file as for validate; only checked (the janitor calls no "
                        "provider)")
    p.add_argument("--option", action="append", default=[], metavar="NAME",
                   help="enable an override option a chart declares (repeatable)")
    p.add_argument("--chart", action="append", default=[], metavar="PATH",
                   help="also load this chart spec file (repeatable)")
    p.set_defaults(func=cmd_janitor)


def _now(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--now {text!r} is not an ISO 8601 time "
                         "(as in 2026-12-01T18:00:00Z)") from None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _text(work: tuple[Due, ...]) -> str:
    if not work:
        return "nothing due\n"
    rows = [(w.action, w.provider, w.object_kind, w.object_id, w.state, w.operation,
             f"#{w.attempt}", "now" if w.due_at is None else w.due_at.isoformat())
            for w in work]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    counts = ", ".join(f"{n} {action}" for action, n in summary(work).items())
    return "\n".join(lines) + f"\n{len(work)} due: {counts}\n"


def cmd_janitor(args: argparse.Namespace) -> int:
    now = _now(args.now)
    _secrets(args.secrets)
    charts = ChartSet.bundled(args.chart)
    check_options(charts, args.option)
    open_store(args.store, existing=True).close()  # it must exist, even to fire timers
    store = open_store(args.store, existing=not args.fire_timers)
    try:
        orchestrator = Orchestrator(charts, store, options=args.option)
        work = orchestrator.due(now)
        fired = fire_timers(orchestrator, work, now) if args.fire_timers else ()
    finally:
        store.close()
    report: dict[str, Any] = {"due": [item.as_json() for item in work]}
    if args.fire_timers:
        report["fired"] = [{"id": item.object_id, "outcome": decision.outcome.value,
                            "to_state": decision.to_state, "reason": decision.reason}
                           for item, decision in fired]
    if args.format == "json":
        print_json(report)
    else:
        out(_text(work))
        for item, decision in fired:
            out(f"fired {item.operation} on {item.object_kind} {item.object_id}: "
                f"{decision.outcome.value} ({decision.reason})\n")
    refused = any(d.outcome in (Outcome.REJECTED, Outcome.INVALID) for _i, d in fired)
    return EXIT_FINDINGS if refused else EXIT_OK
