"""The ``paychart`` command: list and check charts, parse one input, validate recordings,
replay a store, draw diagrams and write the audit pack.

Exit status: 0 success/clean, 1 findings (invalid spec, rejected or invalid inputs, replay
differences), 2 the input could not be read or the command was used wrongly.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from .adapter import AdapterContext, RawInput
from .charts import ChartSet
from .errors import PaychartError, SpecError
from .event import Channel
from .loader import bundled_spec_texts, load_spec, parse_spec
from .secrets import Secrets
from .serialize import to_json

EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2


def _print_json(data: Any, out: TextIO) -> None:
    json.dump(data, out, indent=2, ensure_ascii=False)
    out.write("\n")


def _secrets(path: str | None) -> Secrets:
    return Secrets.load(path) if path else Secrets()


# -- charts / check ---------------------------------------------------------------------------

def cmd_charts(args: argparse.Namespace) -> int:
    charts = ChartSet.bundled()
    rows = [{"name": c.name, "provider": c.provider, "object": c.object_kind,
             "states": len(c.spec.states), "transitions": len(c.spec.transitions),
             "parent": c.spec.parent} for c in sorted(charts, key=lambda c: c.name)]
    if args.format == "json":
        _print_json(rows, sys.stdout)
        return EXIT_OK
    if not rows:
        print("no charts bundled")
        return EXIT_OK
    width = max(len(c.name) for c in charts)
    for r in rows:
        parent = f"  (child of {r['parent']})" if r["parent"] else ""
        print(f"{r['name']:<{width}}  {r['provider']}/{r['object']}: {r['states']} states, "
              f"{r['transitions']} transitions{parent}")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    status = EXIT_OK
    targets: list[tuple[str, str | None]] = [(p, None) for p in args.paths] or [
        (f"specs/{name}", text) for name, text in bundled_spec_texts()]
    if not targets:
        print("no chart to check")
        return EXIT_FINDINGS
    for name, text in targets:
        try:
            if text is None:
                load_spec(name)
            else:
                parse_spec(text, name)
        except SpecError as exc:
            status = EXIT_FINDINGS
            print(f"{exc.file}:")
            for finding in exc.findings:
                print(f"  - {finding}")
            continue
        print(f"{name}: ok")
    return status


# -- parse ------------------------------------------------------------------------------------

def _headers(values: Sequence[str]) -> dict[str, str]:
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise argparse.ArgumentTypeError(f"--header wants NAME:VALUE, got {value!r}")
        headers[name.strip()] = content.strip()
    return headers


def cmd_parse(args: argparse.Namespace) -> int:
    from paychart.adapters import get_adapter

    body = Path(args.file).read_bytes()
    raw = RawInput(args.provider, Channel(args.channel), body, _headers(args.header),
                   ref=args.ref, operation=args.operation)
    adapter = get_adapter(args.provider)
    result = adapter.parse(raw, AdapterContext(_secrets(args.secrets).for_provider(
        args.provider)))
    if result.error is not None:
        _print_json({"invalid": {"field": result.error.field, "reason": result.error.reason}},
                    sys.stdout)
        return EXIT_FINDINGS
    _print_json({"events": [to_json(e) for e in result.events], "reply": result.reply},
                sys.stdout)
    return EXIT_OK


# -- validate / replay ------------------------------------------------------------------------

class _Progress:
    """A one-line counter on a terminal, silent when stderr is a pipe or a file."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.enabled = stream.isatty()

    def __call__(self, done: int) -> None:
        if self.enabled and done % 500 == 0:
            self.stream.write(f"\r{done} inputs decided…")
            self.stream.flush()

    def finish(self) -> None:
        if self.enabled:
            self.stream.write("\r\033[K")


def cmd_validate(args: argparse.Namespace) -> int:
    from .inputs import read_records
    from .report import as_json, as_text
    from .stores.base import open_store
    from .validate import validate_records

    try:
        with open(args.file, encoding="utf-8"):
            pass
    except OSError as exc:
        print(f"paychart validate: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_UNREADABLE
    store = open_store(args.store) if args.store else None
    progress = _Progress(sys.stderr)
    try:
        run = validate_records(read_records(args.file), charts=ChartSet.bundled(args.chart),
                               secrets=_secrets(args.secrets), options=args.option,
                               store=store, progress=progress)
        progress.finish()
        if args.format == "json":
            _print_json(as_json(run), sys.stdout)
        else:
            sys.stdout.write(as_text(run, args.file))
    except UnicodeDecodeError:
        progress.finish()
        print(f"paychart validate: {args.file} is not UTF-8 text", file=sys.stderr)
        return EXIT_UNREADABLE
    finally:
        if store is not None:
            store.close()
    return EXIT_OK if run.clean else EXIT_FINDINGS


def cmd_replay(args: argparse.Namespace) -> int:
    from .replay import replay
    from .stores.base import open_store

    if not args.store.startswith("sqlite:"):
        print("paychart replay: give a durable store, sqlite:PATH", file=sys.stderr)
        return EXIT_UNREADABLE
    path = args.store.removeprefix("sqlite:")
    if not Path(path).is_file():
        print(f"paychart replay: no store at {path}", file=sys.stderr)
        return EXIT_UNREADABLE
    store = open_store(args.store)
    try:
        report = replay(store, ChartSet.bundled(args.chart))
    finally:
        store.close()
    print(f"{report.entries} journal entries, {report.replayed} events replayed, "
          f"{report.objects} objects")
    if report.ok:
        print("replay matches the store: every object and decision reproduced")
        return EXIT_OK
    print(f"{len(report.differences)} differences:")
    for difference in report.differences:
        print(f"  - {difference}")
    return EXIT_FINDINGS


# -- diagrams / audit (implemented in their own modules) --------------------------------------

def cmd_diagram(args: argparse.Namespace) -> int:
    from .diagrams import run_diagram

    return run_diagram(args)


def cmd_audit(args: argparse.Namespace) -> int:
    from .audit import run_audit

    return run_audit(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="paychart",
        description="Decide what payment-provider callbacks, responses and polls mean, "
                    "against declarative state charts.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("charts", help="list the bundled charts")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(func=cmd_charts)

    p = sub.add_parser("check", help="check chart spec files (default: the bundled ones)")
    p.add_argument("paths", nargs="*", metavar="PATH")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("parse", help="print the normalized event(s) of one raw input")
    p.add_argument("provider")
    p.add_argument("file", help="the raw body exactly as received")
    p.add_argument("--channel", choices=[c.value for c in Channel], default="callback")
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE")
    p.add_argument("--secrets", metavar="FILE")
    p.add_argument("--ref", metavar="ID", help="provider object id when the body lacks it")
    p.add_argument("--operation", metavar="OP", help="merchant call a response answers")
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("validate", help="decide every input of a JSONL recording and report")
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument("--secrets", metavar="FILE")
    p.add_argument("--store", metavar="sqlite:PATH", help="keep the journal in a SQLite file")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.add_argument("--option", action="append", default=[], metavar="NAME",
                   help="enable an override option (repeatable)")
    p.add_argument("--chart", action="append", default=[], metavar="PATH",
                   help="also load this chart spec (repeatable)")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("replay", help="rebuild every object from a store's journal and compare")
    p.add_argument("store", metavar="sqlite:PATH")
    p.add_argument("--chart", action="append", default=[], metavar="PATH",
                   help="also load this chart spec (repeatable)")
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("diagram", help="draw charts (Mermaid, DOT, SVG) or one object's path")
    p.add_argument("charts", nargs="*", metavar="CHART")
    p.add_argument("--format", choices=("mermaid", "dot"))
    p.add_argument("--out", metavar="DIR")
    p.add_argument("--trace", metavar="FILE.jsonl")
    p.add_argument("--object", metavar="ID")
    p.add_argument("--secrets", metavar="FILE")
    p.add_argument("--option", action="append", default=[], metavar="NAME")
    p.add_argument("--chart", action="append", default=[], metavar="PATH",
                   help="also load this chart spec (repeatable)")
    p.set_defaults(func=cmd_diagram)

    p = sub.add_parser("audit", help="write a self-contained HTML audit of a recording")
    p.add_argument("file", metavar="FILE.jsonl")
    p.add_argument("--secrets", metavar="FILE")
    p.add_argument("--option", action="append", default=[], metavar="NAME")
    p.add_argument("--out", metavar="DIR", required=True)
    p.add_argument("--chart", action="append", default=[], metavar="PATH",
                   help="also load this chart spec (repeatable)")
    p.set_defaults(func=cmd_audit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        status: int = args.func(args)
    except BrokenPipeError:  # output piped into `head`: not an error of ours
        sys.stderr.close()
        return EXIT_OK
    except OSError as exc:
        print(f"paychart {args.command}: {exc.filename or ''}: {exc.strerror}", file=sys.stderr)
        return EXIT_UNREADABLE
    except (PaychartError, argparse.ArgumentTypeError) as exc:
        print(f"paychart {args.command}: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    return status


if __name__ == "__main__":
    sys.exit(main())
