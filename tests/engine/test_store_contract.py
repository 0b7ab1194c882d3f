"""One store contract, run against every store (memory, SQLite, PostgreSQL on a real server
from ``conftest.py``): atomic commits under versions of what was read and written, dedupe keys
unique per object, bounded batches, read-only opening, and concurrent workers (threads, and
processes on one SQLite file or one PostgreSQL database) that never lose, double-apply or end
behind."""

from __future__ import annotations

import multiprocessing
import random
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from paychart import (
    Channel,
    Decision,
    DuplicateKeyError,
    Event,
    JournalEntry,
    MemoryStore,
    ObjectRecord,
    Orchestrator,
    Outcome,
    SQLiteStore,
    Store,
    StoreError,
    VersionConflictError,
)
from paychart.replay import replay
from paychart.stores.base import open_store

from .support import event, shop_charts

Opener = Callable[[Path], Store]
STORES: dict[str, Opener] = {
    "memory": lambda _: MemoryStore(),
    "sqlite": lambda directory: SQLiteStore(directory / "store.db", synchronous="OFF"),
}
POSTGRESQL = "postgresql"
"""Opened on a fresh database of the ``postgres_url`` fixture (a real server)."""
KEY = "shop/payment/p1"


@pytest.fixture(params=sorted([*STORES, POSTGRESQL]))
def opener(request: pytest.FixtureRequest) -> Opener:
    if request.param == POSTGRESQL:
        url: str = request.getfixturevalue("postgres_url")
        return lambda _: open_store(url)
    return STORES[request.param]


@pytest.fixture
def store(opener: Opener, tmp_path: Path) -> Iterator[Store]:
    made = opener(tmp_path)
    yield made
    made.close()


def entry(key: str | None = None, object_id: str = "p1") -> JournalEntry:
    claim = event(object_id, "pay", "paid", key=key) if key else None
    return JournalEntry(Decision(Outcome.APPLIED, "test"), event=claim, claimed_key=key)


def record(version: int, state: str = "paid", key: str = KEY) -> ObjectRecord:
    return ObjectRecord(key, "shop_payment", state, version)


# -- one decision at a time ------------------------------------------------------------------

def test_reads_are_checked_like_writes(store: Store) -> None:
    """A decision that read a record (or read that there was none) is refused once another
    writer changed (or created) it."""
    store.commit(entry(), [record(1)])
    with pytest.raises(VersionConflictError) as stale:
        store.commit(entry(), [record(1, key="shop/refund/r1")], reads=[(KEY, 0)])
    assert stale.value.key == KEY
    assert store.get("shop/refund/r1") is None
    store.commit(entry(), [record(2)])
    with pytest.raises(VersionConflictError):
        store.commit(entry(), (), reads=[(KEY, 1)])
    store.commit(entry(), (), reads=[(KEY, 2), ("shop/payment/none", 0)])
    assert len(list(store.journal())) == 3


def test_dedupe_keys_are_scoped_per_object(store: Store) -> None:
    store.commit(entry("same", "p1"), [record(1)])
    store.commit(entry("same", "p2"), [record(1, key="shop/payment/p2")])
    assert store.seen(KEY, "same") and store.seen("shop/payment/p2", "same")
    assert not store.seen("shop/payment/p3", "same")
    with pytest.raises(DuplicateKeyError):
        store.commit(entry("same", "p1"), [record(2)])


def test_history_is_the_events_an_object_claimed_in_journal_order(store: Store) -> None:
    """What a late message is decided in its place with: every event that claimed a key of
    the object, in journal order; an unclaimed entry (rejected, invalid, duplicate) or
    another object's claim is not part of it."""
    store.commit(entry("k2", "p1"), [record(1)])
    store.commit(entry("k1", "p2"), [record(1, key="shop/payment/p2")])
    store.commit(JournalEntry(Decision(Outcome.REJECTED, "test"),
                              event=event("p1", "pay", "paid", key="k3")), ())
    store.commit(entry("k1", "p1"), [record(2)])
    assert [e.dedupe_key for e in store.history(KEY)] == ["k2", "k1"]
    assert [e.key for e in store.history(KEY)] == [KEY, KEY]
    assert [e.dedupe_key for e in store.history("shop/payment/p2")] == ["k1"]
    assert store.history("shop/payment/p3") == []


def test_placeholders_are_not_objects(store: Store) -> None:
    held = ObjectRecord("shop/payment/px", "shop_payment", "created", 1, placeholder=True)
    store.commit(entry(), [record(1), held])
    assert [r.key for r in store.objects()] == [KEY]
    assert sorted(r.key for r in store.objects(placeholders=True)) == [KEY, held.key]
    assert store.get(held.key) == held


def test_entries_read_the_journal_as_an_outbox(store: Store) -> None:
    """``entries(after, limit)``: the entries after a sequence number, in order, a page at a
    time, with the seq each commit returned; a consumer resuming at its last seq sees every
    entry exactly once."""
    seqs = [store.commit(entry(f"k{i}", f"p{i}"), ()) for i in range(5)]
    assert [e.seq for e in store.entries()] == seqs == sorted(seqs)
    assert [e.event.object_id for e in store.entries() if e.event] == [f"p{i}" for i in range(5)]
    assert [e.seq for e in store.entries(after=seqs[1])] == seqs[2:]
    assert [e.seq for e in store.entries(after=seqs[0], limit=2)] == seqs[1:3]
    assert store.entries(after=seqs[-1]) == []
    assert store.entries(limit=0) == []
    seen: list[int] = []
    while page := store.entries(after=seen[-1] if seen else 0, limit=2):
        seen += [e.seq for e in page]
    assert seen == seqs
    assert store.entries() == list(store.journal())


def test_bounded_batch_lets_other_workers_in(opener: Opener, tmp_path: Path) -> None:
    """A batch commits every ``max_inputs`` decisions: a second connection sees them while
    the batch is still running."""
    store = opener(tmp_path)
    engine = Orchestrator(shop_charts(), store)
    with store.batch(max_inputs=3, max_seconds=60):
        for i in range(4):
            engine.apply(event(f"p{i}", "pay", "paid", amount=100))
        other = _second_reader(store)
        if other is not None:
            assert len(list(other.objects())) == 3
            other.close()
    assert len(list(store.objects())) == 4
    assert replay(store, shop_charts()).ok
    store.close()


def test_a_batch_reads_its_own_decisions(store: Store) -> None:
    """Inside a batch the next decision on an object sees the one before it, not yet
    committed (a store reading through another connection would refuse it forever)."""
    engine = Orchestrator(shop_charts(), store)
    with store.batch(max_inputs=100, max_seconds=60):
        outcomes = [engine.apply(e).outcome for e in (
            event("p1", "start", "pending", channel=Channel.RESPONSE),
            event("p1", "pay", "paid", amount=100))]
    assert outcomes == [Outcome.APPLIED, Outcome.APPLIED]
    paid = store.get(KEY)
    assert paid is not None and paid.state == "paid" and paid.version == 2


def _second_reader(store: Store) -> Store | None:
    """A read-only store on the same data through another connection (durable stores)."""
    if isinstance(store, SQLiteStore):
        return SQLiteStore(store.path, read_only=True)
    url = getattr(store, "url", None)
    return open_store(url, read_only=True) if url else None


def test_read_only_sqlite_never_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    writer = SQLiteStore(path)
    Orchestrator(shop_charts(), writer).apply(event("p1", "pay", "paid", amount=500))
    writer.close()
    before = path.read_bytes()
    reader = open_store(f"sqlite:{path}", read_only=True)
    assert replay(reader, shop_charts()).ok
    with pytest.raises(StoreError, match="read-only"):
        reader.commit(entry(), [record(1, key="shop/payment/p9")])
    reader.close()
    assert path.read_bytes() == before
    with pytest.raises(StoreError):
        SQLiteStore(tmp_path / "missing.db", read_only=True)


# -- concurrent workers ----------------------------------------------------------------------

def traffic() -> list[Event]:
    """Mixed family traffic in its ordered delivery: payments, child refunds and disputes."""
    made: list[Event] = []
    for n in range(12):
        p = f"p{n}"
        made += [event(p, "start", "pending", channel=Channel.RESPONSE),
                 event(p, "pay", "paid", amount=1000),
                 event(f"r{n}a", "approve", "approved", kind="refund", amount=300, parent=p),
                 event(f"r{n}b", "approve", "approved", kind="refund", amount=200, parent=p)]
        if n % 2:
            made.append(event(f"r{n}c", "approve", "approved", kind="refund", amount=500,
                              parent=p))
        h = f"h{n}"
        made += [event(h, "authorize", "held", amount=2000),
                 event(h, "capture", "paid", amount=1500)]
        if n % 3 == 0:
            made.append(event(f"d{n}", "lose", "lost", kind="dispute", parent=h))
    return made


def delivery(seed: int) -> list[Event]:
    """A shuffled copy of the traffic, a third of it delivered twice."""
    rng = random.Random(seed)
    events = traffic()
    events += rng.sample(events, len(events) // 3)
    rng.shuffle(events)
    return events


def ordered_ends() -> dict[str, tuple[str, object]]:
    engine = Orchestrator(shop_charts())
    for e in traffic():
        assert engine.apply(e).outcome is Outcome.APPLIED
    return {r.key: (r.state, r.ledger) for r in engine.store.objects()}


def check_converged(store: Store, fed: int) -> None:
    charts = shop_charts()
    assert len(list(store.journal())) == fed, "one journal entry per input, none lost"
    ends = {r.key: (r.state, r.ledger) for r in store.objects()}
    assert ends == ordered_ends(), "same states and ledgers as the ordered delivery"
    report = replay(store, charts)
    assert report.ok, report.differences[:5]


def _feed(store: Store, events: Sequence[Event]) -> None:
    engine = Orchestrator(shop_charts(), store)
    for e in events:
        engine.apply(e)


def feed_in_threads(store: Store, seeds: range) -> int:
    """One thread per seed feeding its delivery into ``store``; returns the inputs fed."""
    deliveries = [delivery(seed) for seed in seeds]
    threads = [threading.Thread(target=_feed, args=(store, d)) for d in deliveries]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sum(map(len, deliveries))


def test_threads_share_one_store(opener: Opener, tmp_path: Path) -> None:
    store = opener(tmp_path)
    check_converged(store, feed_in_threads(store, range(8)))
    store.close()


def test_sixteen_writers_on_one_parent(opener: Opener, tmp_path: Path) -> None:
    """Every child refund lands on the same payment: conflicts re-decide, none is lost."""
    store = opener(tmp_path)
    engine = Orchestrator(shop_charts(), store)
    engine.apply(event("p1", "pay", "paid", amount=100_000))
    refunds = [[event(f"r{w}-{i}", "approve", "approved", kind="refund", amount=100,
                      parent="p1") for i in range(4)] for w in range(16)]
    threads = [threading.Thread(target=_feed, args=(store, r)) for r in refunds]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    payment = store.get(KEY)
    assert payment is not None and payment.ledger.refunded == 16 * 4 * 100
    assert len(list(store.journal())) == 1 + 16 * 4
    assert replay(store, shop_charts()).ok
    store.close()


def _open_shared(url: str) -> Store:
    if url.startswith("sqlite:"):
        return SQLiteStore(url.removeprefix("sqlite:"), synchronous="OFF")
    return open_store(url)


def _process(url: str, seed: int) -> int:
    events = delivery(seed)
    store = _open_shared(url)
    _feed(store, events)
    store.close()
    return len(events)


@pytest.fixture(params=[POSTGRESQL, "sqlite"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A durable store that several processes open by URL: one SQLite file or one
    PostgreSQL database."""
    if request.param == POSTGRESQL:
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:{tmp_path / 'shared.db'}"


@pytest.mark.parametrize("processes", [4, 8])
def test_processes_share_one_store(processes: int, shared_url: str) -> None:
    _open_shared(shared_url).close()  # the schema, before the workers race to make it
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        fed = sum(pool.starmap(_process, [(shared_url, seed) for seed in range(processes)]))
    store = open_store(shared_url, read_only=True)
    check_converged(store, fed)
    store.close()
