"""The append-only journal: one entry per input, whatever was decided."""

from __future__ import annotations

import hashlib
from datetime import datetime

import attrs

from .adapter import RawInput
from .decision import Decision
from .event import Event
from .redact import redact_body, redact_headers


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


def journal_entry(decision: Decision, event: Event | None, raw: RawInput | None, *,
                  line: int | None, claimed: str | None,
                  options: tuple[str, ...],
                  redacted_fields: frozenset[str] = frozenset()) -> JournalEntry:
    """The entry for one decision; the raw input is redacted before it is kept (also
    dropping ``redacted_fields``, the credentials the provider's protocol carries)."""
    payload = digest = None
    headers: tuple[tuple[str, str], ...] = ()
    if raw is not None:
        payload = redact_body(raw.body, redacted_fields)
        digest = hashlib.sha256(payload.encode("utf-8")).hexdigest()
        headers = redact_headers(raw.headers)
    received_at = event.received_at if event is not None else None
    if received_at is None and raw is not None:
        received_at = raw.received_at
    channel = event.channel if event is not None else raw.channel if raw is not None else None
    return JournalEntry(decision, event, claimed, received_at=received_at, line=line,
                        channel=None if channel is None else channel.value, payload=payload,
                        payload_sha256=digest, headers=headers, options=options)
