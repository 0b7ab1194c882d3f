"""What each ``paychart`` subcommand does: read its arguments, call the library, print, and
return an exit status. Bad arguments raise ``UsageError``; ``cli.main`` turns every error into
one line on stderr."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .adapter import AdapterContext, RawInput
from .charts import ChartSet
from .checks import unwatched_warnings
from .errors import SpecError, StoreError, UnknownChartError
from .event import Channel
from .exit import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, UsageError
from .ledger import refine
from .loader import bundled_spec_texts, load_spec, parse_spec
from .record import ObjectRecord
from .secrets import Secrets
from .serialize import to_json
from .stores.base import Store

if TYPE_CHECKING:
    from .validate import ValidationRun

STORE_SCHEMES = ("sqlite:PATH", "memory:", "postgresql://USER@HOST:PORT/DB")


def out(text: str) -> None:
    sys.stdout.write(text)


def err(line: str) -> None:
    sys.stderr.write(line + "\n")


def json_ascii() -> bool:
    """Whether JSON on stdout must be escaped to ASCII: stdout cannot encode everything
    (JSON says the same either way)."""
    encoding = (getattr(sys.stdout, "encoding", None) or "utf-8").lower().replace("-", "")
    return not encoding.startswith("utf")


def print_json(data: Any) -> None:
    """JSON on stdout (``json_ascii``)."""
    out(json.dumps(data, indent=2, ensure_ascii=json_ascii()) + "\n")


def _secrets(path: str | None) -> Secrets:
    return Secrets.load(path) if path else Secrets()


def open_store(url: str, *, existing: bool = False) -> Store:
    """A store from ``sqlite:PATH`` or ``memory:``, checked to be one; ``existing`` refuses
    to create a new file and opens it read-only (``replay``, ``objects`` read a store that
    must be there, and never write to it)."""
    from .stores.memory import MemoryStore
    from .stores.sqlite import SQLiteStore

    if url.startswith(("postgresql://", "postgres://")):
        from ._cli_migrate import open_postgres
        return open_postgres(url, existing=existing)
    if url in ("memory", "memory:"):
        if existing:
            raise UsageError("a memory: store is empty when opened; give sqlite:PATH")
        return MemoryStore()
    if not url.startswith("sqlite:"):
        raise UsageError(f"unknown store {url!r}: give one of {', '.join(STORE_SCHEMES)}")
    path = Path(url.removeprefix("sqlite:"))
    if not str(path):
        raise UsageError("sqlite: needs a file path, as in sqlite:payments.sqlite")
    if not path.parent.is_dir():
        raise UsageError(f"cannot open store {path}: folder {path.parent} does not exist")
    if path.is_dir():
        raise UsageError(f"cannot open store {path}: it is a folder")
    if existing and not path.is_file():
        raise UsageError(f"no store at {path}")
    try:
        store = SQLiteStore(path, read_only=existing)
        store.get("")  # reads the objects table: a damaged file fails here, not mid-run
    except (sqlite3.Error, StoreError) as exc:
        raise UsageError(f"{path} is not a usable SQLite store ({exc})") from None
    return store


# -- charts / check -------------------------------------------------------------------------

def cmd_charts(args: argparse.Namespace) -> int:
    charts = sorted(ChartSet.bundled(args.chart), key=lambda c: c.name)
    rows = [{"name": c.name, "provider": c.provider, "object": c.object_kind,
             "states": len(c.spec.states), "transitions": len(c.spec.transitions),
             "parent": c.spec.parent, "options": sorted(c.spec.options)} for c in charts]
    if args.format == "json":
        print_json(rows)
        return EXIT_OK
    if not rows:
        out("no charts loaded\n")
        return EXIT_OK
    width = max(len(c.name) for c in charts)
    for r in rows:
        parent = f"  (child of {r['parent']})" if r["parent"] else ""
        out(f"{r['name']:<{width}}  {r['provider']}/{r['object']}: {r['states']} states, "
            f"{r['transitions']} transitions{parent}\n")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    status = EXIT_OK
    targets: list[tuple[str, str | None]] = [(p, None) for p in args.paths] or [
        (f"specs/{name}", text) for name, text in bundled_spec_texts()]
    for name, text in targets:
        try:
            spec = load_spec(name) if text is None else parse_spec(text, name)
        except SpecError as exc:
            status = EXIT_FINDINGS
            out(f"{exc.file}:\n" + "".join(f"  - {finding}\n" for finding in exc.findings))
            continue
        out(f"{name}: ok\n" + "".join(f"  warning: {w}\n" for w in unwatched_warnings(spec)))
    return status


# -- parse ----------------------------------------------------------------------------------

def _headers(values: Sequence[str]) -> dict[str, str]:
    headers = {}
    for value in values:
        name, sep, content = value.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"--header wants NAME:VALUE, got {value!r}")
        headers[name.strip()] = content.strip()
    return headers


def cmd_parse(args: argparse.Namespace) -> int:
    from paychart.adapters import get_adapter

    adapter = get_adapter(args.provider)
    headers = _headers(args.header)
    secrets = _secrets(args.secrets).for_provider(args.provider)
    body = Path(args.file).read_bytes()
    raw = RawInput(args.provider, Channel(args.channel), body, headers, ref=args.ref,
                   operation=args.operation)
    result = adapter.parse(raw, AdapterContext(secrets))
    if result.error is not None:
        print_json({"invalid": {"field": result.error.field, "reason": result.error.reason}})
        if result.defect is not None:
            err(f"paychart parse: internal error: {result.defect} (please report it)")
            return EXIT_INTERNAL
        return EXIT_FINDINGS
    print_json({"events": [to_json(e) for e in result.events], "reply": result.reply})
    return EXIT_OK


# -- validate / audit -----------------------------------------------------------------------

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


def _run_status(run: ValidationRun) -> int:
    if run.internal_errors:
        return EXIT_INTERNAL
    return EXIT_OK if run.clean else EXIT_FINDINGS


def _read_nothing(file: str) -> UsageError:
    return UsageError(f"{file} holds no input: nothing was read, so nothing was decided")


def cmd_validate(args: argparse.Namespace) -> int:
    from . import expect
    from .inputs import read_records
    from .report import as_text, json_text
    from .validate import check_allowed_unverified, check_options, validate_records

    charts = ChartSet.bundled(args.chart)
    check_options(charts, args.option)
    check_allowed_unverified(args.allow_unverified)
    secrets = _secrets(args.secrets)
    wanted = expect.load_expect(args.expect) if args.expect else None
    records = read_records(args.file)
    store = open_store(args.store) if args.store else None
    progress = _Progress(sys.stderr)
    try:
        # Without --expect the report is all that is printed: keep only what it lists
        # (expect.check reads every line's outcome).
        run = validate_records(records, charts=charts, secrets=secrets, options=args.option,
                               store=store, progress=progress,
                               allow_unverified=args.allow_unverified,
                               report_only=wanted is None)
        progress.finish()
        if run.inputs == 0:
            raise _read_nothing(args.file)
        # The report reads the objects the run wrote back from the store: before it closes.
        met = expect.check(run, wanted) if wanted is not None else None
        if args.format == "json":
            extra = {"expectations": met.as_json()} if met else None
            for piece in json_text(run, extra, ensure_ascii=json_ascii()):
                out(piece)
        else:
            out(as_text(run, args.file) + (f"{met.text_line()}\n" if met else ""))
    finally:
        progress.finish()
        if store is not None:
            store.close()
    for result in run.internal_errors:
        err(f"paychart validate: internal error on line {result.line}: "
            f"{result.internal_error}")
    return _run_status(run) if met is None else met.status(_run_status(run))


def cmd_audit(args: argparse.Namespace) -> int:
    from .audit import Window, audit_source, write_input
    from .report import verdict
    from .validate import check_options

    window = Window.parse(args.since, args.until)
    store = args.file.startswith("sqlite:")
    if store and (args.secrets or args.option):
        raise UsageError("a store's journal is audited as decided: --secrets and --option "
                         "apply to recordings only")
    charts = ChartSet.bundled(args.chart)
    check_options(charts, args.option)
    progress = _Progress(sys.stderr)
    try:
        audited = audit_source(args.file, charts=charts, secrets=_secrets(args.secrets),
                               options=args.option, window=window, chart_files=args.chart,
                               progress=progress, allow_unverified=args.allow_unverified)
    finally:
        progress.finish()
    run = audited.run
    if run.inputs == 0 and not store and window == Window():
        raise _read_nothing(args.file)

    def say(message: str) -> None:
        if progress.enabled:
            sys.stderr.write(f"\r\033[K{message}")
            sys.stderr.flush()

    pages = write_input(audited, args.out, say=say)
    progress.finish()
    summary = run.summary()
    more = f" (+{len(pages) - 1} object pages)" if len(pages) > 1 else ""
    out(f"wrote {pages[0]}{more}: {summary['inputs']} inputs, "
        + ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in list(summary.items())[1:])
        + f"\nverdict: {verdict(run)}\n")
    return _run_status(run)


# -- replay / objects -----------------------------------------------------------------------

def cmd_replay(args: argparse.Namespace) -> int:
    from .replay import replay

    charts = ChartSet.bundled(args.chart)
    store = open_store(args.store, existing=True)
    try:
        report = replay(store, charts)
    finally:
        store.close()
    if args.format == "json":
        print_json({"entries": report.entries, "objects": report.objects,
                    "differences": list(report.differences)})
    else:
        out(f"{report.entries} journal entries, {report.replayed} events replayed, "
            f"{report.objects} objects\n")
        if report.ok:
            out("replay matches the store: every object and decision reproduced\n")
        else:
            out(f"{len(report.differences)} differences:\n"
                + "".join(f"  - {d}\n" for d in report.differences))
    return EXIT_OK if report.ok else EXIT_FINDINGS


def object_row(record: ObjectRecord, charts: ChartSet) -> dict[str, Any]:
    """One stored object as ``paychart objects`` shows it; a chart no longer loaded still
    shows provider, kind and id (from the key), without a canonical status."""
    provider, kind, object_id = record.key.split("/", 2)
    canonical = None
    try:
        chart = charts.named(record.chart)
    except UnknownChartError:
        chart = None
    if chart is not None and record.state in chart.canonical:
        canonical = refine(chart.canonical[record.state], record.ledger).value
    return {"provider": provider, "object": kind, "id": object_id, "chart": record.chart,
            "state": record.state, "canonical": canonical, "ledger": to_json(record.ledger)}


def cmd_objects(args: argparse.Namespace) -> int:
    charts = ChartSet.bundled(args.chart)
    if args.order is not None:
        return _order(args, charts)
    store = open_store(args.store, existing=True)
    try:
        records = sorted(store.objects(), key=lambda r: r.key)
        rows = [(object_row(record, charts), record.ledger.describe()) for record in records]
    finally:
        store.close()
    if args.format == "json":
        print_json([row for row, _ledger in rows])
        return EXIT_OK
    if not rows:
        out("no objects in the store\n")
        return EXIT_OK
    table = [(r["provider"], r["object"], r["id"], r["state"], r["canonical"] or "?", ledger)
             for r, ledger in rows]
    widths = [max(len(row[i]) for row in table) for i in range(5)]
    for row in table:
        out("  ".join(cell.ljust(w) for cell, w in zip(row[:5], widths, strict=True))
            + f"  {row[5]}\n")
    return EXIT_OK


def _order(args: argparse.Namespace, charts: ChartSet) -> int:
    from ._cli_order import find_order, order_status, order_text

    store = open_store(args.store, existing=True)
    try:
        order = find_order(store, charts, args.order)
    finally:
        store.close()
    if order is None:
        err(f"paychart objects: no object keeps the merchant reference {args.order!r}")
    elif args.format == "json":
        print_json(order.to_json())
    else:
        out(order_text(order))
    return order_status(order)


# -- diagram --------------------------------------------------------------------------------

def cmd_diagram(args: argparse.Namespace) -> int:
    from .diagrams import NoSuchObjectError, render, select_charts, write_pack

    charts = ChartSet.bundled(args.chart)
    selected = select_charts(charts, args.charts)
    if args.trace:
        if not args.object:
            raise UsageError("--trace needs --object ID")
        try:
            return _trace(args, charts, selected[0].name if args.charts else None)
        except NoSuchObjectError as exc:
            err(f"paychart diagram: {exc} {args.trace}")
            return EXIT_FINDINGS
    if args.object:
        raise UsageError("--object needs --trace FILE.jsonl")
    fmt = args.format or "mermaid"
    if args.out:
        skipped = write_pack(selected, args.out)
        if skipped:
            err(f"paychart diagram: SVG skipped: {skipped}")
        out(f"wrote {len(selected)} charts and README.md to {args.out}\n")
        return EXIT_OK
    out("\n".join(render(chart, fmt) for chart in selected))
    return EXIT_OK


def _trace(args: argparse.Namespace, charts: ChartSet, chart_name: str | None) -> int:
    from .diagrams import render, trace, trace_stem, write_trace
    from .validate import validate_file

    run = validate_file(args.trace, charts=charts, secrets=_secrets(args.secrets),
                        options=args.option)
    trail = trace(run, args.object, chart_name)
    if not args.out:
        out(render(trail.chart, args.format or "mermaid", trail.highlight))
        return EXIT_OK
    stem = trace_stem(trail)
    skipped = write_trace(trail.chart, trail.highlight, args.out, stem)
    if skipped:
        err(f"paychart diagram: SVG skipped: {skipped}")
    out(f"wrote {Path(args.out) / stem}.{{mmd,dot{'' if skipped else ',svg'}}}\n")
    return EXIT_OK
