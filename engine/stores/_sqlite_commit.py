"""One decision's write in the SQLite store: at once in its own transaction, or checked and
staged in a batch's (``_sqlite_batch``). Both give the row the same cells, packing and chain.

A row's link in the hash chain (``paychart.chain``) is computed at append, under the write
lock, so the previous link cannot change underneath it.
"""

from __future__ import annotations

import base64
import sqlite3
from collections.abc import Sequence

from ..chain import GENESIS, is_chain
from ..errors import DuplicateKeyError, VersionConflictError
from ..journal import JOURNAL_COLUMNS, JournalEntry, journal_cells
from ..record import ObjectRecord
from . import _rows
from . import _sqlite_journal as _packed
from ._sqlite_batch import Batch

_CHAIN_BASE64 = 44
_OUTCOME = JOURNAL_COLUMNS.index("outcome")


def commit_one(db: sqlite3.Connection, dictionaries: _packed.Dictionaries,
               entry: JournalEntry, records: Sequence[ObjectRecord],
               reads: Sequence[tuple[str, int]]) -> int:
    """The decision in one durable transaction (``BEGIN IMMEDIATE`` takes the write lock up
    front): ``UPDATE … WHERE version = ?`` must touch one row, an ``INSERT`` must not find
    the key, every read must be unchanged; anything else rolls it all back."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for key, version in reads:
            found = _version(db, key)
            if (found or 0) != version:
                raise VersionConflictError(key, version, found)
        for record in records:
            _write(db, record)
        last, previous = head(db)
        seq = last + 1
        cells = journal_cells(entry, seq)
        text, packed_cells = _packed.entry_texts(cells)
        dictionary, packed = dictionaries.pack(db, seq, packed_cells)
        chain = base64.b64encode(_packed.link_text(previous, text)).decode()
        try:
            db.execute(_packed.INSERT, (seq, entry.line, cells[_OUTCOME],
                                        _packed.claim(*_packed.claimed_of(cells)),
                                        dictionary, packed, chain))
        except sqlite3.IntegrityError:
            if entry.claimed_key is not None:
                raise DuplicateKeyError(entry.claimed_key) from None
            raise
    except BaseException:
        dictionaries.forget()
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
    return seq


def stage(db: sqlite3.Connection, batch: Batch, dictionaries: _packed.Dictionaries,
          entry: JournalEntry, records: Sequence[ObjectRecord],
          reads: Sequence[tuple[str, int]]) -> int:
    """The decision checked against the batch's cache and staged in its open transaction;
    ``VersionConflictError`` or ``DuplicateKeyError`` (in that order, as ``commit_one``)
    before anything is staged."""
    batch.check(db, records, reads)
    if batch.head is None:
        batch.head = head(db)
    seq = batch.head[0] + 1
    cells = journal_cells(entry, seq)
    claim = _packed.claim(*_packed.claimed_of(cells))
    if claim is not None and batch.is_taken(db, claim):
        raise DuplicateKeyError(str(entry.claimed_key))
    text, packed_cells = _packed.entry_texts(cells)
    dictionary, packed = dictionaries.pack(db, seq, packed_cells,
                                           lambda: batch.flush(db, _packed.INSERT))
    chain = _packed.link_text(batch.head[1], text)
    batch.stage((seq, entry.line, cells[_OUTCOME], claim, dictionary, packed,
                 base64.b64encode(chain).decode()), claim, (seq, chain.hex()), records)
    return seq


def head(db: sqlite3.Connection) -> tuple[int, str]:
    """(seq, chain in hex) of the journal's last entry, (0, ``GENESIS``) when empty; a
    damaged head chain gives ``GENESIS`` (verify reports it; the new link stays valid)."""
    last = db.execute(_rows.HEAD).fetchone()
    if last is None:
        return 0, GENESIS
    previous = chain_text(last[1]) or ""
    return int(last[0]), previous if is_chain(previous) else GENESIS


def _version(db: sqlite3.Connection, key: str) -> int | None:
    row = db.execute("SELECT version FROM objects WHERE key=?", (key,)).fetchone()
    return None if row is None else int(row[0])


def _write(db: sqlite3.Connection, record: ObjectRecord) -> None:
    values = _rows.object_values(record)
    if record.version == 1:
        try:
            db.execute(_rows.INSERT_OBJECT, values)
        except sqlite3.IntegrityError:
            raise VersionConflictError(record.key, 0, _version(db, record.key)) from None
        return
    cursor = db.execute(_rows.UPDATE_OBJECT, (*values[1:], record.key, record.version - 1))
    if cursor.rowcount != 1:
        raise VersionConflictError(record.key, record.version - 1, _version(db, record.key))


def chain_text(stored: object) -> str | None:
    """A stored chain as ``chain`` compares it: hex (v5 keeps the 32 bytes in base64, 44
    characters; v4 rows keep the 64 hex digits). Anything else is returned as it is, for
    ``verify`` to report."""
    if isinstance(stored, str) and len(stored) == _CHAIN_BASE64:
        try:
            raw = base64.b64decode(stored, validate=True)
        except ValueError:  # binascii.Error, or text that is not ASCII
            return stored
        # only the one canonical spelling: base64's unused trailing bits would let an edit
        # read back as the same 32 bytes
        return raw.hex() if base64.b64encode(raw).decode() == stored else stored
    if isinstance(stored, bytes):
        return stored.hex()
    return None if stored is None else str(stored)
