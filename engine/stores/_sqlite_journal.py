"""SQLite journal rows from schema v5 on: an entry in ~300 bytes instead of ~1,800.

A v5 row keeps as columns only what SQL looks up or operators query (``seq``, ``line``,
``outcome``, the dedupe ``claim`` digest), the chain's 32 bytes in base64, and every other cell
of the entry (``PACKED_COLUMNS``) as ``chain.canonical`` of those cells deflated in ``packed``
(base64 text, like the claim and the chain: a dump or a scan of the file for card numbers
then finds text, not hex of compressed bytes whose digit runs read as card numbers).
Entries repeat one another far more than they repeat themselves, so deflate gets a preset
dictionary: recent entries' packed text, trained by the store itself and kept in its
``dictionaries`` table (immutable rows; each journal row names the one it used). Rows written
before v5 keep their wide cells and stay readable as they are: a row is packed or wide.

``claim`` is 18 bytes in base64: 9 of sha256(claimed object) then 9 of sha256(object, key),
unique, so one index answers both "was this key claimed for this object" (equality) and "every
entry of this object" (the 12-character prefix range). A false duplicate needs a 72-bit object
digest and a 72-bit key digest to collide together: odds about 2⁻⁷² per pair of one object's
keys.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import sqlite3
import zlib
from collections.abc import Callable, Sequence
from json.encoder import encode_basestring
from typing import Any

from ..chain import canonical
from ..journal import JOURNAL_COLUMNS, UnreadableEntryError

PACKED_COLUMNS = tuple(c for c in JOURNAL_COLUMNS if c not in ("seq", "line", "outcome"))
_PACKED_AT = tuple(JOURNAL_COLUMNS.index(c) for c in PACKED_COLUMNS)
_LINE, _OUTCOME = JOURNAL_COLUMNS.index("line"), JOURNAL_COLUMNS.index("outcome")
_DECISION = JOURNAL_COLUMNS.index("decision")
_CLAIMED_OBJECT = JOURNAL_COLUMNS.index("claimed_object")
_CLAIMED_KEY = JOURNAL_COLUMNS.index("claimed_key")

TRAIN_FIRST = 64
"""Entries deflated without a dictionary before the first one is trained."""
TRAIN_CAP = 65_536
"""The next dictionary is trained at 4x the seq of the last (64, 256, 1,024 …), then every
this many entries: a store whose traffic changes adapts, with ~20 dictionaries at 1M."""
DICTIONARY_BYTES = 32 * 1024
"""deflate's window: a longer dictionary is never referenced."""
_TRAINED_FROM = 128
"""Recent entries read to train a dictionary (their packed text, newest last)."""
_LEVEL, _MEM_LEVEL, _WBITS = 6, 8, -15

DICTIONARIES = """
CREATE TABLE IF NOT EXISTS dictionaries (
    id INTEGER PRIMARY KEY,
    trained_at INTEGER NOT NULL,
    data TEXT NOT NULL
)"""
CLAIM_INDEX = "CREATE UNIQUE INDEX IF NOT EXISTS journal_by_claim ON journal(claim)"
ROW_COLUMNS = ("seq, line, outcome, packed, dictionary, "
               + ", ".join(PACKED_COLUMNS) + ", chain")
"""What every journal read selects: a packed row's wide columns are NULL, a wide row's
``packed``."""
INSERT = ("INSERT INTO journal (seq, line, outcome, claim, dictionary, packed, chain) "
          "VALUES (?, ?, ?, ?, ?, ?, ?)")


def select_rows(version: int) -> str:
    """The row columns as ``ROW_COLUMNS`` names them, for a store of ``version`` (a v3 or v4
    store opened read-only has no packed cells, v3 no chain either)."""
    columns = ROW_COLUMNS
    if version < 5:
        columns = columns.replace("packed, dictionary", "NULL AS packed, NULL AS dictionary")
    if version < 4:
        columns = columns.replace(", chain", ", NULL AS chain")
    return f"SELECT {columns} FROM journal"  # noqa: S608 - constant columns


_HALF = 9
"""Bytes of each digest in a claim: 9 bytes are 12 base64 characters, so the object's half
is a prefix of the text."""


@functools.lru_cache(maxsize=256)
def claim(claimed_object: object, claimed_key: object) -> str | None:
    """The claim of an entry's claimed cells (``None``: it claims nothing). Cached briefly:
    an input's claim is looked up when it is loaded and written when it is committed."""
    if not isinstance(claimed_key, str):
        return None
    scope = (claimed_object if isinstance(claimed_object, str) else "").encode(
        "utf-8", "surrogateescape")
    key = claimed_key.encode("utf-8", "surrogateescape")
    return base64.b64encode(hashlib.sha256(scope).digest()[:_HALF]
                            + hashlib.sha256(scope + b"\n" + key).digest()[:_HALF]).decode()


def object_range(object_key: str) -> tuple[str, str]:
    """The claims of every entry ``object_key`` claimed are ≥ the first and < the second."""
    prefix = base64.b64encode(hashlib.sha256(object_key.encode(
        "utf-8", "surrogateescape")).digest()[:_HALF]).decode()
    return prefix, prefix + "~"  # "~" sorts after every base64 character


class Dictionaries:
    """One connection's view of the store's dictionaries: rows never change once written, so
    they are cached; which is newest is asked again only when a new one may be due."""

    def __init__(self) -> None:
        self._data: dict[int, bytes] = {}
        self._primed: dict[int, zlib._Compress] = {}
        self._newest: tuple[int, int] | None = None
        """(id, trained_at) of the newest dictionary this connection knows of."""

    def forget(self) -> None:
        """A transaction rolled back: a dictionary trained in it no longer exists."""
        self._data.clear()
        self._primed.clear()
        self._newest = None

    def data(self, db: sqlite3.Connection, dictionary: int) -> bytes | None:
        """The dictionary's bytes; ``None`` when the store has no such readable one."""
        found = self._data.get(dictionary)
        if found is None:
            row = db.execute("SELECT data FROM dictionaries WHERE id=?", (dictionary,)).fetchone()
            if row is None or not isinstance(row[0], str):
                return None
            try:
                found = base64.b64decode(row[0], validate=True)
            except ValueError:  # binascii.Error, or text that is not ASCII
                return None
            if base64.b64encode(found).decode() != row[0]:
                return None
            self._data[dictionary] = found
        return found

    def pack(self, db: sqlite3.Connection, seq: int, text: bytes,
             before_training: Callable[[], None] | None = None) -> tuple[int | None, str]:
        """(dictionary id, deflated ``text``) for the entry at ``seq``: ``text`` is its
        packed cells' canonical bytes (``entry_texts``). The caller holds the write lock, so a
        dictionary trained here is the only one; ``before_training`` writes what the caller
        staged, since training reads the latest rows."""
        newest = self._due(db, seq, before_training)
        if newest is None:
            deflate = zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, _MEM_LEVEL)
        else:
            primed = self._primed.get(newest)
            if primed is None:
                primed = self._primed[newest] = zlib.compressobj(
                    _LEVEL, zlib.DEFLATED, _WBITS, _MEM_LEVEL, zlib.Z_DEFAULT_STRATEGY,
                    self.data(db, newest) or b"")
            deflate = primed.copy()
        return newest, base64.b64encode(deflate.compress(text) + deflate.flush()).decode()

    def _due(self, db: sqlite3.Connection, seq: int,
             before_training: Callable[[], None] | None) -> int | None:
        """The dictionary to pack ``seq`` with, training a new one when it is due."""
        if self._newest is not None and seq < _next_training(self._newest[1]):
            return self._newest[0]
        row = db.execute("SELECT id, trained_at FROM dictionaries ORDER BY id DESC LIMIT 1"
                         ).fetchone()
        self._newest = None if row is None else (int(row[0]), int(row[1]))
        if self._newest is not None and seq < _next_training(self._newest[1]):
            return self._newest[0]
        if self._newest is None and seq <= TRAIN_FIRST:
            return None
        if before_training is not None:
            before_training()
        data = _train(db, self)
        if not data:
            return None if self._newest is None else self._newest[0]
        dictionary = int(db.execute("INSERT INTO dictionaries (trained_at, data) VALUES (?, ?)",
                                    (seq, base64.b64encode(data).decode())).lastrowid or 0)
        self._data[dictionary], self._newest = data, (dictionary, seq)
        return dictionary


def _lenient(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def packed_text(cells: Sequence[object], zdict: bytes | None = None) -> str:
    """The ``packed`` cell of ``cells`` (``JOURNAL_COLUMNS`` order) deflated with ``zdict``:
    what ``Dictionaries.pack`` writes, without its cached compressors (tools, tests)."""
    deflate = (zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, _MEM_LEVEL,
                                zlib.Z_DEFAULT_STRATEGY, zdict) if zdict else
               zlib.compressobj(_LEVEL, zlib.DEFLATED, _WBITS, _MEM_LEVEL))
    text = canonical([cells[i] for i in _PACKED_AT])
    return base64.b64encode(deflate.compress(text) + deflate.flush()).decode()


def _null(_: object) -> str:
    return "null"


_ENCODE: dict[type, Callable[[Any], str]] = {str: encode_basestring, int: str,
                                             type(None): _null}
"""``chain.canonical``'s spelling of each plain cell (anything else: ``canonical`` itself)."""


def entry_texts(cells: Sequence[object]) -> tuple[bytes, bytes]:
    """(``chain.canonical`` of every cell, of the packed cells) of an entry's cells, each
    cell encoded once: what the chain hashes and what the row deflates."""
    try:
        parts = [_ENCODE[type(value)](value) for value in cells]
    except KeyError:  # a cell no store writes (a blob, a bool): canonical tags its type
        return canonical(cells), canonical([cells[i] for i in _PACKED_AT])
    return (("[" + ",".join(parts) + "]").encode("utf-8", "surrogateescape"),
            ("[" + ",".join([parts[i] for i in _PACKED_AT]) + "]").encode(
                "utf-8", "surrogateescape"))


def link_text(previous: str, text: bytes) -> bytes:
    """The raw 32 bytes of ``chain.link_cells`` given the entry's ``canonical`` bytes."""
    return hashlib.sha256(previous.encode("ascii") + text).digest()


def _next_training(trained_at: int) -> int:
    return trained_at + min(3 * trained_at, TRAIN_CAP)


def _train(db: sqlite3.Connection, dictionaries: Dictionaries) -> bytes:
    """The packed text of the latest entries, newest last (deflate reaches the end of its
    dictionary at the shortest distances), cut to ``DICTIONARY_BYTES``."""
    factory, db.text_factory = db.text_factory, _lenient
    try:
        rows = db.execute(f"{select_rows(5)} ORDER BY seq DESC LIMIT {_TRAINED_FROM}"
                          ).fetchall()
    finally:
        db.text_factory = factory
    texts = []
    for row in reversed(rows):
        try:
            cells = row_cells(db, dictionaries, row)
        except UnreadableEntryError:
            continue
        texts.append(canonical([cells[i] for i in _PACKED_AT]))
    return b"".join(texts)[-DICTIONARY_BYTES:]


def row_cells(db: sqlite3.Connection, dictionaries: Dictionaries,
              row: Sequence[object]) -> tuple[object, ...]:
    """The entry's cells (``JOURNAL_COLUMNS`` order) of a row selected as ``ROW_COLUMNS``;
    ``UnreadableEntryError`` when a packed row does not inflate to its cells."""
    seq, line, outcome, packed, dictionary = row[0], row[1], row[2], row[3], row[4]
    cells: list[object] = [None] * len(JOURNAL_COLUMNS)
    cells[0], cells[_LINE], cells[_OUTCOME] = seq, line, outcome
    if packed is None:
        for at, value in zip(_PACKED_AT, row[5:-1], strict=True):
            cells[at] = value
        return tuple(cells)
    for at, value in zip(_PACKED_AT, _inflate(db, dictionaries, seq, packed, dictionary),
                         strict=True):
        cells[at] = value
    return tuple(cells)


def _inflate(db: sqlite3.Connection, dictionaries: Dictionaries, seq: object, packed: object,
             dictionary: object) -> list[object]:
    where = seq if isinstance(seq, int) else None
    if not isinstance(packed, str):
        raise UnreadableEntryError(where, "packed", "is not text")
    zdict = b""
    if dictionary is not None:
        found = dictionaries.data(db, dictionary) if isinstance(dictionary, int) else None
        if found is None:
            raise UnreadableEntryError(where, "packed", "names a dictionary the store lacks")
        zdict = found
    try:
        inflate = zlib.decompressobj(_WBITS, zdict=zdict) if zdict else zlib.decompressobj(
            _WBITS)
        deflated = base64.b64decode(packed, validate=True)
        if base64.b64encode(deflated).decode() != packed:  # unused trailing bits changed
            raise ValueError("not the canonical base64 of its bytes")
        text = inflate.decompress(deflated) + inflate.flush()
        if not inflate.eof or inflate.unused_data:
            raise ValueError("truncated or trailing data")
        cells = json.loads(text.decode("utf-8", "surrogateescape"))
    except (zlib.error, ValueError):
        raise UnreadableEntryError(where, "packed", "does not inflate to the entry's cells"
                                   ) from None
    if (not isinstance(cells, list) or len(cells) != len(PACKED_COLUMNS)
            or not all(c is None or type(c) in (str, int) for c in cells)):
        raise UnreadableEntryError(where, "packed", "does not inflate to the entry's cells")
    return cells


def unreadable_cells(row: Sequence[object]) -> tuple[object, ...]:
    """The cells ``verify`` checks for a row that does not inflate: what the row stores, its
    packed bytes in place of the decision, so its chain cannot match and replay names it."""
    cells: list[object] = [None] * len(JOURNAL_COLUMNS)
    cells[0], cells[_LINE], cells[_OUTCOME], cells[_DECISION] = row[0], row[1], row[2], row[3]
    return tuple(cells)


def claimed_of(cells: Sequence[object]) -> tuple[object, object]:
    """(claimed object, claimed key) cells of an entry's cells."""
    return cells[_CLAIMED_OBJECT], cells[_CLAIMED_KEY]


def migrate_to_v5(db: sqlite3.Connection, journal_v5: str) -> None:
    """v4 → v5: the journal rebuilt as ``journal_v5`` creates it (wide cells nullable, the
    claim, dictionary and packed columns, no unique index on the wide claim cells) with every
    row copied as it is (still readable and chained as it was) plus its claim, and the
    dictionaries table. Only rows appended from now on are packed."""
    existing = [row[1] for row in db.execute("PRAGMA table_info(journal)")]
    db.execute("ALTER TABLE journal RENAME TO journal_v4")
    db.execute(journal_v5)
    kept = [c for c in existing
            if c in {row[1] for row in db.execute("PRAGMA table_info(journal)")}]
    columns = ", ".join(kept)
    db.execute(f"INSERT INTO journal ({columns}) SELECT {columns} FROM journal_v4")  # noqa: S608
    db.execute("DROP TABLE journal_v4")
    db.execute(DICTIONARIES)
    rows = db.execute("SELECT seq, claimed_object, claimed_key FROM journal "
                      "WHERE claimed_key IS NOT NULL AND claim IS NULL").fetchall()
    db.executemany("UPDATE journal SET claim=? WHERE seq=?",
                   [(claim(claimed_object, claimed_key), seq)
                    for seq, claimed_object, claimed_key in rows])
    db.execute(CLAIM_INDEX)
    db.execute("UPDATE meta SET value = '5' WHERE key = 'schema_version'")
