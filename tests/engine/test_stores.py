"""Store contract, run against every store: atomic commit, versions, unique dedupe keys."""

from __future__ import annotations

import base64
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import (
    Decision,
    DuplicateKeyError,
    JournalEntry,
    MemoryStore,
    ObjectRecord,
    Orchestrator,
    Outcome,
    SQLiteStore,
    Store,
    VersionConflictError,
)
from paychart.chain import verify_chain
from paychart.errors import StoreError
from paychart.replay import replay

from .support import event, shop_charts


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    made: Store = MemoryStore() if request.param == "memory" else SQLiteStore(tmp_path / "s.db")
    yield made
    made.close()


def entry(key: str | None = None) -> JournalEntry:
    claim = event("p1", "pay", "paid", key=key) if key else None
    return JournalEntry(Decision(Outcome.APPLIED, "test"), event=claim, claimed_key=key)


def record(version: int, state: str = "paid") -> ObjectRecord:
    return ObjectRecord("shop/payment/p1", "shop_payment", state, version)


def test_commit_then_read_back(store: Store) -> None:
    seq = store.commit(entry("k1"), [record(1)])
    assert seq == 1
    assert store.get("shop/payment/p1") == record(1)
    assert store.seen("shop/payment/p1", "k1")
    assert not store.seen("shop/payment/p1", "k2")
    assert [e.seq for e in store.journal()] == [1]


def test_version_must_follow_the_stored_one(store: Store) -> None:
    store.commit(entry(), [record(1)])
    with pytest.raises(VersionConflictError):
        store.commit(entry(), [record(1, "declined")])
    with pytest.raises(VersionConflictError):
        store.commit(entry(), [record(3, "declined")])
    store.commit(entry(), [record(2, "refunded")])
    got = store.get("shop/payment/p1")
    assert got is not None and (got.state, got.version) == ("refunded", 2)


def test_failed_commit_writes_nothing(store: Store) -> None:
    store.commit(entry("k1"), [record(1)])
    with pytest.raises(DuplicateKeyError):
        store.commit(entry("k1"), [record(2, "refunded")])
    got = store.get("shop/payment/p1")
    assert got is not None and got.state == "paid"
    assert len(list(store.journal())) == 1
    with pytest.raises(VersionConflictError):
        store.commit(entry("k2"), [record(2, "refunded"), record(5)])
    assert not store.seen("shop/payment/p1", "k2")
    assert len(list(store.journal())) == 1


def test_batch_commits_many_decisions(store: Store) -> None:
    engine = Orchestrator(shop_charts(), store)
    with store.batch():
        for i in range(20):
            engine.apply(event(f"p{i}", "pay", "paid", amount=100 + i))
    assert len(list(store.objects())) == 20
    assert replay(store, shop_charts()).ok


def test_sqlite_journal_round_trips_events_and_decisions(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    engine = Orchestrator(shop_charts(), store, options=["allow_late_approval"])
    decisions = [engine.apply(e) for e in (
        event("p1", "decline", "declined"), event("p1", "pay", "paid", amount=500),
        event("p1", "pay", "paid", amount=500))]
    store.close()
    reopened = SQLiteStore(tmp_path / "s.db")
    entries = list(reopened.journal())
    assert [e.decision for e in entries] == decisions
    assert entries[1].options == ("allow_late_approval",)
    assert entries[2].claimed_key is None, "a duplicate claims nothing"
    assert replay(reopened, shop_charts()).ok
    reopened.close()


def test_replay_reports_a_tampered_store(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.db")
    Orchestrator(shop_charts(), store).apply(event("p1", "pay", "paid", amount=500))
    store._db.execute("UPDATE objects SET captured = 1 WHERE key = 'shop/payment/p1'")
    report = replay(store, shop_charts())
    assert not report.ok
    assert any("ledger stored" in d for d in report.differences)


def test_concurrent_workers_never_double_apply(tmp_path: Path) -> None:
    """Four workers, each with its own connection, deliver the same callbacks at once."""
    path = tmp_path / "shared.db"
    SQLiteStore(path).close()
    inputs = [event(f"p{i % 5}", "pay", "paid", amount=1000) for i in range(40)]
    inputs += [event(f"p{i % 5}", "refund", "paid", amount=100, key=f"r{i}") for i in range(20)]
    outcomes: list[Outcome] = []
    lock = threading.Lock()

    def worker() -> None:
        store = SQLiteStore(path)
        engine = Orchestrator(shop_charts(), store)
        for e in inputs:
            decision = engine.apply(e)
            with lock:
                outcomes.append(decision.outcome)
        store.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = SQLiteStore(path)
    assert outcomes.count(Outcome.APPLIED) == 5 + 20
    assert len(list(store.journal())) == 4 * len(inputs)
    ledgers = [r.ledger for r in store.objects()]
    assert sum(ledger.refunded for ledger in ledgers) == 20 * 100
    assert replay(store, shop_charts()).ok
    store.close()


@pytest.mark.parametrize("read_only", [False, True])
def test_a_store_written_by_a_newer_paychart_is_refused_untouched(tmp_path: Path,
                                                                  read_only: bool) -> None:
    """Reading or migrating a schema this version does not know would misread it."""
    path = tmp_path / "future.db"
    SQLiteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="schema version 99 was written by a newer paychart"):
        SQLiteStore(path, read_only=read_only)
    assert path.read_bytes() == before


def test_sqlite_decides_on_fresh_state_when_the_record_read_for_the_adapter_went_stale(
        tmp_path: Path) -> None:
    """``load`` takes the record ``get`` just read (the adapter's remembered facts) instead
    of reading it again; when another process changed it in between, the commit's version
    check refuses it and the decision is made again on what is stored now."""
    path = tmp_path / "shared.sqlite"
    ours, theirs = SQLiteStore(path), SQLiteStore(path)
    try:
        charts = shop_charts()
        Orchestrator(charts, ours).apply(event("p1", "pay", "paid", amount=1000))
        stale = ours.get(event("p1", "pay").key)  # what the adapter's lookup read
        assert stale is not None and stale.ledger.refunded == 0
        refund = Orchestrator(charts, theirs).apply(
            event("p1", "refund", "paid", amount=300, key="r1"))
        assert refund.outcome is Outcome.APPLIED
        second = Orchestrator(charts, ours).apply(
            event("p1", "refund", "paid", amount=300, key="r2"))
        assert second.outcome is Outcome.APPLIED
        record = ours.get(event("p1", "pay").key)
        assert record is not None and record.ledger.refunded == 600
        assert record.version == stale.version + 2
    finally:
        ours.close()
        theirs.close()


@given(st.integers(0, 160), st.integers(0, 80))
def test_memory_journal_reads_any_slice_across_its_packed_segments(after: int, limit: int
                                                                   ) -> None:
    """The memory store deflates its journal a segment at a time: every slice read as an
    outbox matches the whole journal read, and the whole still verifies."""
    entries = list(_PACKED.journal())
    assert [e.seq for e in entries] == list(range(1, 151))
    assert _PACKED.entries(after, limit) == entries[after:after + limit]
    assert verify_chain(_PACKED.stored_journal()).ok


def test_memory_history_reads_claims_across_its_packed_segments() -> None:
    """An object's history is read from sealed segments and the open one alike, and is
    what the whole journal says the object claimed."""
    entries = list(_PACKED.journal())
    for key in ("shop/payment/p0", "shop/payment/p39"):
        claimed = [e.event for e in entries if e.claimed_key and e.event and e.event.key == key]
        assert len(claimed) >= 3
        assert list(_PACKED.history(key)) == claimed


def _packed_store() -> MemoryStore:
    store = MemoryStore()
    orchestrator = Orchestrator(shop_charts(), store)
    for n in range(150):  # more than two segments, the last one open
        orchestrator.apply(event(f"p{n % 40}", "pay", "paid", amount=1000 + n, key=f"k{n}"))
    return store


_PACKED = _packed_store()


def _many(store: Store, count: int) -> None:
    engine = Orchestrator(shop_charts(), store)
    for n in range(count):
        engine.apply(event(f"p{n % 40}", "pay", "paid", amount=100 + n))


def test_sqlite_trains_dictionaries_and_reads_every_entry_back(tmp_path: Path) -> None:
    """Past ``TRAIN_FIRST`` entries rows are deflated with a dictionary the store trained;
    every entry reads back the same through ``journal``, ``entries`` and ``history``, the
    chain verifies and a memory store given the same inputs keeps the same cells."""
    path = tmp_path / "s.db"
    store, twin = SQLiteStore(path), MemoryStore()
    _many(store, 400)
    _many(twin, 400)
    with sqlite3.connect(path) as db:
        trained = [row[0] for row in db.execute("SELECT trained_at FROM dictionaries")]
        packed = db.execute("SELECT count(*) FROM journal WHERE dictionary IS NOT NULL"
                            ).fetchone()[0]
    assert trained == [65, 260]
    assert packed == 400 - 64
    assert [s.cells for s in store.stored_journal()] == [s.cells for s in twin.stored_journal()]
    assert store.entries(after=300, limit=5) == list(twin.journal())[300:305]
    assert store.history("shop/payment/p7") == twin.history("shop/payment/p7")
    assert verify_chain(store.stored_journal()).ok
    assert replay(store, shop_charts()).ok
    store.close()


def test_an_edited_dictionary_breaks_every_entry_packed_with_it(tmp_path: Path) -> None:
    """(An edit of bytes no entry refers to changes no entry: the entries are what the chain
    proves, the dictionary only how they are spelled.)"""
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    _many(store, 100)
    store.close()
    with sqlite3.connect(path) as db:
        (data,) = db.execute("SELECT data FROM dictionaries").fetchone()
        blank = base64.b64encode(bytes(len(base64.b64decode(data)))).decode()
        db.execute("UPDATE dictionaries SET data = ?", (blank,))
    reader = SQLiteStore(path, read_only=True)
    report = verify_chain(reader.stored_journal())
    reader.close()
    assert [f.seq for f in report.findings] == list(range(65, 101))


def test_a_v4_store_migrates_keeping_its_rows_and_packs_what_follows(tmp_path: Path) -> None:
    from .test_chain import as_v4

    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    _many(store, 10)
    before = list(store.journal())
    head = store.chain_head()
    store.close()
    as_v4(path)
    old = SQLiteStore(path, read_only=True)
    assert (old.version, list(old.journal()), old.chain_head()) == (4, before, head)
    old.close()
    migrated = SQLiteStore(path)
    assert (migrated.version, list(migrated.journal()), migrated.chain_head()) == (5, before,
                                                                                   head)
    assert migrated.seen("shop/payment/p3", before[3].claimed_key or "")
    _many(migrated, 12)  # the first ten are duplicates now, claimed before the migration
    assert [e.decision.outcome.value for e in migrated.entries(after=10)][:10] == [
        "duplicate"] * 10
    assert replay(migrated, shop_charts()).ok
    migrated.close()
    with sqlite3.connect(path) as db:
        wide = db.execute("SELECT count(*) FROM journal WHERE packed IS NULL").fetchone()[0]
    assert wide == 10
