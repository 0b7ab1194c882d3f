"""The stores' reference index: objects by (provider, merchant reference), in memory and in
SQLite, and the SQLite migration that adds the column to an existing store."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from paychart import MemoryStore, Orchestrator, SQLiteStore, Store, StoreError
from paychart.stores import _rows

from .support import event, shop_charts

OPENERS: dict[str, Callable[[Path], Store]] = {
    "memory": lambda _: MemoryStore(),
    "sqlite": lambda directory: SQLiteStore(directory / "store.db", synchronous="OFF"),
}


@pytest.mark.parametrize("name", sorted(OPENERS))
def test_objects_by_reference(name: str, tmp_path: Path) -> None:
    store = OPENERS[name](tmp_path)
    orchestrator = Orchestrator(shop_charts(), store)
    orchestrator.apply(event("p2", "pay", "paid", amount=100, reference="O-1"))
    orchestrator.apply(event("p1", "authorize", "held", amount=100, reference="O-1"))
    orchestrator.apply(event("p3", "pay", "paid", amount=100, reference="O-2"))
    orchestrator.apply(event("p4", "pay", "paid", amount=100))
    orchestrator.apply(event("p1", "capture", "paid", amount=100, reference="O-2"))
    found = store.by_reference("shop", "O-1")
    assert [(r.object_id, r.state) for r in found] == [("p1", "paid"), ("p2", "paid")]
    assert [r.object_id for r in store.by_reference("shop", "O-2")] == ["p3"]
    assert store.by_reference("sho", "O-1") == []  # a provider prefix is not the provider
    assert store.by_reference("shop", "O-3") == []
    store.close()


def test_sqlite_keeps_the_reference_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    store = SQLiteStore(path, synchronous="OFF")
    Orchestrator(shop_charts(), store).apply(event("p1", "pay", "paid", amount=5,
                                                   reference="O-9"))
    store.close()
    reopened = SQLiteStore(path, read_only=True)
    record = reopened.get("shop/payment/p1")
    assert record is not None and record.reference == "O-9"
    reopened.close()


def test_a_store_from_before_references_is_migrated(tmp_path: Path) -> None:
    """A schema-2 file (no reference column, no chain) opens, gains the column and index
    (and the chain), keeps its objects, and indexes what is decided from then on."""
    path = tmp_path / "store.db"
    store = SQLiteStore(path, synchronous="OFF")
    Orchestrator(shop_charts(), store).apply(event("p1", "pay", "paid", amount=5))
    store.close()
    db = sqlite3.connect(path)
    db.executescript("DROP INDEX objects_by_reference; ALTER TABLE objects DROP COLUMN "
                     "reference; ALTER TABLE journal DROP COLUMN chain; "
                     "UPDATE meta SET value = '2' WHERE key = 'schema_version';")
    db.close()
    with pytest.raises(StoreError, match="schema version 2"):
        SQLiteStore(path, read_only=True)
    migrated = SQLiteStore(path, synchronous="OFF")
    assert migrated.get("shop/payment/p1") is not None
    Orchestrator(shop_charts(), migrated).apply(event("p2", "pay", "paid", amount=5,
                                                      reference="O-1"))
    assert [r.object_id for r in migrated.by_reference("shop", "O-1")] == ["p2"]
    migrated.close()
    db = sqlite3.connect(path)
    version = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0]
    indexes = {row[1] for row in db.execute("PRAGMA index_list(objects)")}
    db.close()
    assert int(version) == _rows.SCHEMA_VERSION
    assert "objects_by_reference" in indexes
