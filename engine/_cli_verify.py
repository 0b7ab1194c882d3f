"""``paychart verify STORE``: prove a store's journal is the one that was appended (hash
chain, payload digests, dedupe claims) and that it still decides to what is stored (replay)."""

from __future__ import annotations

import argparse
import re
from typing import Any

from ._cli_commands import open_store, out, print_json
from .chain import NOT_CHAINED
from .charts import ChartSet
from .exit import EXIT_FINDINGS, EXIT_OK, UsageError
from .replay import ReplayReport, replay

HELP = "check a store's hash chain, payload digests and dedupe claims, then replay it"
EXAMPLES = ("  paychart verify sqlite:day.sqlite\n"
            "  paychart verify sqlite:day.sqlite --head \"$RECORDED_HEAD\" --format json\n\n"
            "The chain shows that no entry was edited, inserted, reordered or deleted; it\n"
            "cannot show that entries were cut off the end, or that someone with write access\n"
            "recomputed the whole chain. Record the head it prints (or the audit pack's chain\n"
            "head) somewhere the database cannot reach, and give it later with --head.\n\n"
            "exit status: 0 verified, 1 findings (the first broken entry is named by seq),\n"
            "  2 no readable store or a bad argument\n")
_HEAD = re.compile(r"[0-9a-f]{64}")


def add_parser(p: argparse.ArgumentParser) -> None:
    p.add_argument("store", metavar="sqlite:PATH", help="the store to verify (read-only)")
    p.add_argument("--head", metavar="HASH",
                   help="a chain head recorded earlier (64 hex digits): it must still be in "
                        "the journal; the only check that catches a truncated tail")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text for people (default) or json for machines")
    p.add_argument("--chart", action="append", default=[], metavar="PATH",
                   help="also load this chart spec file (repeatable)")
    p.set_defaults(func=cmd_verify)


def _head(value: str | None) -> str | None:
    if value is None:
        return None
    head = value.strip().lower()
    if not _HEAD.fullmatch(head):
        raise UsageError(f"--head wants the 64 hex digits of a chain head, got {len(head)} "
                         "characters")
    return head


def _json(url: str, report: ReplayReport) -> dict[str, Any]:
    seq, chain = report.head if report.head is not None else (None, NOT_CHAINED)
    return {"store": url, "entries": report.entries, "replayed": report.replayed,
            "objects": report.objects, "head": {"seq": seq, "chain": chain},
            "chained_from": report.chained_from, "first_broken": report.first_broken,
            "findings": [{"seq": f.seq, "check": f.check, "reason": f.reason}
                         for f in report.findings]}


def _text(url: str, report: ReplayReport) -> str:
    lines = [f"{url}: {report.entries} journal entries, {report.replayed} events replayed, "
             f"{report.objects} objects"]
    if report.head is None:
        lines.append(f"head: {NOT_CHAINED}")
    else:
        lines.append(f"head: entry #{report.head[0]} chain {report.head[1]}")
    if report.chained_from is not None and report.chained_from > 1:
        lines.append(f"chained from seq {report.chained_from} (entries before it were chained "
                     "when the store was migrated to schema v4: the chain proves nothing about "
                     "edits made to them before then)")
    if report.ok:
        lines.append("verified: chain, payload digests and dedupe claims hold, and replay "
                     "reproduces every decision and object")
    else:
        first = report.first_broken
        count = len(report.findings)
        lines.append(f"{count} finding{'' if count == 1 else 's'}"
                     + (f" (first broken entry: #{first})" if first is not None else "") + ":")
        lines += [f"  - [{f.check}] {f}" for f in report.findings]
    return "\n".join(lines) + "\n"


def cmd_verify(args: argparse.Namespace) -> int:
    head = _head(args.head)
    charts = ChartSet.bundled(args.chart)
    store = open_store(args.store, existing=True)
    try:
        report = replay(store, charts, head=head)
    finally:
        store.close()
    if args.format == "json":
        print_json(_json(args.store, report))
    else:
        out(_text(args.store, report))
    return EXIT_OK if report.ok else EXIT_FINDINGS
