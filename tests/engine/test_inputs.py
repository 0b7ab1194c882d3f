"""Recordings: each line is its own record, and whatever spoils one line is that line's
``invalid`` with its number, never a refusal of the whole file."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from paychart.event import Channel
from paychart.inputs import MAX_BODY_BYTES, parse_record, read_records, records_of

CALLBACK = {"provider": "cardlink", "channel": "callback", "body": '{"token": "t"}'}


def _line(**fields: object) -> bytes:
    return json.dumps(fields).encode("utf-8") + b"\n"


def test_text_body_is_kept_as_its_utf8_bytes() -> None:
    record = parse_record(json.dumps({**CALLBACK, "body": "é", "ref": "r-1",
                                      "received_at": "2026-01-01T00:00:00+00:00"}), 7)
    assert record.error is None
    assert record.raw is not None
    assert (record.line, record.raw.body, record.raw.ref) == (7, "é".encode(), "r-1")
    assert record.raw.channel is Channel.CALLBACK
    assert record.raw.received_at is not None


def test_body_base64_carries_bytes_that_are_not_text() -> None:
    raw_bytes = b"\xff\x00signed\xfe"
    data = {k: v for k, v in CALLBACK.items() if k != "body"}
    record = parse_record(json.dumps({**data, "body_base64": base64.b64encode(raw_bytes)
                                      .decode()}), 1)
    assert record.raw is not None
    assert record.raw.body == raw_bytes


@pytest.mark.parametrize(("fields", "field", "reason"), [
    ({**CALLBACK, "body_base64": "AA=="}, "body", "exactly one of body and body_base64"),
    ({"provider": "cardlink", "channel": "callback"}, "body",
     "exactly one of body and body_base64"),
    ({"provider": "cardlink", "channel": "callback", "body_base64": "%%%"}, "body_base64",
     "not valid base64"),
    ({"channel": "callback", "body": "x"}, "provider", "missing"),
    ({"provider": "cardlink", "body": "x"}, "channel", "missing"),
    ({**CALLBACK, "channel": "fax"}, "channel", "unknown channel 'fax'"),
    ({**CALLBACK, "body": 5}, "body", "must be a string, got int"),
    ({**CALLBACK, "headers": {"a": 1}}, "headers", "must be an object of strings"),
    ({**CALLBACK, "received_at": "yesterday"}, "received_at", "not ISO 8601"),
    ({**CALLBACK, "colour": "red"}, "colour", "unknown record field"),
    ({**CALLBACK, "body": "x" * (MAX_BODY_BYTES + 1)}, "body", "exceeds"),
    ({"event": {"provider": "shop"}}, "event", "event"),
])
def test_a_bad_record_names_its_field(fields: dict[str, object], field: str,
                                      reason: str) -> None:
    record = parse_record(json.dumps(fields), 3)
    assert record.raw is None
    assert record.error is not None
    assert (record.line, record.error.field) == (3, field)
    assert reason in record.error.reason


@pytest.mark.parametrize(("text", "reason"), [
    ("{not json", "not JSON"),
    ("[1, 2]", "a record must be a JSON object"),
    ('"a string"', "a record must be a JSON object"),
    ("[" * 100_000 + "]" * 100_000, "not JSON"),
])
def test_a_line_that_is_not_a_json_object_is_invalid(text: str, reason: str) -> None:
    record = parse_record(text, 2)
    assert record.error is not None
    assert record.error.field == "line"
    assert reason in record.error.reason


def test_a_line_that_is_not_utf8_spoils_only_itself() -> None:
    lines = [_line(**CALLBACK), b'{"provider": "cardlink\xff\xfe"}\n', b"\n", _line(**CALLBACK)]
    records = list(records_of(lines))
    assert [r.line for r in records] == [1, 2, 4]
    assert records[0].raw is not None
    assert records[2].raw is not None
    bad = records[1].error
    assert bad is not None
    assert bad.field == "line"
    assert "not UTF-8 text (byte 0xff at column 23)" in bad.reason


def test_read_records_reads_a_file_and_numbers_lines(tmp_path: Path) -> None:
    path = tmp_path / "day.jsonl"
    path.write_bytes(_line(**CALLBACK) + b"   \n" + b"\x80\n" + _line(**CALLBACK))
    records = list(read_records(path))
    assert [(r.line, r.error is None) for r in records] == [(1, True), (3, False), (4, True)]


@pytest.mark.parametrize("name", ["missing.jsonl", "."])
def test_read_records_raises_oserror_when_called(tmp_path: Path, name: str) -> None:
    with pytest.raises(OSError):  # noqa: PT011 - missing file or a folder: both OSError
        read_records(tmp_path / name)
