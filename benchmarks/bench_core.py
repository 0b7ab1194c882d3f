"""Core benchmarks of the paychart engine, each against a baseline measured in the same run.

1. Core apply: events/s of ``Orchestrator.apply`` over a ``MemoryStore`` with the shop chart on
   a realistic interleaved stream (≈6 events per object, 5 % duplicates, 5 % stale, 2 % illegal)
   against a hand-written dict-table decider of the same chart fed the same ``Event`` objects.
2. Memory: bytes the memory store retains per object (records + dedupe and history index,
   one packed claim per key), measured with
   ``tracemalloc``; the journal's bytes per event are reported separately.
3. SQLite durable apply: events/s through ``SQLiteStore`` (WAL, ``synchronous=FULL``), one
   commit per event and batched, against raw ``sqlite3`` doing one journal INSERT plus one
   object INSERT/UPDATE per event with the same settings and one commit per event.

Run from anywhere: ``python benchmarks/bench_core.py`` (``--quick`` for a smoke test,
``--profile`` to append a cProfile of the core apply). Targets are informational: the script
always exits 0. See ``benchmarks/README.md`` for what each figure means.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import platform
import pstats
import random
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import partial
from importlib.metadata import version
from pathlib import Path
from typing import NamedTuple

from paychart import (
    Channel,
    ChartSet,
    Event,
    MemoryStore,
    Money,
    Orchestrator,
    Outcome,
    SQLiteStore,
    Store,
)
from paychart.stores.memory import CLAIM_BYTES

REPO_ROOT = Path(__file__).resolve().parent.parent
CHART_PATH = REPO_ROOT / "tests" / "engine" / "charts" / "shop_payment.toml"
SEED = 20261122

DUPLICATE_SHARE = 0.05
STALE_SHARE = 0.05
ILLEGAL_SHARE = 0.02

DEFAULT_OBJECTS = 15_000
DEFAULT_SQLITE = 3_000
"""The default stream, sized to finish within two minutes on a shared 2-core machine."""
FULL_OBJECTS = 100_000
MEMORY_OBJECTS = 5_000
"""Objects of the core stream the memory figures are traced over: per-object bytes barely move
with more, and tracing the whole stream under ``tracemalloc`` took most of the default run."""
FULL_SQLITE = 20_000

TARGET_CORE_SLOWDOWN = 3.0
TARGET_BYTES_PER_OBJECT = 512
TARGET_SQLITE_RATIO = 0.7

PROVIDER = "shop"
KIND = "payment"
INITIAL = "created"
CREATE = "create"
"""The trigger of the merchant's own create request: no edge from ``created`` has it, so the
orchestrator creates the object in the initial state (ARCHITECTURE.md, first sighting)."""

# -- the baseline's tables ---------------------------------------------------------------------
# The decider (``Baseline``) is hand-written; its tables are read once from the compiled chart so
# both sides always decide the same chart, even while the chart file is being edited. A guard or
# effect the baseline does not implement, on a trigger the stream sends, stops the script.

NONE, ADD, SUB, SET, ZERO = 0, 1, 2, 3, 4
"""How an edge's effect moves the one ledger figure the baseline keeps (refundable)."""
EFFECT_CODES: dict[str | None, int] = {
    None: NONE, "authorize": NONE, "release": NONE, "chargeback": NONE,
    "reverse_chargeback": NONE, "sale": SET, "capture": ADD, "refund": SUB,
    "refund_remaining": ZERO,
}
FULL_GUARD, PART_GUARD = "refunds_all", "refunds_part"
STREAM_TRIGGERS = frozenset({"start", "authorize", "pay", "capture", "void", "decline",
                             "refund", "chargeback", "chargeback_reversal", "chargeback_lost"})

Target = tuple[str, int]
"""An unguarded edge: (target state, effect code)."""
Guarded = tuple[tuple[str, int, str | None], ...]
"""Candidate edges in chart order: (target, effect code, guard name or None)."""


class Tables(NamedTuple):
    plain: dict[tuple[str, str], Target]
    guarded: dict[tuple[str, str], Guarded]
    behind: dict[str, frozenset[str]]
    origins: dict[tuple[str, str], frozenset[str]]
    """(trigger, target) → states an edge with that trigger leads there from."""
    ahead: dict[str, frozenset[str]]
    """States reachable from each state (itself included) by enabled edges."""
    left_out: tuple[str, ...]

    def has_edge(self, state: str, trigger: str) -> bool:
        return (state, trigger) in self.plain or (state, trigger) in self.guarded

    def illegal(self, state: str, trigger: str, reported: str) -> bool:
        """No edge and no composite move (a chain of edges ending with ``trigger`` into
        ``reported``), and not a report of the current or an already passed state."""
        origins = self.origins.get((trigger, reported), frozenset())
        return (not self.has_edge(state, trigger) and not origins & self.ahead[state]
                and reported != state and reported not in self.behind[state])


def tables_from_chart(charts: ChartSet) -> Tables:
    """{(state, trigger): (target, effect)} where one unguarded edge is the only candidate,
    candidate lists in chart order for the rest, the behind sets; override edges are left out
    (disabled, so both sides reject them)."""
    chart = charts.get(PROVIDER, KIND)
    candidates: dict[tuple[str, str], list[tuple[str, int, str | None]]] = {}
    left_out = set()
    for edge in chart.edges:
        if edge.override is not None:
            continue
        if edge.trigger not in STREAM_TRIGGERS:
            left_out.add(edge.trigger)
            continue
        effect = edge.spec.effect
        if effect not in EFFECT_CODES or edge.guard_name not in (None, FULL_GUARD, PART_GUARD):
            raise SystemExit(f"the baseline does not implement effect {effect!r} / guard "
                             f"{edge.guard_name!r} of `{edge.origin} -{edge.trigger}-> "
                             f"{edge.target}`; update benchmarks/bench_core.py")
        candidates.setdefault((edge.origin, edge.trigger), []).append(
            (edge.target, EFFECT_CODES[effect], edge.guard_name))
    plain = {key: (edges[0][0], edges[0][1]) for key, edges in candidates.items()
             if len(edges) == 1 and edges[0][2] is None}
    guarded = {key: tuple(edges) for key, edges in candidates.items() if key not in plain}
    behind = {current: frozenset(s for s in chart.canonical if chart.is_behind(s, current))
              for current in chart.canonical}
    enabled = [edge for edge in chart.edges if edge.override is None]
    origins: dict[tuple[str, str], set[str]] = {}
    for edge in enabled:
        origins.setdefault((edge.trigger, edge.target), set()).add(edge.origin)
    ahead: dict[str, frozenset[str]] = {}
    for start in chart.canonical:
        seen, todo = {start}, [start]
        while todo:
            here = todo.pop()
            for edge in enabled:
                if edge.origin == here and edge.target not in seen:
                    seen.add(edge.target)
                    todo.append(edge.target)
        ahead[start] = frozenset(seen)
    return Tables(plain, guarded, behind, {k: frozenset(v) for k, v in origins.items()},
                  ahead, tuple(sorted(left_out)))


# -- the stream ---------------------------------------------------------------------------------

PART = "part"
REST = "rest"
FULL = "full"
# A lifecycle is (trigger, reported state, amount rule) after the create request.
LIFECYCLES: tuple[tuple[float, tuple[tuple[str, str, str], ...]], ...] = (
    (0.30, (("start", "pending", FULL), ("authorize", "held", FULL), ("capture", "paid", FULL),
            ("refund", "paid", PART), ("refund", "refunded", REST))),
    (0.15, (("start", "pending", FULL), ("authorize", "held", FULL), ("capture", "paid", FULL),
            ("refund", "paid", PART), ("refund", "paid", PART), ("refund", "refunded", REST))),
    (0.20, (("start", "pending", FULL), ("pay", "paid", FULL), ("refund", "paid", PART),
            ("refund", "refunded", REST))),
    (0.10, (("start", "pending", FULL), ("pay", "paid", FULL))),
    (0.05, (("start", "pending", FULL), ("pay", "paid", FULL), ("chargeback", "chargeback", FULL),
            ("chargeback_reversal", "paid", FULL), ("refund", "refunded", FULL))),
    (0.03, (("start", "pending", FULL), ("pay", "paid", FULL), ("refund", "paid", PART),
            ("chargeback", "chargeback", REST), ("chargeback_lost", "lost", REST))),
    (0.07, (("start", "pending", FULL), ("authorize", "held", FULL), ("void", "voided", FULL))),
    (0.10, (("start", "pending", FULL), ("decline", "declined", FULL))),
)
CURRENCIES = ("EUR", "USD", "GBP", "EUR", "USD", "JPY")
ILLEGAL_MOVES = (("capture", "paid"), ("void", "voided"), ("chargeback_lost", "lost"),
                 ("chargeback_reversal", "paid"), ("authorize", "held"), ("start", "pending"),
                 ("decline", "declined"), ("pay", "paid"), ("chargeback", "chargeback"))
"""Candidate provider messages for an illegal input; filtered per state to those with no edge
whose reported state is neither the current one nor one already passed (so: ``rejected``)."""


class Spec(NamedTuple):
    """One message of the stream in compact form; ``materialize`` makes the ``Event``."""

    obj: int
    msg: int
    trigger: str
    state: str
    amount: int
    expected: Outcome


class Stream(NamedTuple):
    specs: list[Spec]
    salts: list[int]
    currencies: list[str]
    objects: int

    def expected(self) -> Counter[Outcome]:
        return Counter(spec.expected for spec in self.specs)


class Lifecycle(NamedTuple):
    steps: tuple[tuple[str, str, str], ...]
    amount: int


def _amount(rule: str, total: int, refunded: int) -> int:
    if rule == PART:
        return total // 4
    if rule == REST:
        return total - refunded
    return total


def _base_messages(obj: int, life: Lifecycle) -> list[Spec]:
    specs = [Spec(obj, 0, CREATE, INITIAL, life.amount, Outcome.APPLIED)]
    refunded = 0
    for i, (trigger, state, rule) in enumerate(life.steps, start=1):
        amount = _amount(rule, life.amount, refunded)
        if trigger == "refund":
            refunded += amount
        specs.append(Spec(obj, i, trigger, state, amount, Outcome.APPLIED))
    return specs


def _states_along(messages: Sequence[Spec]) -> list[str]:
    """State of the object before each position (injected messages never change it)."""
    states = []
    state = INITIAL
    for spec in messages:
        states.append(state)
        if spec.expected is Outcome.APPLIED and spec.trigger != CREATE:
            state = spec.state
    states.append(state)
    return states


def _visited_before(messages: Sequence[Spec], pos: int) -> set[str]:
    """States the object has been in before position ``pos``: a report of one is ``stale``
    (the engine judges by the object's visited states, not only by the chart's order)."""
    states = _states_along(messages[:pos])
    return set(states)


def _inject(rng: random.Random, tables: Tables, messages: list[Spec], kind: Outcome,
            msg_no: int) -> bool:
    """Insert one duplicate, stale or illegal message at a random valid position."""
    for _ in range(20):
        states = _states_along(messages)
        pos = rng.randint(1, len(messages))
        state = states[pos]
        if kind is Outcome.DUPLICATE:
            original = rng.choice(messages[:pos])
            messages.insert(pos, original._replace(expected=Outcome.DUPLICATE))
            return True
        if kind is Outcome.STALE:
            late = [m for m in messages[1:pos] if m.expected is Outcome.APPLIED
                    and not tables.has_edge(state, m.trigger)
                    and m.state in tables.behind[state]]
            if late:
                chosen = rng.choice(late)
                messages.insert(pos, chosen._replace(msg=msg_no, expected=Outcome.STALE))
                return True
            continue
        visited = _visited_before(messages, pos)
        moves = [(t, s) for t, s in ILLEGAL_MOVES
                 if tables.illegal(state, t, s) and s not in visited]
        if moves:
            trigger, reported = rng.choice(moves)
            messages.insert(pos, Spec(messages[0].obj, msg_no, trigger, reported,
                                      messages[0].amount, Outcome.REJECTED))
            return True
    return False


def build_stream(tables: Tables, objects: int, seed: int) -> Stream:
    """Per-object lifecycles with injected redeliveries, late and illegal messages, then
    interleaved across objects by a simulated arrival time (per-object order kept)."""
    rng = random.Random(seed)
    weights = [w for w, _ in LIFECYCLES]
    per_object: list[list[Spec]] = []
    for obj in range(objects):
        steps = rng.choices(LIFECYCLES, weights)[0][1]
        per_object.append(_base_messages(obj, Lifecycle(steps, rng.randint(300, 250_000))))
    base = sum(len(m) for m in per_object)
    total = base / (1.0 - DUPLICATE_SHARE - STALE_SHARE - ILLEGAL_SHARE)
    wanted = ([Outcome.DUPLICATE] * round(total * DUPLICATE_SHARE)
              + [Outcome.STALE] * round(total * STALE_SHARE)
              + [Outcome.REJECTED] * round(total * ILLEGAL_SHARE))
    rng.shuffle(wanted)
    for kind in wanted:
        while True:
            messages = per_object[rng.randrange(objects)]
            if _inject(rng, tables, messages, kind, msg_no=len(messages) + 1):
                break
    timed: list[tuple[float, Spec]] = []
    for messages in per_object:
        clock = rng.uniform(0.0, float(objects))
        for spec in messages:
            timed.append((clock, spec))
            clock += rng.expovariate(1 / 40.0)
    timed.sort(key=lambda pair: pair[0])
    return Stream([spec for _, spec in timed], [rng.getrandbits(48) for _ in range(objects)],
                  [rng.choice(CURRENCIES) for _ in range(objects)], objects)


def materialize(stream: Stream, spec: Spec) -> Event:
    """The ``Event`` an adapter would make of the message (fresh strings each time, like a
    parsed redelivery). Object ids are 24 characters, dedupe keys about 35."""
    object_id = f"pay_{spec.obj:08d}{stream.salts[spec.obj]:012x}"
    creating = spec.trigger == CREATE
    return Event(PROVIDER, KIND, object_id, spec.trigger,
                 Channel.REQUEST if creating else Channel.CALLBACK,
                 f"{object_id}:{spec.msg}:{spec.trigger}", state=spec.state,
                 money=Money(spec.amount, stream.currencies[spec.obj]))


def first_objects(stream: Stream, objects: int) -> Stream:
    """The part of ``stream`` about its first ``objects`` objects, still interleaved."""
    if objects >= stream.objects:
        return stream
    return Stream([spec for spec in stream.specs if spec.obj < objects],
                  stream.salts[:objects], stream.currencies[:objects], objects)


def materialize_all(stream: Stream) -> list[Event]:
    return [materialize(stream, spec) for spec in stream.specs]


# -- the baseline -------------------------------------------------------------------------------

JournalRow = tuple[Event, Outcome, str | None, str | None]


class Baseline:
    """A hand-written decider for the shop chart: the dict table, a dedupe set, a state dict
    (state and refundable amount, the one figure the guarded refund edges need), a stale check
    by the precomputed behind sets and the object's visited states, and one appended journal
    tuple per input."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables
        self.seen: set[str] = set()
        self.objects: dict[str, list[object]] = {}
        self.journal: list[JournalRow] = []

    def run(self, events: Iterable[Event]) -> None:
        table = self.tables.plain
        guarded = self.tables.guarded
        behind = self.tables.behind
        seen = self.seen
        objects = self.objects
        append = self.journal.append
        claim = seen.add
        for event in events:
            key = event.dedupe_key
            if key in seen:
                append((event, Outcome.DUPLICATE, None, None))
                continue
            obj = objects.get(event.object_id)
            if obj is None:
                if event.channel is Channel.REQUEST and event.state == INITIAL:
                    claim(key)
                    objects[event.object_id] = [INITIAL, 0, {INITIAL}]
                    append((event, Outcome.APPLIED, None, INITIAL))
                else:
                    append((event, Outcome.REJECTED, None, None))
                continue
            state, refundable, visited = obj
            assert isinstance(state, str)
            assert isinstance(visited, set)
            assert isinstance(refundable, int)
            trigger = event.trigger
            money = event.money
            amount = 0 if money is None else money.amount
            edge = table.get((state, trigger))
            if edge is None and (state, trigger) in guarded:
                candidates = guarded[(state, trigger)]
                reported = event.state
                if any(c[0] == reported for c in candidates):  # the provider's word wins
                    candidates = tuple(c for c in candidates if c[0] == reported)
                for target, effect, guard in candidates:
                    if (guard is None or (guard == FULL_GUARD and amount == refundable)
                            or (guard == PART_GUARD and 0 < amount < refundable)):
                        edge = (target, effect)
                        break
            if edge is not None:  # applied and stale claim the key; rejected does not
                claim(key)
                target, effect = edge
                if effect:
                    obj[1] = (refundable + amount if effect == ADD else
                              refundable - amount if effect == SUB else
                              amount if effect == SET else 0)
                obj[0] = target
                visited.add(target)
                append((event, Outcome.APPLIED, state, target))
            elif event.state == state or event.state in behind[state] or event.state in visited:
                claim(key)
                loop = self._late_loop(event.state, trigger, amount, refundable)
                if loop is None or event.state == state:
                    append((event, Outcome.STALE, state, state))
                else:  # a late money self-loop of a passed state applies its money
                    obj[1] = loop
                    append((event, Outcome.APPLIED, state, state))
            else:
                append((event, Outcome.REJECTED, state, state))


    def _late_loop(self, reported: str | None, trigger: str, amount: int,
                   refundable: int) -> int | None:
        """The refundable figure after a self-loop of the passed state ``reported`` (a
        partial refund reported `paid` after the payment moved on), if one takes it."""
        for target, effect, guard in self.tables.guarded.get((reported or "", trigger), ()):
            if target != reported or effect != SUB:
                continue
            if guard is None or (guard == PART_GUARD and 0 < amount < refundable) or (
                    guard == FULL_GUARD and amount == refundable):
                return refundable - amount
        return None


# -- measurements -------------------------------------------------------------------------------

class Rate(NamedTuple):
    events: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.events / self.seconds


def _timed(run: Callable[[], None], events: int) -> Rate:
    gc.collect()
    start = time.perf_counter()
    run()
    return Rate(events, time.perf_counter() - start)


def _core_run(charts: ChartSet, store: Store, events: Sequence[Event]) -> Callable[[], None]:
    def run() -> None:
        apply = Orchestrator(charts, store).apply
        for event in events:
            apply(event)
    return run


def _outcomes(store: Store) -> Counter[Outcome]:
    return Counter(entry.decision.outcome for entry in store.journal())


def reference(tables: Tables, events: Iterable[Event]) -> list[Outcome]:
    """The baseline's decision for every event: what the core must decide too."""
    baseline = Baseline(tables)
    baseline.run(events)
    return [row[1] for row in baseline.journal]


def bench_core(charts: ChartSet, tables: Tables, events: list[Event], expected: list[Outcome],
               rounds: int) -> tuple[Rate, Rate]:
    """Best of ``rounds`` for each side, alternating so machine noise hits both alike; both
    sides must decide every event exactly as the reference did."""
    core_best: Rate | None = None
    base_best: Rate | None = None
    for _ in range(rounds):
        baseline = Baseline(tables)
        base = _timed(partial(baseline.run, events), len(events))
        assert [row[1] for row in baseline.journal] == expected
        del baseline
        store = MemoryStore()
        core = _timed(_core_run(charts, store, events), len(events))
        decided = [entry.decision.outcome for entry in store.journal()]
        if decided != expected:
            wrong = next(i for i, (a, b) in enumerate(zip(decided, expected, strict=True))
                         if a != b)
            raise SystemExit(f"core and baseline disagree on event {wrong}: "
                             f"{events[wrong]!r}: core {decided[wrong]}, baseline "
                             f"{expected[wrong]}")
        del store, decided
        core_best = _best(core_best, core)
        base_best = _best(base_best, base)
    assert core_best is not None
    assert base_best is not None
    return core_best, base_best


class MemoryFigures(NamedTuple):
    objects: int
    events: int
    records_bytes: int
    dedupe_bytes: int
    dedupe_keys: int
    journal_bytes: int
    residual_bytes: int

    @property
    def per_object(self) -> float:
        return (self.records_bytes + self.dedupe_bytes) / self.objects


def _traced_after_gc() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


def bench_memory(charts: ChartSet, stream: Stream) -> MemoryFigures:
    """Apply the stream to a fresh memory store under tracemalloc, events made on the fly
    (so the store's strings are counted), then free the journal, the dedupe index and the
    records in turn: each drop in traced memory is what that part retained."""
    gc.collect()
    tracemalloc.start()
    store = MemoryStore()
    orchestrator = Orchestrator(charts, store)
    start = _traced_after_gc()
    for spec in stream.specs:
        orchestrator.apply(materialize(stream, spec))
    full = _traced_after_gc()
    journal = store._journal
    claimed = store._claimed
    dedupe_keys = sum(len(packed) // CLAIM_BYTES for packed in claimed.values())
    journal.clear()
    no_journal = _traced_after_gc()
    claimed.clear()
    no_dedupe = _traced_after_gc()
    store._objects.clear()
    store._children.clear()
    empty = _traced_after_gc()
    tracemalloc.stop()
    return MemoryFigures(stream.objects, len(stream.specs), no_dedupe - empty,
                         no_journal - no_dedupe, dedupe_keys, full - no_journal, empty - start)


# -- SQLite -------------------------------------------------------------------------------------

_RAW_SCHEMA = """
CREATE TABLE objects (
    key TEXT PRIMARY KEY, state TEXT NOT NULL, version INTEGER NOT NULL,
    currency TEXT, refundable INTEGER NOT NULL
);
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY, claimed_key TEXT UNIQUE, object_id TEXT NOT NULL,
    trigger TEXT NOT NULL, reported TEXT, amount INTEGER, currency TEXT, channel TEXT NOT NULL,
    outcome TEXT NOT NULL, from_state TEXT, to_state TEXT
);
"""
_RAW_JOURNAL = ("INSERT INTO journal (claimed_key, object_id, trigger, reported, amount, "
                "currency, channel, outcome, from_state, to_state) VALUES (?,?,?,?,?,?,?,?,?,?)")
_RAW_INSERT = "INSERT INTO objects VALUES (?,?,1,?,?)"
_RAW_UPDATE = "UPDATE objects SET state=?, version=version+1, refundable=? WHERE key=?"


def raw_sqlite_run(tables: Tables, path: Path, events: Sequence[Event], *,
                   synchronous: str, batch: int) -> Callable[[], None]:
    """Raw sqlite3: decide with the baseline (in memory), then per event one transaction with
    a journal INSERT (the normalized event in columns) and an object INSERT or UPDATE when
    the decision applied a transition. ``batch`` > 1 commits every ``batch`` events."""
    def run() -> None:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute(f"PRAGMA synchronous={synchronous}")
        db.executescript(_RAW_SCHEMA)
        baseline = Baseline(tables)
        execute = db.execute
        for start in range(0, len(events), batch):
            chunk = events[start:start + batch]
            if batch > 1:
                execute("BEGIN IMMEDIATE")
            for event in chunk:
                baseline.run((event,))
                _, outcome, origin, target = baseline.journal[-1]
                claimed = (event.dedupe_key if outcome in (Outcome.APPLIED, Outcome.STALE)
                           else None)
                money = event.money
                if batch == 1:
                    execute("BEGIN IMMEDIATE")
                execute(_RAW_JOURNAL, (
                    claimed, event.object_id, event.trigger, event.state,
                    money.amount if money else None, money.currency if money else None,
                    event.channel.value, outcome.value, origin, target))
                if outcome is Outcome.APPLIED:
                    refundable = baseline.objects[event.object_id][1]
                    if origin is None:
                        execute(_RAW_INSERT, (event.object_id, target,
                                              money.currency if money else None, refundable))
                    else:
                        execute(_RAW_UPDATE, (target, refundable, event.object_id))
                if batch == 1:
                    execute("COMMIT")
            if batch > 1:
                execute("COMMIT")
        db.close()
    return run


def core_sqlite_run(charts: ChartSet, path: Path, events: Sequence[Event], *,
                    synchronous: str, batch: int) -> Callable[[], None]:
    def run() -> None:
        store = SQLiteStore(path, synchronous=synchronous)
        apply = Orchestrator(charts, store).apply
        for start in range(0, len(events), batch):
            chunk = events[start:start + batch]
            context: AbstractContextManager[None] = (store.batch() if batch > 1
                                                     else nullcontext())
            with context:
                for event in chunk:
                    apply(event)
        store.close()
    return run


class SQLiteFigures(NamedTuple):
    core: Rate
    core_batched: Rate
    raw: Rate
    raw_batched: Rate
    synchronous: str
    directory: str
    expected_ok: bool


def _best(a: Rate | None, b: Rate) -> Rate:
    return b if a is None or b.seconds < a.seconds else a


def bench_sqlite(charts: ChartSet, tables: Tables, events: list[Event],
                 expected: Counter[Outcome], *,
                 synchronous: str, batch: int, directory: str | None,
                 rounds: int) -> SQLiteFigures:
    """Best of ``rounds`` for each of the four runs, interleaved (raw, core, raw batched,
    core batched) after a short warm-up write, each run on a fresh file."""
    with tempfile.TemporaryDirectory(prefix="paychart-bench-", dir=directory) as tmp:
        root = Path(tmp)
        raw_sqlite_run(tables, root / "warm-up.sqlite", events[:500], synchronous=synchronous,
                       batch=1)()
        best: dict[str, Rate | None] = dict.fromkeys(("raw", "core", "raw_b", "core_b"))
        ok = True
        for n in range(rounds):
            runs: dict[str, tuple[Path, Callable[[], None]]] = {}
            for name, size in (("raw", 1), ("core", 1), ("raw_b", batch), ("core_b", batch)):
                path = root / f"{name}-{n}.sqlite"
                run = (raw_sqlite_run(tables, path, events, synchronous=synchronous, batch=size)
                       if name.startswith("raw") else
                       core_sqlite_run(charts, path, events, synchronous=synchronous,
                                       batch=size))
                runs[name] = (path, run)
            for name, (path, run) in runs.items():
                best[name] = _best(best[name], _timed(run, len(events)))
                ok = ok and _journal_outcomes(path, raw=name.startswith("raw")) == expected
                path.unlink()
        rates = [best[name] for name in ("core", "core_b", "raw", "raw_b")]
        core, core_b, raw, raw_b = (rate for rate in rates if rate is not None)
        return SQLiteFigures(core, core_b, raw, raw_b, synchronous, tmp, ok)


def _journal_outcomes(path: Path, *, raw: bool) -> Counter[Outcome]:
    if not raw:
        store = SQLiteStore(path)
        try:
            return _outcomes(store)
        finally:
            store.close()
    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT outcome, count(*) FROM journal GROUP BY outcome")
        return Counter({Outcome(outcome): count for outcome, count in rows})
    finally:
        db.close()


# -- profile ------------------------------------------------------------------------------------

def profile_core(charts: ChartSet, events: Sequence[Event], limit: int = 25) -> str:
    store = MemoryStore()
    apply = Orchestrator(charts, store).apply
    profiler = cProfile.Profile()
    gc.collect()
    profiler.enable()
    for event in events:
        apply(event)
    profiler.disable()
    out = io.StringIO()
    for key in ("cumulative", "tottime"):
        out.write(f"\n--- cProfile of core apply, {len(events):,} events, top {limit} "
                  f"by {key} ---\n")
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(limit)
    return out.getvalue()


# -- report -------------------------------------------------------------------------------------

def _mix(counts: Counter[Outcome]) -> str:
    total = sum(counts.values())
    return ", ".join(f"{o.value} {n:,} ({n / total:.1%})" for o, n in sorted(counts.items()))


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _rows(rows: Iterable[tuple[str, str, str, str]]) -> Iterator[str]:
    rows = list(rows)
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for n, row in enumerate(rows):
        yield "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        if n == 0:
            yield "  ".join("-" * width for width in widths)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--objects", type=int, default=None,
                        help=f"payment objects in the core stream (default {DEFAULT_OBJECTS}, "
                             f"--full {FULL_OBJECTS})")
    parser.add_argument("--sqlite-events", type=int, default=None,
                        help=f"events in the SQLite stream, about (default {DEFAULT_SQLITE}, "
                             f"--full {FULL_SQLITE})")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of every timed run, best of each kept (default 2)")
    parser.add_argument("--batch", type=int, default=1000,
                        help="events per batched SQLite transaction (default 1000)")
    parser.add_argument("--synchronous", default="FULL", choices=("OFF", "NORMAL", "FULL"),
                        help="SQLite synchronous pragma for both sides (default FULL)")
    parser.add_argument("--sqlite-dir", default=None,
                        help="directory for the temporary SQLite files (default: system temp)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke test: 2000 objects, 600 SQLite events, one round")
    parser.add_argument("--full", action="store_true",
                        help=f"the long stream: {FULL_OBJECTS} objects, {FULL_SQLITE} SQLite "
                             "events (about 16 minutes here)")
    parser.add_argument("--profile", action="store_true",
                        help="append a cProfile (top 25) of the core apply")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    full = args.full and not args.quick
    if args.objects is None:
        args.objects = FULL_OBJECTS if full else DEFAULT_OBJECTS
    if args.sqlite_events is None:
        args.sqlite_events = FULL_SQLITE if full else DEFAULT_SQLITE
    if args.quick:
        args.objects, args.sqlite_events, args.rounds = 2000, 600, 1

    charts = ChartSet.from_paths([CHART_PATH])
    tables = tables_from_chart(charts)

    print(f"paychart {version('paychart')} core benchmark — Python "
          f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
          f"{platform.machine()}, {os.cpu_count()} CPUs, seed {args.seed}")
    if tables.left_out:
        print(f"chart triggers the stream never sends (left out of the baseline): "
              f"{', '.join(tables.left_out)}")
    started = time.perf_counter()
    stream = build_stream(tables, args.objects, args.seed)
    events = materialize_all(stream)
    expected = reference(tables, events)
    print(f"core stream: {stream.objects:,} objects, {len(events):,} events "
          f"({len(events) / stream.objects:.2f}/object); decided: {_mix(Counter(expected))}")
    if Counter(expected) != stream.expected():
        print(f"  (built as {_mix(stream.expected())}: the chart decides some messages "
              "differently from the lifecycles the generator assumes)")

    core, base = bench_core(charts, tables, events, expected, args.rounds)
    slowdown = base.per_second / core.per_second
    print(f"core apply: {core.per_second:,.0f} ev/s ({core.seconds:.2f} s), dict-table "
          f"baseline {base.per_second:,.0f} ev/s ({base.seconds:.2f} s), best of {args.rounds}")

    profile = profile_core(charts, events[:min(len(events), 200_000)]) if args.profile else ""
    del events, expected
    gc.collect()

    memory = bench_memory(charts, first_objects(stream, MEMORY_OBJECTS))
    print(f"memory: {memory.objects:,} objects, {memory.dedupe_keys:,} dedupe keys, "
          f"{memory.events:,} journal entries (traced under tracemalloc)")

    sqlite_objects = max(1, round(args.sqlite_events / (len(stream.specs) / stream.objects)))
    sqlite_stream = build_stream(tables, sqlite_objects, args.seed + 1)
    sqlite_events = materialize_all(sqlite_stream)
    sql = bench_sqlite(charts, tables, sqlite_events, Counter(reference(tables, sqlite_events)),
                       synchronous=args.synchronous, batch=args.batch,
                       directory=args.sqlite_dir, rounds=args.rounds)
    print(f"sqlite stream: {sqlite_objects:,} objects, {len(sqlite_events):,} events, "
          f"WAL, synchronous={sql.synchronous}, files under {Path(sql.directory).parent}; "
          f"all runs decided as the baseline: {sql.expected_ok}")
    sql_ratio = sql.core.per_second / sql.raw.per_second

    rows: list[tuple[str, str, str, str]] = [("figure", "value", "target", "result")]
    rows += [
        ("core apply, Orchestrator + MemoryStore", f"{core.per_second:>12,.0f} ev/s", "", ""),
        ("baseline, dict table + set + journal", f"{base.per_second:>12,.0f} ev/s", "", ""),
        ("core slowdown vs baseline", f"{slowdown:>12.1f} x",
         f"<= {TARGET_CORE_SLOWDOWN:.1f} x", _verdict(slowdown <= TARGET_CORE_SLOWDOWN)),
        ("memory per in-flight object (store)", f"{memory.per_object:>12,.0f} B",
         f"<= {TARGET_BYTES_PER_OBJECT} B",
         _verdict(memory.per_object <= TARGET_BYTES_PER_OBJECT)),
        ("  of which object records", f"{memory.records_bytes / memory.objects:>12,.0f} B",
         "", ""),
        ("  of which dedupe + history index",
         f"{memory.dedupe_bytes / memory.objects:>12,.0f} B", "", ""),
        ("  dedupe + history index per key",
         f"{memory.dedupe_bytes / memory.dedupe_keys:>12,.0f} B", "", ""),
        ("journal per event (memory store)", f"{memory.journal_bytes / memory.events:>12,.0f} B",
         "(info)", ""),
        ("other retained, total (caches)", f"{memory.residual_bytes:>12,} B", "(info)", ""),
        ("sqlite core, commit per event", f"{sql.core.per_second:>12,.0f} ev/s", "", ""),
        ("sqlite raw, commit per event", f"{sql.raw.per_second:>12,.0f} ev/s", "", ""),
        ("sqlite core / raw, per event", f"{sql_ratio:>12.2f} x",
         f">= {TARGET_SQLITE_RATIO:.2f} x", _verdict(sql_ratio >= TARGET_SQLITE_RATIO)),
        (f"sqlite core, batch of {args.batch}", f"{sql.core_batched.per_second:>12,.0f} ev/s",
         "(info)", ""),
        (f"sqlite raw, batch of {args.batch}", f"{sql.raw_batched.per_second:>12,.0f} ev/s",
         "(info)", ""),
        ("sqlite core batched / raw batched",
         f"{sql.core_batched.per_second / sql.raw_batched.per_second:>12.2f} x", "(info)", ""),
        ("sqlite core batched / raw per event",
         f"{sql.core_batched.per_second / sql.raw.per_second:>12.2f} x", "(info)", ""),
    ]
    print()
    for line in _rows(rows):
        print(line)
    print(f"\ntotal {time.perf_counter() - started:.0f} s; targets are informational "
          "(exit status 0)")
    if profile:
        print(profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
