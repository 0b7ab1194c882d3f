"""``paychart janitor``: the due list on a store at a given clock, firing timers once, and
one-line errors for bad arguments."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from paychart import Channel, ChartSet, Event
from paychart.cli import main
from paychart.exit import EXIT_OK, EXIT_USAGE
from paychart.orchestrator import Orchestrator
from paychart.stores.sqlite import SQLiteStore

T0 = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DUE_KEYS = ["provider", "object", "id", "state", "action", "operation", "attempt", "due_at"]


def _seen(engine: Orchestrator, provider: str, kind: str, object_id: str, state: str,
          at: datetime, **extra: object) -> None:
    event = Event(provider, kind, object_id, "observed", Channel.CALLBACK, f"{state}@{at}",
                  state=state, received_at=at, signature="valid",  # type: ignore[arg-type]
                  **extra)  # type: ignore[arg-type]
    engine.apply(event)


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A checkout open since T0, a platform sale waiting in 3DS since T0+1h, and a settled
    sale whose decision the signature could not confirm."""
    path = tmp_path / "store.sqlite"
    sqlite = SQLiteStore(path)
    engine = Orchestrator(ChartSet.bundled(), sqlite)
    _seen(engine, "paylink", "checkout", "ck-1", "open", T0)
    _seen(engine, "platform", "transaction", "tr-1", "3DS", T0 + timedelta(hours=1))
    _seen(engine, "platform", "transaction", "tr-2", "SETTLED", T0, confirmed=False,
          confirm_by="GET_TRANS_STATUS")
    sqlite.close()
    return f"sqlite:{path}"


def _janitor(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["janitor", *argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _journal_size(url: str) -> int:
    sqlite = SQLiteStore(url.removeprefix("sqlite:"), read_only=True)
    try:
        return len(list(sqlite.journal()))
    finally:
        sqlite.close()


def test_json_lists_the_due_work_earliest_first(store: str,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _janitor(capsys, store, "--now", "2026-12-02T12:00:00Z",
                                "--format", "json")
    assert (status, err) == (EXIT_OK, "")
    due = json.loads(out)["due"]
    assert all(list(item) == DUE_KEYS for item in due)
    assert [(d["id"], d["action"], d["operation"], d["attempt"], d["due_at"]) for d in due] == [
        ("tr-2", "confirm", "GET_TRANS_STATUS", 1, "2026-12-01T12:00:00+00:00"),
        ("ck-1", "poll", "checkout", 1, "2026-12-01T12:05:00+00:00"),
        ("tr-1", "poll", "GET_TRANS_STATUS", 1, "2026-12-01T13:05:00+00:00"),
        ("ck-1", "timer", "expire", 1, "2026-12-02T12:00:00+00:00"),
    ]
    assert due[1]["provider"] == "paylink" and due[1]["object"] == "checkout"
    assert due[1]["state"] == "open"


def test_text_says_what_is_due_and_how_many(store: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = _janitor(capsys, store, "--now", "2026-12-01T12:06:00")
    assert status == EXIT_OK
    lines = out.splitlines()
    assert lines[-1] == "2 due: 1 poll, 0 timer, 1 confirm"
    assert lines[1].split() == ["poll", "paylink", "checkout", "ck-1", "open", "checkout",
                                "#1", "2026-12-01T12:05:00+00:00"]
    status, out, _err = _janitor(capsys, store, "--now", "2026-11-30T00:00:00Z")
    assert out.splitlines()[-1] == "1 due: 0 poll, 0 timer, 1 confirm"


def test_listing_writes_nothing(store: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _journal_size(store)
    _janitor(capsys, store, "--now", "2026-12-05T00:00:00Z")
    assert _journal_size(store) == before


def test_fire_timers_applies_them_once_however_often_it_runs(
        store: str, capsys: pytest.CaptureFixture[str]) -> None:
    before = _journal_size(store)
    argv = (store, "--now", "2026-12-03T00:00:00Z", "--fire-timers", "--format", "json")
    status, out, _err = _janitor(capsys, *argv)
    assert status == EXIT_OK
    report = json.loads(out)
    assert report["fired"] == [{"id": "ck-1", "outcome": "applied", "to_state": "expired",
                                "reason": "`open` → `expired`"}]
    status, out, _err = _janitor(capsys, *argv)
    again = json.loads(out)
    assert (status, again["fired"]) == (EXIT_OK, [])
    assert "ck-1" not in {d["id"] for d in again["due"]}
    assert _journal_size(store) == before + 1


def test_fired_timers_are_reported_in_text(store: str,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = _janitor(capsys, store, "--now", "2026-12-03T00:00:00Z",
                                 "--fire-timers")
    assert status == EXIT_OK
    assert "fired expire on checkout ck-1: applied (`open` → `expired`)" in out


@pytest.mark.parametrize(("argv", "message"), [
    (("{store}", "--now", "yesterday"), "--now 'yesterday' is not an ISO 8601 time"),
    (("{store}",), "the following arguments are required: --now"),
    (("sqlite:{tmp}/absent.sqlite", "--now", "2026-12-01T00:00:00Z"), "no store at"),
    (("memory:", "--now", "2026-12-01T00:00:00Z"), "a memory: store is empty"),
    (("{store}", "--now", "2026-12-01T00:00:00Z", "--option", "nope"), "nope"),
    (("{store}", "--now", "2026-12-01T00:00:00Z", "--secrets", "{tmp}/absent.toml"), ""),
])
def test_bad_arguments_are_one_line_and_exit_2(store: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str],
                                               argv: tuple[str, ...], message: str) -> None:
    status, out, err = _janitor(capsys, *(a.format(store=store, tmp=tmp_path) for a in argv))
    assert (status, out) == (EXIT_USAGE, "")
    assert len(err.splitlines()) == 1 and err.startswith("paychart janitor")
    assert message in err
