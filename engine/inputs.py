"""Recorded inputs for ``paychart validate``: one JSON object a line.

A record is either raw input (``provider``, ``channel``, ``received_at``, ``headers``, the body
exactly as received as ``body`` (text) or ``body_base64`` (bytes that are not text: signatures
are over raw bytes), optional ``ref`` and ``operation``) or an already-normalized event
(``{"event": {...}}``). Whatever spoils one line (not UTF-8, not JSON, not an object, a field
missing or of the wrong type) becomes that line's ``InputError`` naming the field, so the run
journals it as ``invalid`` and goes on with the next line.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

import attrs
import cattrs

from .adapter import RawInput
from .errors import InputError
from .event import Channel, Event
from .serialize import from_json

MAX_BODY_BYTES = 1_000_000
"""Larger bodies are refused as ``invalid`` (field ``body``) before any parsing."""

_RAW_KEYS = frozenset({"provider", "channel", "received_at", "headers", "body", "body_base64",
                       "ref", "operation"})

RECORD_FORMAT = """\
record format (one JSON object a line; blank lines are skipped):
  {"provider": "cardlink", "channel": "callback", "received_at": "2026-11-20T00:37:01+00:00",
   "headers": {"Content-Type": "application/json"}, "body": "<the body exactly as received>",
   "ref": "<object id when the body lacks it>", "operation": "<merchant call a response answers>"}
  channel: request | response | callback | poll | timer; provider, channel and one of body
  or body_base64 (the raw bytes, base64, for bodies that are not UTF-8 text) are required.
  {"event": {...}} gives an already-normalized event instead.
  A line that is not UTF-8, not a JSON object, or lacks a field is decided `invalid`."""
"""The format as ``paychart validate --help`` shows it."""


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


def _body(data: dict[str, Any], provider: str) -> bytes:
    """The raw bytes from ``body`` (text, sent as UTF-8) or ``body_base64``: exactly one."""
    text, encoded = _text(data, "body"), _text(data, "body_base64")
    if (text is None) == (encoded is None):
        raise InputError("body", "give exactly one of body and body_base64",
                         provider=provider)
    if text is not None:
        return text.encode("utf-8")
    assert encoded is not None
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("body_base64", "not valid base64", provider=provider) from None


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
    body = _body(data, provider)
    if len(body) > MAX_BODY_BYTES:
        raise InputError("body", f"{len(body)} bytes exceeds the {MAX_BODY_BYTES} byte limit",
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
    return RawInput(provider, channel, body, headers, received_at, _text(data, "ref"),
                    _text(data, "operation"))


def parse_record(text: str, line: int) -> Record:
    """One line of a recording."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Record(line, error=InputError("line", f"not JSON: {exc.msg}"))
    except RecursionError:
        return Record(line, error=InputError("line", "not JSON: nested too deeply"))
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


def decode_line(data: bytes, line: int) -> Record | str:
    """The text of one line, or the ``invalid`` record of a line that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Record(line, error=InputError(
            "line", f"not UTF-8 text (byte 0x{data[exc.start]:02x} at column {exc.start + 1})"))


def records_of(lines: Iterable[bytes]) -> Iterator[Record]:
    """Records of recording lines (bytes, numbered from 1), blank lines skipped."""
    for number, data in enumerate(lines, start=1):
        if not data.strip():
            continue
        text = decode_line(data, number)
        yield text if isinstance(text, Record) else parse_record(text, number)


def _lines_then_close(handle: BinaryIO) -> Iterator[Record]:
    with handle:
        yield from records_of(handle)


def read_records(path: str | Path) -> Iterator[Record]:
    """Records of a JSONL file. The file is opened now, so ``OSError`` (missing, a folder,
    unreadable) is raised by this call, not by the first record."""
    handle = open(path, "rb")  # noqa: SIM115 - closed by the generator when it ends
    return _lines_then_close(handle)
