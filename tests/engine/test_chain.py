"""The journal's hash chain: its formula, computed at append by every store (the same chain
for the same inputs), kept intact by batches, rollbacks and concurrent writers, added to a v3
store by its migration (and never written by a read-only opening), and shown as the head by
``verify`` and the audit's provenance."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import (
    Decision,
    DuplicateKeyError,
    JournalEntry,
    MemoryStore,
    Orchestrator,
    Outcome,
    SQLiteStore,
    Store,
)
from paychart._audit_source import from_store
from paychart.chain import GENESIS, NOT_CHAINED, StoredEntry, canonical, link, verify_chain
from paychart.cli import main
from paychart.exit import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE
from paychart.journal import UnreadableEntryError, entry_from_cells, journal_cells
from paychart.stores import _rows

from .support import SHOP_FILES, event, shop_charts

EVENTS = [event("p1", "pay", "paid", amount=500), event("p1", "pay", "paid", amount=500),
          event("p2", "decline", "declined"), event("p1", "refund", "paid", amount=100,
                                                    key="r1")]
CHART_ARGS = [arg for path in SHOP_FILES for arg in ("--chart", str(path))]


def _fill(store: Store) -> None:
    engine = Orchestrator(shop_charts(), store)
    for e in EVENTS:
        engine.apply(e)


def _stores(tmp_path: Path) -> list[Store]:
    return [MemoryStore(), SQLiteStore(tmp_path / "s.db")]


def test_link_is_sha256_of_the_previous_chain_and_the_stored_cells() -> None:
    entry = JournalEntry(Decision(Outcome.APPLIED, "paid"), event=EVENTS[0],
                         claimed_key=EVENTS[0].dedupe_key, line=7, seq=1)
    cells = journal_cells(entry, 1)
    expected = hashlib.sha256(GENESIS.encode() + json.dumps(
        list(cells), separators=(",", ":"), ensure_ascii=False).encode()).hexdigest()
    assert link(GENESIS, entry) == expected
    assert link("1" * 64, entry) != expected
    assert link(GENESIS, JournalEntry(entry.decision, entry.event, entry.claimed_key, line=8,
                                      seq=1)) != expected


def test_every_store_chains_each_entry_to_the_one_before(tmp_path: Path) -> None:
    heads = []
    for store in _stores(tmp_path):
        assert store.chain_head() == (0, GENESIS)  # type: ignore[attr-defined]
        _fill(store)
        previous = GENESIS
        for entry in store.journal():
            assert entry.chain == link(previous, entry)
            previous = entry.chain
        heads.append(store.chain_head())  # type: ignore[attr-defined]
        assert heads[-1] == (len(EVENTS), previous)
        assert verify_chain(store.stored_journal()).ok  # type: ignore[attr-defined]
        store.close()
    assert heads[0] == heads[1], "the chain depends on the entries, not on the store"


def test_a_batch_with_a_rolled_back_decision_keeps_the_chain(tmp_path: Path) -> None:
    for store in _stores(tmp_path):
        claim = event("p9", "pay", "paid", key="k9")
        taken = JournalEntry(Decision(Outcome.APPLIED, "t"), event=claim, claimed_key="k9")
        with store.batch(max_inputs=3):
            _fill(store)
            store.commit(taken, ())
            with pytest.raises(DuplicateKeyError):
                store.commit(taken, ())
            _fill(store)
        report = verify_chain(store.stored_journal())  # type: ignore[attr-defined]
        assert report.ok and report.entries == 2 * len(EVENTS) + 1
        assert report.head == store.chain_head()  # type: ignore[attr-defined]
        store.close()


def test_concurrent_writers_on_one_file_keep_one_chain(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    SQLiteStore(path).close()

    def worker(n: int) -> None:
        store = SQLiteStore(path)
        engine = Orchestrator(shop_charts(), store)
        for i in range(15):
            engine.apply(event(f"w{n}-{i % 4}", "pay", "paid", amount=100 + i))
        store.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    store = SQLiteStore(path, read_only=True)
    report = verify_chain(store.stored_journal())
    store.close()
    assert report.ok and report.entries == 45


def as_v4(path: Path) -> None:
    """Rewrite the store at ``path`` as schema v4 wrote it: wide journal rows, the chain as
    hex text, no claim, dictionary or packed column and no dictionaries table."""
    store = SQLiteStore(path, read_only=True)
    rows = [(*stored.cells, stored.chain) for stored in store.stored_journal()]
    store.close()
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript("DROP TABLE journal; DROP TABLE dictionaries;" + _rows._JOURNAL)
    db.executemany(_rows.INSERT_JOURNAL, rows)
    db.execute("UPDATE meta SET value='4' WHERE key='schema_version'")
    db.close()  # the last connection: its WAL is checkpointed into the file now


def _downgrade_to_v3(path: Path) -> None:
    """The store as schema v3 wrote it: no chain column."""
    as_v4(path)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("ALTER TABLE journal DROP COLUMN chain")
    db.execute("UPDATE meta SET value='3' WHERE key='schema_version'")
    db.close()


def test_a_v3_store_is_chained_at_migration_and_read_only_never_writes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "old.db"
    store = SQLiteStore(path)
    _fill(store)
    head = store.chain_head()
    store.close()
    _downgrade_to_v3(path)
    before = path.read_bytes()

    reader = SQLiteStore(path, read_only=True)
    assert (reader.chained, reader.chained_from()) == (False, None)
    assert reader.chain_head() == (len(EVENTS), NOT_CHAINED)
    assert len(list(reader.journal())) == len(EVENTS)
    reader.close()
    assert main(["verify", f"sqlite:{path}", *CHART_ARGS]) == EXIT_FINDINGS
    assert capsys.readouterr().out.splitlines()[1:] == [
        "head: not chained", "1 finding:",
        "  - [chain] the store is not chained (schema v3 opened read-only): open it once for "
        "writing to migrate and chain it"]
    assert path.read_bytes() == before

    writer = SQLiteStore(path)
    assert writer.chain_head() == head, "migration chains the same cells the same way"
    assert writer.chained_from() == len(EVENTS) + 1
    Orchestrator(shop_charts(), writer).apply(event("p3", "pay", "paid", amount=900))
    assert verify_chain(writer.stored_journal()).ok
    writer.close()
    assert main(["verify", f"sqlite:{path}", *CHART_ARGS]) == EXIT_OK
    assert f"chained from seq {len(EVENTS) + 1}" in capsys.readouterr().out


def test_verify_prints_the_head_the_audit_shows(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.db"
    store = SQLiteStore(path)
    _fill(store)
    seq, chain = store.chain_head()
    store.close()
    assert main(["verify", f"sqlite:{path}", *CHART_ARGS]) == EXIT_OK
    out = capsys.readouterr().out
    assert f"head: entry #{seq} chain {chain}" in out
    audited = from_store(f"sqlite:{path}", charts=shop_charts())
    assert audited.provenance.chain_head == f"entry #{seq}: {chain}"


@pytest.mark.parametrize("head", ["abc", "g" * 64, "0" * 63])
def test_a_malformed_head_is_a_usage_error(head: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.db"
    SQLiteStore(path).close()
    assert main(["verify", f"sqlite:{path}", "--head", head]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--head wants the 64 hex digits" in err


def test_an_unknown_head_is_a_finding_even_on_a_clean_journal(tmp_path: Path) -> None:
    store = MemoryStore()
    _fill(store)
    report = verify_chain(store.stored_journal(), head="a" * 64)
    assert [(f.seq, f.check) for f in report.findings] == [(None, "head")]
    assert verify_chain(store.stored_journal(), head=store.chain_head()[1]).ok
    first = next(store.stored_journal())
    assert verify_chain(store.stored_journal(), head=first.chain).ok, "an earlier head holds"


@pytest.mark.parametrize(("decision", "problem"), [
    ("not json", "is not JSON"), ("42", "is not a valid decision"),
    ('{"outcome": "won", "reason": "x"}', "is not a valid decision"),
    ('{"outcome": "applied", "reason": "x", "ledger": "full"}', "is not a valid decision")])
def test_a_bad_decision_cell_names_its_seq_not_its_text(decision: str, problem: str) -> None:
    store = MemoryStore()
    _fill(store)
    stored = next(store.stored_journal())
    cells = list(stored.cells)
    cells[cells.index(json.dumps(json.loads(str(cells[11])), separators=(",", ":"),
                                 ensure_ascii=False))] = decision
    with pytest.raises(UnreadableEntryError) as raised:
        entry_from_cells(cells)
    assert (raised.value.seq, raised.value.column) == (1, "decision")
    assert problem in str(raised.value) and decision not in str(raised.value)
    assert not verify_chain([StoredEntry(tuple(cells), stored.chain)]).ok


def test_the_outbox_reads_entries_as_the_journal_does(tmp_path: Path) -> None:
    """``entries`` (the outbox reader's pages) inflates packed rows as ``journal`` does."""
    store = SQLiteStore(tmp_path / "s.db")
    _fill(store)
    journal = list(store.journal())
    assert store.entries() == journal
    assert store.entries(after=1, limit=2) == journal[1:3]
    store.close()


_CELL = st.one_of(st.none(), st.integers(), st.text(), st.booleans(), st.binary(max_size=8),
                  st.floats(allow_nan=False))


@given(st.lists(_CELL, max_size=17))
def test_the_canonical_bytes_are_the_cells_as_one_compact_json_array(cells: list[object]
                                                                     ) -> None:
    """Every store's cells (text, integers, NULL) hash as their compact JSON array (the fast
    path), anything else tagged with its type, so it never hashes like a text or number."""
    tagged = [value if value is None or isinstance(value, str | int)  # bool is JSON true
              else ["bytes", value.hex()] if isinstance(value, bytes)
              else [type(value).__name__, repr(value)] for value in cells]
    expected = json.dumps(tagged, ensure_ascii=False, separators=(",", ":"))
    assert canonical(cells) == expected.encode("utf-8")
