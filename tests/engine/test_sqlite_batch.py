"""The SQLite batch's write-back cache (``stores/_sqlite_batch``): a batch decides exactly as
decision-at-a-time commits do, a rollback or a refused decision leaves nothing behind, other
connections' commits are seen between transactions, a crash loses no committed decision, and
the cache stays bounded."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import (
    DuplicateKeyError,
    Event,
    MemoryStore,
    ObjectRecord,
    Orchestrator,
    Outcome,
    SQLiteStore,
    Store,
    VersionConflictError,
)
from paychart.chain import canonical, link_cells, verify_chain
from paychart.journal import JOURNAL_COLUMNS
from paychart.replay import replay
from paychart.stores import _sqlite_batch
from paychart.stores import _sqlite_journal as packing

from .support import event, shop_charts
from .test_store_contract import entry, record

KEY = "shop/payment/p1"


def _stream(objects: int = 30) -> list[Event]:
    """Payments with refunds (children), redeliveries, late and illegal messages."""
    events = []
    for n in range(objects):
        pay = event(f"p{n}", "pay", "paid", amount=1000)
        events += [pay, event(f"r{n}a", "refund", "succeeded", kind="refund", amount=300,
                              parent=f"p{n}"), pay,
                   event(f"p{n}", "capture", "paid", amount=1000),
                   event(f"r{n}b", "refund", "succeeded", kind="refund", amount=700,
                         parent=f"p{n}")]
    return events[::2] + events[1::2]  # objects interleaved, each in its own order


def _decide(store: Store, events: list[Event], max_inputs: int | None) -> list[Outcome]:
    engine = Orchestrator(shop_charts(), store)
    if max_inputs is None:
        return [engine.apply(e).outcome for e in events]
    with store.batch(max_inputs=max_inputs, max_seconds=60):
        return [engine.apply(e).outcome for e in events]


@pytest.mark.parametrize("max_inputs", [1, 7, 1000])
def test_a_batch_stores_what_one_decision_at_a_time_stores(tmp_path: Path,
                                                           max_inputs: int) -> None:
    """Same outcomes, journal cells, chain and objects as unbatched commits and as the memory
    store, dictionaries trained at the same seqs (training reads rows still staged)."""
    events = _stream(90)
    batched, single, twin = (SQLiteStore(tmp_path / "b.db"), SQLiteStore(tmp_path / "s.db"),
                             MemoryStore())
    outcomes = _decide(batched, events, max_inputs)
    assert outcomes == _decide(single, events, None) == _decide(twin, events, None)
    assert {Outcome.APPLIED, Outcome.DUPLICATE} <= set(outcomes)
    assert ([(s.cells, s.chain) for s in batched.stored_journal()]
            == [(s.cells, s.chain) for s in single.stored_journal()]
            == [(tuple(s.cells), s.chain) for s in twin.stored_journal()])
    assert (list(batched.objects(placeholders=True)) == list(single.objects(placeholders=True))
            == sorted(twin.objects(placeholders=True), key=lambda r: r.key))
    for path in ("b.db", "s.db"):
        with sqlite3.connect(tmp_path / path) as db:
            assert [r[0] for r in db.execute("SELECT trained_at FROM dictionaries")] == [65, 260]
    assert verify_chain(batched.stored_journal()).ok
    assert replay(batched, shop_charts()).ok
    batched.close()
    single.close()


def test_reads_inside_a_batch_see_its_staged_decisions(tmp_path: Path) -> None:
    """Children, history, the journal and the objects read by SQL find what is staged."""
    store = SQLiteStore(tmp_path / "s.db")
    child = ObjectRecord("shop/refund/r1", "shop_refund", "succeeded", parent=KEY)
    with store.batch(max_inputs=100, max_seconds=60):
        store.commit(entry("k1"), [record(1)])
        store.commit(entry(), [child])
        assert store.children(KEY) == [child]
        assert [e.dedupe_key for e in store.history(KEY)] == ["k1"]
        assert [e.seq for e in store.journal()] == [1, 2]
        assert store.chain_head()[0] == 2
        assert [r.key for r in store.objects()] == [KEY, child.key]
        assert store.seen(KEY, "k1") and not store.seen(KEY, "k2")
    store.close()


def test_children_and_references_follow_a_staged_move(tmp_path: Path) -> None:
    """A staged record that names another parent or reference leaves the stored one's
    answer at once (the stored rows still say otherwise until the transaction ends)."""
    store = SQLiteStore(tmp_path / "s.db")
    other = "shop/payment/p2"
    child = ObjectRecord("shop/refund/r1", "shop_refund", "succeeded", parent=KEY,
                         reference="order-1")
    moved = attrs.evolve(child, version=2, parent=other, reference="order-2")
    with store.batch(max_inputs=1, max_seconds=60):
        store.commit(entry(), [child])  # committed: the stored rows say KEY, order-1
        assert store.children(KEY) == [child]
        assert store.by_reference("shop", "order-1") == [child]
    with store.batch(max_inputs=100, max_seconds=60):
        store.commit(entry(), [moved])
        assert store.children(KEY) == [] and store.children(other) == [moved]
        assert store.by_reference("shop", "order-1") == []
        assert store.by_reference("shop", "order-2") == [moved]
        assert store.by_reference("other", "order-2") == []
    assert store.children(other) == [moved] and store.by_reference("shop", "order-1") == []
    store.close()


def test_a_refused_decision_in_a_batch_stages_nothing(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    with store.batch(max_inputs=100, max_seconds=60):
        store.commit(entry("k1"), [record(1)])
        with pytest.raises(DuplicateKeyError):
            store.commit(entry("k1"), [record(2, "refunded")])
        with pytest.raises(VersionConflictError):
            store.commit(entry("k2"), [record(3, "refunded")])
        with pytest.raises(VersionConflictError):
            store.commit(entry("k3"), [record(2)], reads=[("shop/payment/other", 1)])
        assert store.get(KEY) == record(1)
        assert not store.seen(KEY, "k2")
        assert store.commit(entry("k2"), [record(2, "refunded")]) == 2
    assert [e.claimed_key for e in store.journal()] == ["k1", "k2"]
    assert verify_chain(store.stored_journal()).ok
    store.close()


def test_a_rolled_back_batch_leaves_no_cached_write_behind(tmp_path: Path) -> None:
    """An error inside the batch rolls its open transaction back: the next reads, in this
    batch's thread and in a new batch, find what was committed, not what was staged."""
    store = SQLiteStore(tmp_path / "s.db")
    engine = Orchestrator(shop_charts(), store)

    def fail_mid_transaction() -> None:
        with store.batch(max_inputs=2, max_seconds=60):
            engine.apply(event("p1", "pay", "paid", amount=1000))
            engine.apply(event("p2", "pay", "paid", amount=1000))  # ends a transaction
            engine.apply(event("p1", "refund", "paid", amount=300, key="lost"))
            raise RuntimeError("the caller failed")

    with pytest.raises(RuntimeError):
        fail_mid_transaction()
    paid = store.get(KEY)
    assert paid is not None and paid.version == 1 and paid.ledger.refunded == 0
    assert not store.seen(KEY, "lost")
    assert [e.seq for e in store.journal()] == [1, 2]
    with store.batch():
        again = engine.apply(event("p1", "refund", "paid", amount=300, key="lost"))
    assert again.outcome is Outcome.APPLIED
    assert [e.seq for e in store.entries()] == [1, 2, 3]
    assert verify_chain(store.stored_journal()).ok
    store.close()


def test_two_stores_on_one_file_see_each_others_commits_between_transactions(
        tmp_path: Path) -> None:
    """One long batch caches records across its transactions; another connection's commit
    in between drops that cache, so the next decision reads what is stored now."""
    path = tmp_path / "shared.sqlite"
    ours, theirs = SQLiteStore(path), SQLiteStore(path)
    charts = shop_charts()
    mine, other = Orchestrator(charts, ours), Orchestrator(charts, theirs)
    with ours.batch(max_inputs=1, max_seconds=60):
        mine.apply(event("p1", "pay", "paid", amount=1000))
        assert ours.get(KEY) is not None  # cached now
        with theirs.batch(max_inputs=1, max_seconds=60):
            refund = other.apply(event("p1", "refund", "paid", amount=300, key="r1"))
        assert refund.outcome is Outcome.APPLIED
        cached = ours.get(KEY)
        assert cached is not None and cached.ledger.refunded == 300
        assert ours.seen(KEY, "r1")
        second = mine.apply(event("p1", "refund", "paid", amount=300, key="r2"))
        assert second.outcome is Outcome.APPLIED
        assert mine.apply(event("p1", "refund", "paid", amount=300, key="r1")).outcome \
            is Outcome.DUPLICATE
    final = theirs.get(KEY)
    assert final is not None and final.ledger.refunded == 600 and final.version == 3
    assert verify_chain(ours.stored_journal()).ok
    ours.close()
    theirs.close()


_CRASHING = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, {tests!r})
    from engine.support import event, shop_charts
    from paychart import Orchestrator, SQLiteStore
    store = SQLiteStore({path!r})
    engine = Orchestrator(shop_charts(), store)
    with store.batch(max_inputs=5, max_seconds=600):
        for n in range({fed}):
            engine.apply(event(f"p{{n}}", "pay", "paid", amount=100 + n))
        os.kill(os.getpid(), signal.SIGKILL)
""")


def test_a_killed_batch_loses_no_committed_decision(tmp_path: Path) -> None:
    """kill -9 inside a batch: every transaction committed before it is there, whole and
    chained; what was only staged is gone, and re-fed it is decided again."""
    path = tmp_path / "s.db"
    tests = str(Path(__file__).resolve().parent.parent)
    script = _CRASHING.format(tests=tests, path=str(path), fed=13)
    done = subprocess.run([sys.executable, "-c", script], check=False,  # noqa: S603
                          capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    store = SQLiteStore(path)
    assert [e.seq for e in store.journal()] == list(range(1, 11))  # two whole transactions
    assert verify_chain(store.stored_journal()).ok
    engine = Orchestrator(shop_charts(), store)
    with store.batch():
        outcomes = [engine.apply(event(f"p{n}", "pay", "paid", amount=100 + n)).outcome
                    for n in range(13)]
    assert outcomes == [Outcome.DUPLICATE] * 10 + [Outcome.APPLIED] * 3
    assert replay(store, shop_charts()).ok
    store.close()
    assert os.path.exists(path)


def test_the_cache_stays_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sqlite_batch, "RECORDS_KEPT", 8)
    monkeypatch.setattr(_sqlite_batch, "CLAIMS_KEPT", 8)
    store = SQLiteStore(tmp_path / "s.db")
    engine = Orchestrator(shop_charts(), store)
    largest = 0
    with store.batch(max_inputs=4, max_seconds=60):
        for n in range(60):
            engine.apply(event(f"p{n}", "pay", "paid", amount=100))
            batch = store._local.batch
            largest = max(largest, len(batch.records) + len(batch.taken) + len(batch.free))
    assert largest <= 8 + 8 + 2 * 4  # the caps, plus one transaction's reads
    assert len(list(store.objects())) == 60
    store.close()


_CELL = st.one_of(st.none(), st.integers(-(2**70), 2**70), st.booleans(),
                  st.text(st.characters(codec="utf-8") | st.sampled_from("\"\\\n\x00é😀")),
                  st.binary(max_size=4))


@given(st.lists(_CELL, min_size=len(JOURNAL_COLUMNS),
                max_size=len(JOURNAL_COLUMNS)))
def test_entry_texts_are_the_chains_canonical_bytes(cells: list[object]) -> None:
    """Each cell is encoded once for both texts: they must stay what ``chain`` hashes."""
    full, packed = packing.entry_texts(cells)
    assert full == canonical(cells)
    assert packed == canonical([cells[i] for i in packing._PACKED_AT])
    assert packing.link_text("a" * 64, full).hex() == link_cells("a" * 64, cells)
