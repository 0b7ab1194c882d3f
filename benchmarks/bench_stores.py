"""PostgreSQL store benchmark, every figure against a baseline measured in the same run.

1. Per-event durable apply: events/s of ``Orchestrator.apply`` over ``PostgresStore`` (one
   transaction per event, ``synchronous_commit`` as the server has it) against raw psycopg
   doing, per event, one journal INSERT plus one object INSERT/UPDATE in one transaction on
   the same server (the decisions made in memory by bench_core's hand-written baseline).
   Target ≥ 0.7×.
2. Throughput with 1, 2, 4, 8 concurrent worker processes on one database (each worker its
   own objects, as a load balancer sharding by object would give them), paychart and raw.
3. What the ``journal_head`` row costs: raw with the seq taken from the head row (as the
   store does, gap-free and in commit order) against raw with a SERIAL seq, same workers.
4. SERIALIZABLE against READ COMMITTED, paychart at the largest worker count.

Server: ``--url`` (a postgresql:// URL whose user may create databases), else
``$PAYCHART_TEST_POSTGRES``, else a throwaway cluster made with the local binaries (as the
tests do). Each run gets a fresh database. Targets are informational: always exits 0.
"""

from __future__ import annotations

import argparse
import logging
import multiprocessing
import os
import platform
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from importlib.metadata import version
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from bench_core import (  # noqa: E402 - after the path that finds it
    CHART_PATH,
    SEED,
    Baseline,
    Tables,
    build_stream,
    materialize_all,
    tables_from_chart,
)

from paychart import ChartSet, Event, Orchestrator, Outcome  # noqa: E402
from paychart.stores.postgres import PostgresStore  # noqa: E402

TARGET_DURABLE_RATIO = 0.7
_RAW_SCHEMA = """
CREATE TABLE objects (key TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL,
                      currency TEXT, refundable BIGINT NOT NULL);
CREATE TABLE journal (seq BIGINT PRIMARY KEY, claimed_key TEXT UNIQUE, object_id TEXT NOT NULL,
                      trigger TEXT NOT NULL, reported TEXT, amount BIGINT, currency TEXT,
                      channel TEXT NOT NULL, outcome TEXT NOT NULL, from_state TEXT,
                      to_state TEXT);
CREATE SEQUENCE journal_seq;
CREATE TABLE journal_head (id BOOLEAN PRIMARY KEY, seq BIGINT NOT NULL);
INSERT INTO journal_head VALUES (TRUE, 0);
"""
_RAW_JOURNAL = ("INSERT INTO journal (seq, claimed_key, object_id, trigger, reported, amount, "
                "currency, channel, outcome, from_state, to_state) VALUES "
                "({seq}, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)")
_SEQ_FROM = {"serial": "nextval('journal_seq')",
             "head": "(SELECT seq FROM head)"}
_HEAD_CTE = "WITH head AS (UPDATE journal_head SET seq = seq + 1 RETURNING seq) "


# -- the server ---------------------------------------------------------------------------------

def server(url: str | None) -> AbstractContextManager[str]:
    """``--url``, else ``PAYCHART_TEST_POSTGRES``, else a throwaway cluster."""
    from tests.engine.postgres_server import running

    return running(url)


@contextmanager
def fresh_database(admin: str) -> Iterator[str]:
    from tests.engine.postgres_server import database_url

    name = f"paychart_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"'.encode())
    try:
        yield database_url(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)'.encode())


# -- workers ------------------------------------------------------------------------------------

def shard(events: Sequence[Event], workers: int) -> list[list[Event]]:
    """Each object's events, in order, to one worker."""
    owners: dict[str, int] = {}
    shards: list[list[Event]] = [[] for _ in range(workers)]
    for event in events:
        owner = owners.setdefault(event.object_id, len(owners) % workers)
        shards[owner].append(event)
    return shards


def paychart_worker(url: str, events: Sequence[Event], isolation: str) -> Callable[[], None]:
    store = PostgresStore(url, pool_size=1, isolation=isolation)
    apply = Orchestrator(ChartSet.from_paths([CHART_PATH]), store).apply

    def run() -> None:
        for event in events:
            apply(event)
        store.close()
    return run


def raw_worker(url: str, events: Sequence[Event], seq: str,
               tables: Tables) -> Callable[[], None]:
    conn = psycopg.connect(url, autocommit=True)
    journal = ((_HEAD_CTE if seq == "head" else "")
               + _RAW_JOURNAL.format(seq=_SEQ_FROM[seq])).encode()
    baseline = Baseline(tables)

    def run() -> None:
        execute = conn.execute
        for event in events:
            baseline.run((event,))
            _, outcome, origin, target = baseline.journal[-1]
            claimed = event.dedupe_key if outcome in (Outcome.APPLIED, Outcome.STALE) else None
            money = event.money
            currency = money.currency if money else None
            execute(b"BEGIN")
            execute(journal, (claimed, event.object_id, event.trigger, event.state,
                              money.amount if money else None, currency,
                              event.channel.value, outcome.value, origin, target))
            if outcome is Outcome.APPLIED:
                refundable = baseline.objects[event.object_id][1]
                if origin is None:
                    execute(b"INSERT INTO objects VALUES (%s, %s, 1, %s, %s)",
                            (event.object_id, target, currency, refundable))
                else:
                    execute(b"UPDATE objects SET state = %s, version = version + 1, "
                            b"refundable = %s WHERE key = %s",
                            (target, refundable, event.object_id))
            execute(b"COMMIT")
        conn.close()
    return run


def _child(make: Callable[..., Callable[[], None]], args: tuple[Any, ...],
           ready: Any, times: Any) -> None:
    run = make(*args)
    ready.wait()
    start = time.perf_counter()
    run()
    times.put((start, time.perf_counter()))


def concurrent(make: Callable[..., Callable[[], None]], shards: list[list[Event]], url: str,
               *extra: Any) -> float:
    """Events/s of all workers together, from the first start to the last finish (each
    worker connects before the common start)."""
    fork = multiprocessing.get_context("fork")
    ready, times = fork.Barrier(len(shards)), fork.Queue()
    children = [fork.Process(target=_child, args=(make, (url, s, *extra), ready, times))
                for s in shards]
    for child in children:
        child.start()
    spans = [times.get() for _ in children]
    for child in children:
        child.join()
    seconds = max(end for _, end in spans) - min(start for start, _ in spans)
    return sum(map(len, shards)) / seconds


# -- figures ------------------------------------------------------------------------------------

def paychart_rate(admin: str, events: Sequence[Event], workers: int,
                  isolation: str = "read committed",
                  expected: Counter[Outcome] | None = None) -> float:
    with fresh_database(admin) as url:
        PostgresStore(url).close()  # the schema, outside the timing
        rate = concurrent(paychart_worker, shard(events, workers), url, isolation)
        if expected is not None:
            store = PostgresStore(url, read_only=True)
            got = Counter(e.decision.outcome for e in store.journal())
            store.close()
            if got != expected:
                print(f"  !! decided {dict(got)}, the memory store {dict(expected)}")
    return rate


def raw_rate(admin: str, events: Sequence[Event], workers: int, seq: str,
             tables: Tables) -> float:
    with fresh_database(admin) as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(_RAW_SCHEMA.encode())
        return float(concurrent(raw_worker, shard(events, workers), url, seq, tables))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--url", help="PostgreSQL server (default $PAYCHART_TEST_POSTGRES, "
                                      "else a throwaway local cluster)")
    parser.add_argument("--events", type=int, default=2000, help="events, about (default 2000)")
    parser.add_argument("--workers", default="1,2,4,8", help="worker counts (default 1,2,4,8)")
    parser.add_argument("--rounds", type=int, default=2, help="best of (default 2)")
    parser.add_argument("--quick", action="store_true", help="smoke test: 600 events, 1 round")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    # Each serializable retry makes psycopg log the aborted pipeline; the figure says enough.
    logging.getLogger("psycopg").setLevel(logging.ERROR)
    if args.quick:
        args.events, args.rounds = 600, 1
    counts = [int(n) for n in args.workers.split(",")]
    tables = tables_from_chart(ChartSet.from_paths([CHART_PATH]))
    stream = build_stream(tables, max(1, args.events // 6), args.seed)
    events = materialize_all(stream)
    # What the memory store decides is what every store must (bench_core's hand-written
    # baseline differs on a message or two of small streams; it only drives the raw runs).
    charts = ChartSet.from_paths([CHART_PATH])
    engine = Orchestrator(charts)
    expected = Counter(engine.apply(event).outcome for event in events)

    with server(args.url) as admin:
        with psycopg.connect(admin) as conn:
            row = conn.execute("SELECT current_setting('server_version'), "
                               "current_setting('synchronous_commit'), "
                               "current_setting('fsync')").fetchone()
        assert row is not None
        print(f"paychart {version('paychart')} store benchmark — Python "
              f"{platform.python_version()}, PostgreSQL {row[0]} (synchronous_commit={row[1]}, "
              f"fsync={row[2]}), psycopg {psycopg.__version__}, {os.cpu_count()} CPUs")
        print(f"stream: {len(events):,} events, {stream.objects:,} objects, seed {args.seed}")

        ours = raw = 0.0
        for _ in range(args.rounds):  # alternating, best of each
            ours = max(ours, paychart_rate(admin, events, 1, expected=expected))
            raw = max(raw, raw_rate(admin, events, 1, "serial", tables))
        ratio = ours / raw
        print(f"\n1. per-event durable apply, 1 worker: paychart {ours:,.0f}/s, raw psycopg "
              f"{raw:,.0f}/s -> {ratio:.2f}x (target >= {TARGET_DURABLE_RATIO}x: "
              f"{'met' if ratio >= TARGET_DURABLE_RATIO else 'NOT met'})")

        print("\n2./3. throughput, events/s of all workers (each its own objects)")
        print(f"  {'workers':>7}  {'paychart':>9}  {'raw+head':>9}  {'raw SERIAL':>10}  "
              f"{'paychart/raw+head':>17}  {'head/SERIAL':>11}")
        for n in counts:
            mine = max(paychart_rate(admin, events, n) for _ in range(args.rounds))
            head = max(raw_rate(admin, events, n, "head", tables) for _ in range(args.rounds))
            serial = max(raw_rate(admin, events, n, "serial", tables)
                         for _ in range(args.rounds))
            print(f"  {n:>7}  {mine:>9,.0f}  {head:>9,.0f}  {serial:>10,.0f}  "
                  f"{mine / head:>16.2f}x  {head / serial:>10.2f}x")

        top = max(counts)
        committed = max(paychart_rate(admin, events, top) for _ in range(args.rounds))
        serializable = max(paychart_rate(admin, events, top, "serializable", expected)
                           for _ in range(args.rounds))
        print(f"\n4. {top} workers: READ COMMITTED {committed:,.0f}/s, SERIALIZABLE "
              f"{serializable:,.0f}/s -> {serializable / committed:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
