"""``paychart validate`` on simulated signed traffic, against its parse-and-verify floor.

Traffic comes from ``paychart.simulate`` (signed as each provider signs it, with its planted
duplicates, late, forged and over-refund messages), CARDLINK and PLATFORM by default, written
once as JSONL in chunks of ``--families`` families per provider, each chunk a simulated day
after the one before; a size of N records is the first N lines. For every size, three child
processes read the same lines:

- floor: read each record and let its adapter parse and verify it (``adapter.parse`` with the
  provider's secrets and nothing remembered), nothing decided, nothing journaled;
- memory: ``validate_records`` on the memory store, then the text report;
- sqlite: the same on a fresh ``SQLiteStore`` file (WAL, ``synchronous=FULL``), store closed.

Each child's peak RSS is its own (``os.wait4``), so one run does not inherit the last one's.
A fourth child (``--traced N`` records, default 20k) runs the memory store under tracemalloc
and prints what each part retains per object and per journal entry on this real traffic.
Run from anywhere: ``python benchmarks/bench_validate.py`` (10k and 100k records; ``--full``
adds 1M, ``--profile`` appends a cProfile of the memory run at the largest size). Targets are
issue 18's, informational: the script always exits 0. See ``benchmarks/README.md``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import itertools
import json
import os
import platform
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
SIZES = (10_000, 100_000)
FULL_SIZE = 1_000_000
PROVIDERS = ("cardlink", "platform")
SEED = 18
FAMILIES = 500
"""Families per provider in one chunk (a simulated day): about 5k records for the two."""

TARGET_MEMORY = 0.25
TARGET_SQLITE = 0.15
TARGET_GROWTH = 1.2
TARGET_RSS_MEMORY = 1 << 30
TARGET_RSS_SQLITE = 300 << 20
TARGET_SQLITE_BYTES = 800
MODES = ("floor", "memory", "sqlite")
TRACED = 20_000
"""Records of the traced run (memory per part): tracemalloc slows a run several times."""
TARGET_PER_OBJECT = 512
TARGET_PER_ENTRY = 600


# -- traffic -----------------------------------------------------------------------------------

def secrets_file(directory: Path) -> Path:
    """The adapter fixtures' test secrets (PayLink's with its test-only private key)."""
    sys.path.insert(0, str(REPO_ROOT))
    from tests.simulate.support import secrets_toml

    path = directory / "secrets.toml"
    path.write_text(secrets_toml(), encoding="utf-8")
    return path


def traffic(directory: Path, secrets: Path, providers: Sequence[str], lines: int,
            seed: int, families: int) -> Path:
    """A JSONL file of at least ``lines`` records, extended in whole chunks and reused when
    the same ``--data`` folder already holds enough (a sidecar counts what is there)."""
    from paychart.secrets import Secrets
    from paychart.simulate import simulate
    from tests.simulate.support import START

    path = directory / f"traffic_{'+'.join(providers)}_seed{seed}_f{families}.jsonl"
    sidecar = path.with_suffix(".count.json")
    done = json.loads(sidecar.read_text()) if sidecar.exists() and path.exists() else \
        {"chunks": 0, "lines": 0}
    if done["lines"] >= lines:
        return path
    if done["chunks"] == 0:
        path.write_bytes(b"")
    loaded = Secrets.load(secrets)
    tables = {provider: loaded.for_provider(provider) for provider in providers}
    started = time.perf_counter()
    with path.open("a", encoding="utf-8") as out:
        while done["lines"] < lines:
            chunk = done["chunks"]
            made = simulate(providers, objects=families, seed=seed * 100_003 + chunk,
                            secrets=tables, start=START + timedelta(days=chunk),
                            span=timedelta(hours=24))
            out.writelines(json.dumps(record) + "\n" for record in made.records)
            done = {"chunks": chunk + 1, "lines": done["lines"] + len(made.records)}
            print(f"\r  simulated {done['lines']:,} records "
                  f"({time.perf_counter() - started:.0f} s)", end="", file=sys.stderr)
    print(file=sys.stderr)
    sidecar.write_text(json.dumps(done))
    return path


# -- the child: one measured run ---------------------------------------------------------------

def _records(path: Path, limit: int) -> Iterator[Any]:
    from paychart.inputs import read_records

    return itertools.islice(read_records(path), limit)


def _floor(path: Path, limit: int, secrets: Any) -> dict[str, Any]:
    """Parse and verify only; the facts events ask to remember are kept in a dict, as the
    store would keep them, since some signatures cover a remembered fact (PLATFORM's email)."""
    from paychart.adapter import AdapterContext
    from paychart.adapters import get_adapter

    kept: dict[tuple[str, str, str], dict[str, str]] = {}
    contexts: dict[str, Any] = {}
    events = errors = 0
    for record in _records(path, limit):
        raw = record.raw
        if raw is None:
            errors += 1
            continue
        provider = raw.provider
        context = contexts.get(provider)
        if context is None:
            def remembered(kind: str, object_id: str, provider: str = provider
                           ) -> dict[str, str]:
                return kept.get((provider, kind, object_id), {})
            context = contexts[provider] = AdapterContext(secrets.for_provider(provider),
                                                          remembered)
        result = get_adapter(provider).parse(raw, context.for_input(raw))
        for event in result.events:
            if event.remember:
                kept.setdefault((provider, event.object_kind, event.object_id), {}).update(
                    event.remember)
        events += len(result.events)
        errors += result.error is not None
    return {"events": events, "errors": errors}


def _validate(path: Path, limit: int, secrets: Any, db: Path | None, charts: Any,
              profile: bool) -> dict[str, Any]:
    """What ``paychart validate`` does without ``--expect``: decide every record keeping
    only what the report lists, then render the text report."""
    from paychart.report import as_text
    from paychart.stores.sqlite import SQLiteStore
    from paychart.validate import validate_records

    store = SQLiteStore(db) if db is not None else None
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.enable()
    run = validate_records(_records(path, limit), charts=charts, secrets=secrets, store=store,
                           report_only=True)
    text = as_text(run, str(path))
    if profiler is not None:
        profiler.disable()
    if store is not None:
        store.close()
    found: dict[str, Any] = {"seconds": time.perf_counter() - started,
                             "cpu": time.process_time() - cpu,
                             "summary": run.summary(), "report_chars": len(text)}
    if db is not None:
        found["db_bytes"] = sum(p.stat().st_size for p in db.parent.glob(db.name + "*"))
    if profiler is not None:
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("tottime").print_stats(15)
        stats.sort_stats("cumulative").print_stats(25)
        found["profile"] = out.getvalue()
    return found


def _traced(path: Path, limit: int, secrets: Any, charts: Any) -> dict[str, Any]:
    """Memory retained per part on real traffic: ``validate`` (report_only, memory store)
    under tracemalloc, then the run's kept results, the journal, the dedupe index (each
    object's claimed digests with the journal positions of their entries) and the records
    (with their children and reference indexes) are dropped in turn; each drop is what
    that part held."""
    import gc
    import tracemalloc

    from paychart.stores.memory import MemoryStore
    from paychart.validate import validate_records

    def traced() -> int:
        gc.collect()
        return tracemalloc.get_traced_memory()[0]

    def drop(*names: str) -> int:
        """Empty the store's parts ``names`` and say what that freed (a part the store no
        longer has fails the run rather than reading 0 B)."""
        before = traced()
        for name in names:
            setattr(store, name, type(getattr(store, name))())
        return before - traced()

    tracemalloc.start()
    store = MemoryStore()
    start = traced()
    run = validate_records(_records(path, limit), charts=charts, secrets=secrets, store=store,
                           report_only=True)
    objects = sum(1 for record in store.objects(placeholders=True))
    entries = sum(1 for _ in store.journal())
    before = traced()
    del run
    kept = before - traced()
    journal = drop("_journal")
    dedupe = drop("_claimed")
    records = drop("_objects", "_children", "_referenced")
    residual = traced() - start
    tracemalloc.stop()
    return {"objects": objects, "entries": entries, "kept": kept, "journal": journal,
            "dedupe": dedupe, "records": records, "residual": residual}


WARM_UP = 200
"""Records decided (or parsed) once before timing, on a throwaway store: imports, the charts'
compilation and first-use caches are set-up, not cost per record."""


def child(args: argparse.Namespace) -> int:
    """Measure one mode after a warm-up, print its figures as one JSON line."""
    from paychart.charts import ChartSet
    from paychart.secrets import Secrets
    from paychart.validate import validate_records

    secrets = Secrets.load(args.secrets)
    path = Path(args.child_file)
    if args.child == "traced":
        from paychart.charts import ChartSet as Charts

        print(json.dumps(_traced(path, args.limit, secrets, Charts.bundled())))
        return 0
    if args.child == "floor":
        _floor(path, WARM_UP, secrets)
        started, cpu = time.perf_counter(), time.process_time()
        found = _floor(path, args.limit, secrets)
        found.update(seconds=time.perf_counter() - started, cpu=time.process_time() - cpu)
    else:
        charts = ChartSet.bundled()
        validate_records(_records(path, WARM_UP), charts=charts, secrets=secrets)
        db = Path(args.db) if args.child == "sqlite" else None
        found = _validate(path, args.limit, secrets, db, charts, args.child_profile)
    print(json.dumps(found))
    return 0


def measure(mode: str, path: Path, limit: int, secrets: Path, work: Path,
            profile: bool = False) -> dict[str, Any]:
    """One child process; its own figures plus its peak RSS in bytes."""
    command = [sys.executable, __file__, "--child", mode, "--child-file", str(path),
               "--limit", str(limit), "--secrets", str(secrets)]
    db = work / f"bench-{limit}.sqlite"
    for stale in work.glob(db.name + "*"):
        stale.unlink()
    if mode == "sqlite":
        command += ["--db", str(db)]
    if profile:
        command.append("--child-profile")
    with tempfile.TemporaryFile() as output:
        child_process = subprocess.Popen(command, stdout=output)  # noqa: S603 - our own script
        _pid, status, usage = os.wait4(child_process.pid, 0)
        child_process.returncode = os.waitstatus_to_exitcode(status)
        output.seek(0)
        text = output.read().decode("utf-8")
    for stale in work.glob(db.name + "*"):
        stale.unlink()
    if child_process.returncode != 0 or not text.strip():
        return {"failed": f"exit {child_process.returncode}"}
    found: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    found["rss"] = usage.ru_maxrss * 1024  # kilobytes on Linux
    return found


# -- the report --------------------------------------------------------------------------------

def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _mib(n: float) -> str:
    return f"{n / (1 << 20):,.0f} MiB"


def _table(rows: Sequence[Sequence[str]]) -> Iterator[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for n, row in enumerate(rows):
        yield "  ".join(cell.rjust(w) if i else cell.ljust(w)
                        for i, (cell, w) in enumerate(zip(row, widths, strict=True))).rstrip()
        if n == 0:
            yield "  ".join("-" * w for w in widths)


def report(sizes: Sequence[int], found: dict[tuple[int, str], dict[str, Any]]) -> list[str]:
    """The per-size table, then issue 18's targets on the largest size."""
    def rate(size: int, mode: str) -> float:
        seconds = found[size, mode].get("seconds")
        return size / seconds if seconds else 0.0

    rows: list[tuple[str, ...]] = [
        ("records", "floor rec/s", "memory rec/s", "x floor", "sqlite rec/s", "x floor",
         "RSS floor", "RSS memory", "RSS sqlite", "sqlite B/input")]
    for size in sizes:
        if any("failed" in found[size, mode] for mode in MODES):
            rows.append((f"{size:,}", *(found[size, m].get("failed", "") for m in MODES),
                         "", "", "", "", "", ""))
            continue
        floor = rate(size, "floor")
        rows.append((f"{size:,}", f"{floor:,.0f}", f"{rate(size, 'memory'):,.0f}",
                     f"{rate(size, 'memory') / floor:.3f}", f"{rate(size, 'sqlite'):,.0f}",
                     f"{rate(size, 'sqlite') / floor:.3f}",
                     *(_mib(found[size, m]["rss"]) for m in MODES),
                     f"{found[size, 'sqlite']['db_bytes'] / size:,.0f}"))
    lines = list(_table(rows))
    ok = [s for s in sizes if not any("failed" in found[s, m] for m in MODES)]
    if not ok:
        return lines
    small, large = ok[0], ok[-1]
    summary = found[large, "memory"]["summary"]
    lines.append(f"\ndecided at {large:,}: " + ", ".join(
        f"{k} {v:,}" for k, v in summary.items() if k != "inputs" and v))
    cost = {m: found[large, m]["seconds"] / large / (found[small, m]["seconds"] / small)
            for m in MODES}
    lines.append(f"cost per record {small:,} -> {large:,}: "
                 + ", ".join(f"{m} {cost[m]:.2f}x" for m in MODES))
    memory = rate(large, "memory") / rate(large, "floor")
    sqlite = rate(large, "sqlite") / rate(large, "floor")
    per_input = found[large, "sqlite"]["db_bytes"] / large
    growth = max(cost["memory"], cost["sqlite"])
    targets = [
        ("memory / floor", f"{memory:.3f} x", f">= {TARGET_MEMORY} x", memory >= TARGET_MEMORY),
        ("sqlite / floor", f"{sqlite:.3f} x", f">= {TARGET_SQLITE} x", sqlite >= TARGET_SQLITE),
        (f"cost growth {small:,} -> {large:,}", f"{growth:.2f} x", f"<= {TARGET_GROWTH} x",
         growth <= TARGET_GROWTH),
        ("peak RSS memory store", _mib(found[large, "memory"]["rss"]),
         f"<= {_mib(TARGET_RSS_MEMORY)} (at 1M)",
         found[large, "memory"]["rss"] <= TARGET_RSS_MEMORY),
        ("peak RSS sqlite store", _mib(found[large, "sqlite"]["rss"]),
         f"<= {_mib(TARGET_RSS_SQLITE)} (at 1M)",
         found[large, "sqlite"]["rss"] <= TARGET_RSS_SQLITE),
        ("sqlite bytes per input", f"{per_input:,.0f} B", f"<= {TARGET_SQLITE_BYTES} B",
         per_input <= TARGET_SQLITE_BYTES)]
    lines += ["", *_table([("target", "measured", "wanted", "result"),
                           *((a, b, c, _verdict(d)) for a, b, c, d in targets)])]
    return lines


def traced_report(size: int, found: dict[str, Any]) -> list[str]:
    """Memory per part of the traced run, and issue 18's targets for it."""
    if "failed" in found:
        return [f"\nmemory per part ({size:,} records): {found['failed']}"]
    objects, entries = found["objects"], found["entries"]
    per_object = (found["records"] + found["dedupe"]) / objects
    per_entry = found["journal"] / entries
    rows = [("part (memory store, tracemalloc)", "bytes", "per object", "per entry"),
            *((name, f"{found[key]:,}", f"{found[key] / objects:,.0f} B",
               f"{found[key] / entries:,.0f} B")
              for name, key in (("object records and their indexes", "records"),
                                ("dedupe index and journal positions", "dedupe"),
                                ("journal", "journal"),
                                ("kept for the report", "kept"),
                                ("other (caches, not freed)", "residual")))]
    targets = [("in-flight object (records + dedupe)", f"{per_object:,.0f} B",
                f"<= {TARGET_PER_OBJECT} B", _verdict(per_object <= TARGET_PER_OBJECT)),
               ("journal per entry", f"{per_entry:,.0f} B", f"<= {TARGET_PER_ENTRY} B",
                _verdict(per_entry <= TARGET_PER_ENTRY))]
    return [f"\nmemory per part: {size:,} records, {objects:,} objects, {entries:,} entries",
            *_table(rows), "", *_table([("target", "measured", "wanted", "result"), *targets])]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--full", action="store_true", help=f"add {FULL_SIZE:,} records")
    parser.add_argument("--sizes", default=None,
                        help="comma-separated record counts (default 10000,100000)")
    parser.add_argument("--providers", default=",".join(PROVIDERS),
                        help="simulated providers (default cardlink,platform)")
    parser.add_argument("--families", type=int, default=FAMILIES,
                        help=f"families per provider per simulated day (default {FAMILIES})")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--data", default=None,
                        help="keep the traffic in this folder and reuse it next time "
                             "(default: a temporary folder, removed)")
    parser.add_argument("--profile", action="store_true",
                        help="append a cProfile (top 15 by own time) of the memory run")
    parser.add_argument("--traced", type=int, default=TRACED,
                        help=f"records of the memory-per-part run (default {TRACED:,}; 0: skip)")
    parser.add_argument("--child", choices=(*MODES, "traced"), help=argparse.SUPPRESS)
    parser.add_argument("--child-file", help=argparse.SUPPRESS)
    parser.add_argument("--child-profile", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--limit", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--secrets", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args)
    sizes = sorted({int(s) for s in args.sizes.split(",")} if args.sizes else
                   {*SIZES, *((FULL_SIZE,) if args.full else ())})
    providers = tuple(p.strip() for p in args.providers.split(",") if p.strip())
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="bench-validate-"))
    data = Path(args.data) if args.data else work
    data.mkdir(parents=True, exist_ok=True)
    try:
        print(f"paychart {version('paychart')} validate benchmark — Python "
              f"{platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs, "
              f"providers {', '.join(providers)}, seed {args.seed}", flush=True)
        secrets = secrets_file(work)
        path = traffic(data, secrets, providers, sizes[-1], args.seed, args.families)
        found = {(size, mode): measure(mode, path, size, secrets, work)
                 for size in sizes for mode in MODES}
        print("\n".join(report(sizes, found)))
        if args.traced:
            print("\n".join(traced_report(args.traced,
                                           measure("traced", path, args.traced, secrets, work))))
        if args.profile:
            profiled = measure("memory", path, sizes[-1], secrets, work, profile=True)
            print(f"\n--- cProfile of validate (memory store), {sizes[-1]:,} records, "
                  f"top 15 by own time ---\n{profiled.get('profile', profiled)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; targets are informational "
          "(exit status 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
