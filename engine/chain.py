"""The journal's hash chain: each entry's ``chain`` is the sha256 of the previous entry's
chain and this entry's stored cells, so an edited, inserted, reordered or deleted entry breaks
every link from it on.

Store-independent: a store hands over its entries as ``StoredEntry`` (the cells exactly as it
keeps them, ``journal.JOURNAL_COLUMNS`` order, and the chain it keeps beside them); ``link``
computes a chain at append, ``verify_chain`` walks a journal and names each broken entry. The
chain proves the journal is the one that was appended, entry by entry; it cannot prove that
nothing was cut off its end, nor that a whole chain was not recomputed by someone with write
access: only a head recorded elsewhere (``--head``, the audit pack) proves those.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from json.encoder import encode_basestring

import attrs

from .journal import JOURNAL_COLUMNS, JournalEntry, journal_cells

GENESIS = "0" * 64
"""The "previous chain" of the first entry."""
NOT_CHAINED = "not chained"
"""What ``chain_head`` gives for a store of an older schema opened read-only (no chain)."""

_SEQ = JOURNAL_COLUMNS.index("seq")
_PAYLOAD = JOURNAL_COLUMNS.index("payload")
_DIGEST = JOURNAL_COLUMNS.index("payload_sha256")
_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_HEX = re.compile(r"[0-9a-f]{64}")
_string = encode_basestring
"""A JSON string as ``_dumps`` writes it (``ensure_ascii=False``)."""


def is_chain(value: object) -> bool:
    """Whether ``value`` has the form of a chain (64 lowercase hex digits)."""
    return isinstance(value, str) and _HEX.fullmatch(value) is not None


@attrs.frozen(slots=True)
class StoredEntry:
    """One journal entry as a store keeps it: its cells (``JOURNAL_COLUMNS`` order) and the
    chain stored beside them (``None``: the store never chained it)."""

    cells: tuple[object, ...]
    chain: str | None

    @property
    def seq(self) -> object:
        return self.cells[_SEQ]


@attrs.frozen(slots=True)
class Finding:
    """Something wrong with one entry (``seq``) or with the store as a whole (``seq=None``)."""

    seq: int | None
    check: str
    """Which check found it: ``chain``, ``payload``, ``head``, ``claims``, ``entry``,
    ``replay`` or ``objects``."""
    reason: str

    def __str__(self) -> str:
        return f"journal #{self.seq}: {self.reason}" if self.seq is not None else self.reason


@attrs.frozen
class ChainReport:
    """What walking a journal found: the head (last seq and its recomputed chain) and every
    broken entry, in seq order (each reported once: the walk resumes from its stored chain)."""

    entries: int
    head: tuple[int, str]
    findings: tuple[Finding, ...]

    @property
    def ok(self) -> bool:
        return not self.findings


def _cell(value: object) -> object:
    """A cell as JSON: text, integers and NULL as they are; anything else a store should never
    hold (a blob, a float) tagged with its type, so it can never hash like a text or number."""
    if value is None or isinstance(value, str | int):
        return value
    if isinstance(value, bytes):
        return ["bytes", value.hex()]
    return [type(value).__name__, repr(value)]


def canonical(cells: Sequence[object]) -> bytes:
    """The bytes hashed for one entry: its stored cells as one compact JSON array (UTF-8; text
    read with ``surrogateescape`` gets its original bytes back)."""
    parts: list[str] = []
    add = parts.append
    for value in cells:  # what stores write: the bytes ``_dumps`` gives, without its set-up
        if type(value) is str:
            add(_string(value))
        elif value is None:
            add("null")
        elif type(value) is int:
            add(str(value))
        else:
            return _dumps([_cell(value) for value in cells]).encode("utf-8", "surrogateescape")
    return ("[" + ",".join(parts) + "]").encode("utf-8", "surrogateescape")


def link_cells(previous: str, cells: Sequence[object]) -> str:
    """sha256 hex of the previous chain (64 hex digits, ASCII) followed by ``canonical``;
    ``previous`` must be a chain (``is_chain``)."""
    return hashlib.sha256(previous.encode("ascii") + canonical(cells)).hexdigest()


def link(previous: str, entry: JournalEntry) -> str:
    """The chain of ``entry`` (at its ``seq``) following the chain ``previous``."""
    return link_cells(previous, journal_cells(entry, entry.seq))


def _payload_finding(seq: int, cells: Sequence[object]) -> Finding | None:
    payload, digest = cells[_PAYLOAD], cells[_DIGEST]
    if payload is None and digest is None:
        return None
    if not isinstance(payload, str) or not isinstance(digest, str):
        return Finding(seq, "payload", "payload and payload_sha256 must both be text")
    actual = hashlib.sha256(payload.encode("utf-8", "surrogateescape")).hexdigest()
    if actual != digest:
        return Finding(seq, "payload", "the payload does not match its payload_sha256")
    return None


def _link_finding(expected_seq: int, stored: StoredEntry, recomputed: str) -> Finding | None:
    seq = stored.seq
    if not isinstance(seq, int) or isinstance(seq, bool):
        return Finding(expected_seq, "chain", "the seq cell is not an integer")
    if seq != expected_seq:
        what = ("entries deleted before it" if seq > expected_seq
                else "reordered or inserted entries")
        return Finding(seq, "chain", f"seq {seq} follows seq {expected_seq - 1}: {what}")
    if stored.chain is None:
        return Finding(seq, "chain", "the entry has no chain")
    if not is_chain(stored.chain):
        return Finding(seq, "chain", "the chain cell is not 64 hex digits")
    if stored.chain != recomputed:
        return Finding(seq, "chain", "the chain does not match the entry: the entry was "
                                     "edited, inserted or moved, or the one before it was")
    return None


def verify_chain(entries: Iterable[StoredEntry], *, head: str | None = None) -> ChainReport:
    """Walk ``entries`` in seq order from ``GENESIS``: every seq follows the one before, every
    chain links its cells to the chain before it, every payload matches its digest. ``head``,
    a chain recorded earlier, must be found in the journal (the only check that catches a
    truncated tail)."""
    findings: list[Finding] = []
    previous, expected, count, head_seen = GENESIS, 1, 0, head is None
    last: tuple[int, str] = (0, GENESIS)
    for stored in entries:
        count += 1
        recomputed = link_cells(previous, stored.cells)
        broken = _link_finding(expected, stored, recomputed)
        seq = stored.seq if isinstance(stored.seq, int) else expected
        if broken is not None:
            findings.append(broken)
        payload = _payload_finding(seq, stored.cells)
        if payload is not None:
            findings.append(payload)
        # Resume from what is stored: one edit is one finding, not a cascade to the end.
        previous = (stored.chain if broken is not None and stored.chain is not None
                    and is_chain(stored.chain) else recomputed)
        head_seen = head_seen or previous == head
        expected, last = seq + 1, (seq, previous)
    if not head_seen:
        findings.append(Finding(None, "head", f"the recorded head {head} is not in the "
                                              "journal: entries were cut off its end or the "
                                              "chain was rewritten"))
    return ChainReport(count, last, tuple(findings))
