"""Recorded inputs for ``paychart validate``: one JSON object a line.

A record is either raw input (``provider``, ``channel``, ``received_at``, ``headers``, ``body``
exactly as received, optional ``ref`` and ``operation``) or an already-normalized event
(``{"event": {...}}``). A line that is not a valid record becomes an ``InputError`` that names
the field, so the run journals it as ``invalid`` instead of stopping.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs
import cattrs

from .adapter import RawInput
from .errors import InputError
from .event import Channel, Event
from .serialize import from_json

MAX_BODY_BYTES = 1_000_000
"""Larger bodies are refused as ``invalid`` (field ``body``) before any parsing."""

_RAW_KEYS = frozenset({"provider", "channel", "received_at", "headers", "body", "ref",
                       "operation"})


@attrs.frozen
class Record:
    """One line of a recording: raw input, a normalized event, or the error that spoils it."""

    line: int
    raw: RawInput | None = None
    event: Event | None = None
    error: InputError | None = None


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(key, f"must be a string, got {type(value).__name__}")
    return value


def _required(data: dict[str, Any], key: str) -> str:
    value = _text(data, key)
    if value is None:
        raise InputError(key, "missing")
    return value


def parse_raw(data: dict[str, Any]) -> RawInput:
    """A raw-input record as ``RawInput``; ``InputError`` names the bad field."""
    unknown = set(data) - _RAW_KEYS
    if unknown:
        raise InputError(sorted(unknown)[0], "unknown record field")
    provider = _required(data, "provider")
    channel_text = _required(data, "channel")
    try:
        channel = Channel(channel_text)
    except ValueError:
        raise InputError("channel", f"unknown channel {channel_text!r} (one of "
                         f"{', '.join(c.value for c in Channel)})", provider=provider) from None
    body = _required(data, "body")
    encoded = body.encode("utf-8")
    if len(encoded) > MAX_BODY_BYTES:
        raise InputError("body", f"{len(encoded)} bytes exceeds the {MAX_BODY_BYTES} byte limit",
                         provider=provider)
    headers = data.get("headers") or {}
    if not isinstance(headers, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in headers.items()):
        raise InputError("headers", "must be an object of strings", provider=provider)
    received_text = _text(data, "received_at")
    received_at = None
    if received_text is not None:
        try:
            received_at = datetime.fromisoformat(received_text)
        except ValueError:
            raise InputError("received_at", f"not ISO 8601: {received_text!r}",
                             provider=provider) from None
    return RawInput(provider, channel, encoded, headers, received_at, _text(data, "ref"),
                    _text(data, "operation"))


def parse_record(text: str, line: int) -> Record:
    """One line of a recording."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Record(line, error=InputError("line", f"not JSON: {exc.msg}"))
    if not isinstance(data, dict):
        return Record(line, error=InputError("line", "a record must be a JSON object"))
    if "event" in data:
        try:
            return Record(line, event=from_json(data["event"], Event))
        except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
            messages = (cattrs.transform_error(exc, path="event")
                        if isinstance(exc, cattrs.BaseValidationError) else [str(exc)])
            return Record(line, error=InputError("event", "; ".join(messages)))
    try:
        return Record(line, raw=parse_raw(data))
    except InputError as exc:
        return Record(line, error=exc)


def read_records(path: str | Path) -> Iterator[Record]:
    """Records of a JSONL file, blank lines skipped; ``OSError`` if it cannot be read."""
    with open(path, encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if text.strip():
                yield parse_record(text, number)
