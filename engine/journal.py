"""The append-only journal: one entry per input, whatever was decided."""

from __future__ import annotations

from datetime import datetime

import attrs

from .decision import Decision
from .event import Event


@attrs.frozen(slots=True)
class JournalEntry:
    """One input and its decision, as the store keeps it forever.

    ``claimed_key`` is the dedupe key this entry reserves (unique in the store), set only for
    decisions that consume their key; ``payload`` is the raw body after redaction and
    ``payload_sha256`` its digest (of the redacted text: a digest of the original would let a
    card number be guessed back). ``options`` are the override options in force, so a replay
    decides exactly as the original run did. ``seq`` is assigned by the store.
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
