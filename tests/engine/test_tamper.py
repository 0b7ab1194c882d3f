"""Every one-cell or one-row edit of a SQLite journal that issue 19 lists is caught by
``paychart verify``, which names the first broken entry by seq; a truncated tail is caught
only against a head recorded earlier; any single byte changed in any stored cell is caught.

The store holds two real CardLink sequences: ``forged`` (an applied payment, a forged callback
journaled ``invalid``, the genuine one) then ``partial_refund`` (applied, rejected, duplicate
and stale entries)."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from paychart.chain import link_cells
from paychart.charts import ChartSet
from paychart.cli import main
from paychart.exit import EXIT_FINDINGS, EXIT_OK
from paychart.journal import JOURNAL_COLUMNS
from paychart.replay import replay
from paychart.secrets import Secrets
from paychart.stores import _rows
from paychart.stores import _sqlite_journal as _packed
from paychart.stores.sqlite import SQLiteStore
from paychart.validate import validate_file

FIXTURES = Path(__file__).resolve().parents[1] / "adapters/fixtures/cardlink"
SEQUENCES = ("forged", "partial_refund")
INVALID, REJECTED, DUPLICATE, STALE_LAST = 2, 9, 12, 13
"""Seqs of the entries the edits aim at (asserted by ``test_the_store_holds_every_kind``)."""
Edit = Callable[[sqlite3.Connection], None]
_LINE, _OUTCOME = JOURNAL_COLUMNS.index("line"), JOURNAL_COLUMNS.index("outcome")
_PAYLOAD = JOURNAL_COLUMNS.index("payload")
CHARTS = ChartSet.bundled()


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tamper") / "journal.sqlite"
    secrets = Secrets.load(FIXTURES / "secrets.toml")
    store = SQLiteStore(path)
    for name in SEQUENCES:
        validate_file(FIXTURES / "sequences" / f"{name}.jsonl", secrets=secrets, store=store)
    store.close()
    return path


def _copy(filled: Path, folder: Path) -> Path:
    copy = folder / "copy.sqlite"
    shutil.copyfile(filled, copy)
    return copy


def _edit(path: Path, edit: Edit) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        edit(db)
    finally:
        db.close()


def _verify(capsys: pytest.CaptureFixture[str], path: Path, *extra: str
            ) -> tuple[int, dict[str, Any]]:
    status = main(["verify", f"sqlite:{path}", "--format", "json", *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    return status, json.loads(captured.out)


def _entry_cells(db: sqlite3.Connection, seq: int) -> list[object]:
    """The entry's cells as the store reads them (its packed cell inflated)."""
    row = db.execute(_packed.select_rows(_rows.SCHEMA_VERSION) + " WHERE seq=?",
                     (seq,)).fetchone()
    return list(_packed.row_cells(db, _packed.Dictionaries(), row))


def _write_cells(db: sqlite3.Connection, seq: int, cells: list[object]) -> None:
    """What an attacker who runs paychart's own code writes: the cells packed again with the
    row's dictionary, the outcome and line columns and the claim set from them."""
    dictionary = db.execute("SELECT dictionary FROM journal WHERE seq=?", (seq,)).fetchone()[0]
    zdict = None if dictionary is None else _packed.Dictionaries().data(db, dictionary)
    claimed_object, claimed_key = _packed.claimed_of(cells)
    db.execute("UPDATE journal SET packed=?, line=?, outcome=?, claim=? WHERE seq=?",
               (_packed.packed_text(cells, zdict), cells[_LINE], cells[_OUTCOME],
                _packed.claim(claimed_object, claimed_key), seq))


def _set_cell(db: sqlite3.Connection, seq: int, **cells: object) -> None:
    found = _entry_cells(db, seq)
    for column, value in cells.items():
        found[JOURNAL_COLUMNS.index(column)] = value
    _write_cells(db, seq, found)


def _decision(db: sqlite3.Connection, seq: int) -> dict[str, Any]:
    text = _entry_cells(db, seq)[JOURNAL_COLUMNS.index("decision")]
    assert isinstance(text, str)
    found: dict[str, Any] = json.loads(text)
    return found


def _set_decision(db: sqlite3.Connection, seq: int, **changes: Any) -> None:
    decision = {**_decision(db, seq), **changes}
    _set_cell(db, seq, decision=json.dumps(decision, separators=(",", ":"),
                                           ensure_ascii=False))


def _renumber(db: sqlite3.Connection, moves: dict[int, int]) -> None:
    """Give entries new seqs (through negatives: seq is the primary key)."""
    for old in moves:
        db.execute("UPDATE journal SET seq=? WHERE seq=?", (-old, old))
    for old, new in moves.items():
        db.execute("UPDATE journal SET seq=? WHERE seq=?", (new, -old))


def _insert_copy_of_duplicate(db: sqlite3.Connection) -> None:
    """A fake entry at seq 5 (a copy of the duplicate, which claims nothing), later ones
    shifted up by one."""
    _renumber(db, {seq: seq + 1 for seq in range(5, STALE_LAST + 1)})
    columns = "line, outcome, claim, dictionary, packed, chain"
    db.execute(f"INSERT INTO journal (seq, {columns}) "  # noqa: S608 - constant columns
               f"SELECT 5, {columns} FROM journal WHERE seq=?", (DUPLICATE + 1,))


def _invalid_as_applied(db: sqlite3.Connection) -> None:
    _set_decision(db, INVALID, outcome="applied", field=None)
    db.execute("UPDATE journal SET outcome='applied' WHERE seq=?", (INVALID,))


def _delete(seq: int) -> Edit:
    return lambda db: db.execute("DELETE FROM journal WHERE seq=?", (seq,)).close()


EDITS: dict[str, tuple[Edit, int | None]] = {
    "an edited outcome cell": (
        lambda db: db.execute("UPDATE journal SET outcome='applied' WHERE seq=?",
                              (REJECTED,)).close(), REJECTED),
    "a decision's ledger": (
        lambda db: _set_decision(db, 5, ledger={"currency": "EUR", "authorized": 10000,
                                                "captured": 1000, "refunded": 0,
                                                "charged_back": 0}), 5),
    "a decision's reason": (
        lambda db: _set_decision(db, REJECTED, reason="approved by the back office"),
        REJECTED),
    "an invalid row rewritten as applied": (_invalid_as_applied, INVALID),
    "a deleted duplicate row": (_delete(DUPLICATE), DUPLICATE + 1),
    "a deleted rejected row": (_delete(REJECTED), REJECTED + 1),
    "a deleted invalid row": (_delete(INVALID), INVALID + 1),
    "a payload that no longer matches its digest": (
        lambda db: _set_cell(db, 5, payload=str(_entry_cells(db, 5)[_PAYLOAD]).replace(
            "10000", "1000")), 5),
    "a cleared dedupe claim": (
        lambda db: _set_cell(db, 7, claimed_key=None, claimed_object=None), 7),
    "a cleared claim column": (
        lambda db: db.execute("UPDATE journal SET claim=NULL WHERE seq=7").close(), None),
    "an edited claim column": (
        lambda db: db.execute("UPDATE journal SET claim=? WHERE seq=7", (
            _packed.claim("cardlink/payment/another", "another key"),)).close(), None),
    "an inserted row": (_insert_copy_of_duplicate, 5),
    "two rows swapped": (lambda db: _renumber(db, {3: 4, 4: 3}), 3),
    "a non-JSON decision cell": (
        lambda db: _set_cell(db, 8, decision='{"outcome": applied'), 8),
    "a packed cell that does not inflate": (
        lambda db: db.execute("UPDATE journal SET packed=substr(packed, 1, 40) "
                              "WHERE seq=6").close(), 6),
}


def test_the_store_holds_every_kind(filled: Path) -> None:
    with sqlite3.connect(filled) as db:
        outcomes = dict(db.execute("SELECT seq, outcome FROM journal").fetchall())
    assert (outcomes[INVALID], outcomes[REJECTED], outcomes[DUPLICATE],
            outcomes[STALE_LAST]) == ("invalid", "rejected", "duplicate", "stale")
    assert max(outcomes) == STALE_LAST


def test_a_clean_store_verifies(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, report = _verify(capsys, filled)
    assert status == EXIT_OK
    assert report["findings"] == [] and report["first_broken"] is None
    assert report["entries"] == STALE_LAST and report["head"]["seq"] == STALE_LAST
    status, again = _verify(capsys, filled, "--head", report["head"]["chain"])
    assert (status, again["findings"]) == (EXIT_OK, [])


@pytest.mark.parametrize("name", sorted(EDITS))
def test_each_edit_is_caught_at_its_seq(name: str, filled: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    edit, broken = EDITS[name]
    copy = _copy(filled, tmp_path)
    _edit(copy, edit)
    status, report = _verify(capsys, copy)
    assert status == EXIT_FINDINGS
    assert report["first_broken"] == broken
    assert report["findings"][0]["seq"] == broken


def test_a_payload_edit_is_named_as_such(filled: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    copy = _copy(filled, tmp_path)
    _edit(copy, EDITS["a payload that no longer matches its digest"][0])
    _status, report = _verify(capsys, copy)
    assert {"seq": 5, "check": "payload",
            "reason": "the payload does not match its payload_sha256"} in report["findings"]


def test_the_last_row_deleted_is_caught_only_against_a_recorded_head(
        filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _status, before = _verify(capsys, filled)
    copy = _copy(filled, tmp_path)
    _edit(copy, _delete(STALE_LAST))
    status, _report = _verify(capsys, copy)
    assert status == EXIT_OK, "a stale entry changes nothing: without a head, nothing shows"
    status, report = _verify(capsys, copy, "--head", before["head"]["chain"])
    assert status == EXIT_FINDINGS
    assert [f["check"] for f in report["findings"]] == ["head"]


def _rechain(db: sqlite3.Connection) -> None:
    """What an attacker with write access does after an edit: recompute every link."""
    previous = "0" * 64
    for (seq,) in db.execute("SELECT seq FROM journal ORDER BY seq").fetchall():
        previous = link_cells(previous, _entry_cells(db, seq))
        db.execute("UPDATE journal SET chain=? WHERE seq=?",
                   (base64.b64encode(bytes.fromhex(previous)).decode(), seq))


@pytest.mark.parametrize(("name", "check"), [("a non-JSON decision cell", "entry"),
                                             ("a cleared dedupe claim", "claims"),
                                             ("an edited outcome cell", "entry"),
                                             ("an invalid row rewritten as applied",
                                              "entry")])
def test_a_rechained_journal_still_fails_what_replay_checks(
        name: str, check: str, filled: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    edit, broken = EDITS[name]
    copy = _copy(filled, tmp_path)

    def edit_then_rechain(db: sqlite3.Connection) -> None:
        edit(db)
        _rechain(db)

    _edit(copy, edit_then_rechain)
    status, report = _verify(capsys, copy)
    assert status == EXIT_FINDINGS
    assert report["findings"][0]["seq"] == broken
    assert report["findings"][0]["check"] == check


def test_replay_checks_the_chain_too(filled: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    copy = _copy(filled, tmp_path)
    _edit(copy, EDITS["a decision's reason"][0])
    assert main(["replay", f"sqlite:{copy}", "--format", "json"]) == EXIT_FINDINGS
    differences = json.loads(capsys.readouterr().out)["differences"]
    assert differences[0].startswith(f"journal #{REJECTED}: the chain does not match")


def _cells(path: Path) -> list[tuple[int, str, object]]:
    """(seq, column, value) of every stored non-NULL journal cell: the packed cells, the
    claim and the chain included."""
    with sqlite3.connect(path) as db:
        cursor = db.execute("SELECT * FROM journal")
        rows = cursor.fetchall()
    columns = tuple(column[0] for column in cursor.description)
    assert {"packed", "claim", "chain"} <= set(columns)
    return [(row[0], column, value) for row in rows
            for column, value in zip(columns, row, strict=True) if value is not None]


@given(data=st.data())
def test_any_single_byte_change_of_any_cell_is_caught(filled: Path, data: st.DataObject
                                                     ) -> None:
    cells = _cells(filled)
    seq, column, value = data.draw(st.sampled_from(cells), label="cell")
    stored = str(value).encode("utf-8")
    at = data.draw(st.integers(0, len(stored) - 1), label="byte")
    byte = data.draw(st.integers(0, 255).filter(lambda b: b != stored[at]), label="to")
    changed = stored[:at] + bytes([byte]) + stored[at + 1:]
    with tempfile.TemporaryDirectory() as folder:
        copy = _copy(filled, Path(folder))
        db = sqlite3.connect(copy, isolation_level=None)
        try:
            if isinstance(value, int):
                assume(changed.isdigit() and int(changed) != value)
                db.execute(f"UPDATE journal SET {column}=? WHERE seq=?",  # noqa: S608
                           (int(changed), seq))
            else:
                db.execute(f"UPDATE journal SET {column}=CAST(? AS TEXT) "  # noqa: S608
                           "WHERE seq=?", (changed, seq))
        except sqlite3.IntegrityError:
            assume(False)  # another entry's seq already: not a one-cell edit
        finally:
            db.close()
        store = SQLiteStore(copy, read_only=True)
        try:
            report = replay(store, CHARTS)
        finally:
            store.close()
    assert not report.ok
