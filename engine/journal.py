"""The append-only journal: one entry per input, whatever was decided, and the stored form
of an entry (its cells), which every store writes and the hash chain covers."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import attrs

from .adapter import RawInput
from .decision import Decision, Outcome
from .errors import StoreError
from .event import Channel, Event
from .redact import redact_body, redact_headers
from .redact_document import redact_document
from .serialize import decision_text, event_text, from_json

Cell = str | int | None
"""A stored cell: what a store keeps for one field of an entry (text, integer or nothing)."""

JOURNAL_COLUMNS = ("seq", "claimed_object", "claimed_key", "line", "received_at", "channel",
                   "outcome", "provider", "object_kind", "object_id", "event", "decision",
                   "payload", "payload_sha256", "headers", "options")
"""The stored cells of an entry, in the order the chain hashes them (``chain.canonical``)."""

T = TypeVar("T")

_OUTCOMES = {outcome: outcome.value for outcome in Outcome}
_CHANNELS = {channel: channel.value for channel in Channel}
"""Plain text cells of the enums: ``.value`` is a descriptor call on every entry."""

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@attrs.frozen(slots=True)
class JournalEntry:
    """One input and its decision, as the store keeps it forever.

    ``claimed_key`` is the dedupe key this entry reserves (unique in the store), set only for
    decisions that consume their key; ``payload`` is the raw body after redaction and
    ``payload_sha256`` its digest (of the redacted text: a digest of the original would let a
    card number be guessed back). ``options`` are the override options in force, so a replay
    decides exactly as the original run did. ``seq`` and ``chain`` are assigned by the store.
    """

    decision: Decision
    event: Event | None = None
    claimed_key: str | None = None
    received_at: datetime | None = None
    line: int | None = None
    channel: str | None = None
    payload: str | None = None
    payload_sha256: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    options: tuple[str, ...] = ()
    seq: int = 0
    chain: str | None = None
    """sha256 chaining this entry to the one before (``chain.link``), set by the store."""


def journal_entry(decision: Decision, event: Event | None, raw: RawInput | None, *,
                  line: int | None, claimed: str | None,
                  options: tuple[str, ...],
                  redacted_fields: frozenset[str] = frozenset(),
                  document: object = None) -> JournalEntry:
    """The entry for one decision; the raw input is redacted before it is kept (also
    dropping ``redacted_fields``, the credentials the provider's protocol carries).
    ``document`` is the adapter's parse of the body (``ParseResult.document``), redacted
    instead of parsing the body again, to the same text."""
    payload = digest = None
    headers: tuple[tuple[str, str], ...] = ()
    if raw is not None:
        if document is not None:
            payload = redact_document(raw.body, document, redacted_fields)
        if payload is None:
            payload = redact_body(raw.body, redacted_fields)
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        headers = redact_headers(raw.headers)
    received_at = event.received_at if event is not None else None
    if received_at is None and raw is not None:
        received_at = raw.received_at
    channel = event.channel if event is not None else raw.channel if raw is not None else None
    return JournalEntry(decision, event, claimed, received_at=received_at, line=line,
                        channel=None if channel is None else _CHANNELS[channel], payload=payload,
                        payload_sha256=digest, headers=headers, options=options)


class UnreadableEntryError(StoreError):
    """A stored entry whose cells do not read back as an entry (tampering or damage)."""

    def __init__(self, seq: object, column: str, problem: str) -> None:
        self.seq = seq if isinstance(seq, int) else None
        self.column = column
        self.problem = problem
        super().__init__(f"journal #{seq}: the {column} cell {problem}")


def journal_cells(entry: JournalEntry, seq: int) -> tuple[Cell, ...]:
    """The cells a store keeps for ``entry`` at ``seq``, in ``JOURNAL_COLUMNS`` order: one
    serialization for every store, so the chain covers exactly what is stored."""
    decision = entry.decision
    claimed_object = (entry.event.key if entry.claimed_key is not None and entry.event
                      else None)
    if entry.claimed_key is not None and claimed_object is None:
        raise StoreError("a claimed dedupe key needs the event it belongs to")
    return (seq, claimed_object, entry.claimed_key, entry.line,
            entry.received_at.isoformat() if entry.received_at else None,
            entry.channel, _OUTCOMES[decision.outcome], decision.provider,
            decision.object_kind, decision.object_id,
            event_text(entry.event) if entry.event is not None else None,
            decision_text(decision), entry.payload, entry.payload_sha256,
            _dumps(entry.headers) if entry.headers else None,
            _dumps(entry.options) if entry.options else None)


def entry_from_cells(cells: Sequence[object], chain: str | None = None) -> JournalEntry:
    """The entry stored as ``cells`` (``JOURNAL_COLUMNS`` order); a cell that does not read
    back raises ``UnreadableEntryError`` naming the seq and column, never the cell's text."""
    row = dict(zip(JOURNAL_COLUMNS, cells, strict=True))
    seq = row["seq"]
    if not isinstance(seq, int):
        raise UnreadableEntryError(None, "seq", "is not an integer")
    return JournalEntry(
        decision=_structured(row, "decision", Decision),
        event=_structured(row, "event", Event) if row["event"] is not None else None,
        claimed_key=_text(row, "claimed_key"), received_at=_time(row),
        line=_integer(row, "line"), channel=_text(row, "channel"),
        payload=_text(row, "payload"), payload_sha256=_text(row, "payload_sha256"),
        headers=tuple((str(k), str(v)) for k, v in _json_list(row, "headers", 2)),
        options=tuple(str(o) for o in _json_list(row, "options", 0)), seq=seq, chain=chain)


def stored_event(seq: object, cell: object) -> Event:
    """An entry's event cell read back on its own (an object's history); an unreadable cell
    raises ``UnreadableEntryError`` naming the seq."""
    return _structured({"seq": seq, "event": cell}, "event", Event)


def _text(row: dict[str, object], column: str) -> str | None:
    value = row[column]
    if value is None:
        return None
    if not isinstance(value, str):
        raise UnreadableEntryError(row["seq"], column, f"is {type(value).__name__}, not text")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # read back with surrogateescape: the bytes are not UTF-8
            raise UnreadableEntryError(row["seq"], column, "is not UTF-8 text") from None
    return value


def _integer(row: dict[str, object], column: str) -> int | None:
    value = row[column]
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise UnreadableEntryError(row["seq"], column, f"is {type(value).__name__}, "
                                   "not an integer")
    return value


def _json(row: dict[str, object], column: str) -> object:
    text = _text(row, column)
    if text is None:
        raise UnreadableEntryError(row["seq"], column, "is empty")
    try:
        return json.loads(text)
    except ValueError:
        raise UnreadableEntryError(row["seq"], column, "is not JSON") from None


def _structured(row: dict[str, object], column: str, cls: type[T]) -> T:
    data = _json(row, column)
    try:
        return from_json(data, cls)
    except Exception as exc:  # cattrs raises several kinds; their text may quote the cell
        raise UnreadableEntryError(row["seq"], column,
                                   f"is not a valid {column} ({type(exc).__name__})") from None


def _json_list(row: dict[str, object], column: str, width: int) -> list[Any]:
    """A JSON list of strings (``width`` 0) or of ``width``-long lists of strings."""
    if row[column] is None:
        return []
    data = _json(row, column)
    if not isinstance(data, list) or not all(_shaped(item, width) for item in data):
        raise UnreadableEntryError(row["seq"], column, "has the wrong shape")
    return data


def _shaped(item: object, width: int) -> bool:
    if not width:
        return isinstance(item, str)
    return (isinstance(item, list) and len(item) == width
            and all(isinstance(part, str) for part in item))


def _time(row: dict[str, object]) -> datetime | None:
    text = _text(row, "received_at")
    if text is None:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise UnreadableEntryError(row["seq"], "received_at", "is not an ISO time") from None
