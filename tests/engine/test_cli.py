"""The ``paychart`` command: exit statuses, one-line errors instead of tracebacks, validate
over the example day and over hostile recordings, replay and objects."""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from paychart import cli, validate
from paychart.adapter import Adapter, AdapterContext, ParseResult, RawInput
from paychart.adapters import get_adapter
from paychart.cli import main
from paychart.decision import Outcome
from paychart.errors import InputError
from paychart.exit import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE
from paychart.inputs import Record
from paychart.orchestrator import Orchestrator

ROOT = Path(__file__).resolve().parents[2]
DAY = ROOT / "examples/cardlink_day.jsonl"
SECRETS = ROOT / "examples/cardlink_secrets.toml"
DAY_LINES = DAY.read_bytes().splitlines(keepends=True)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def _subprocess(command: str, **env: str) -> subprocess.CompletedProcess[str]:
    """A real ``python -m paychart`` in a shell (for pipes and output encodings)."""
    return subprocess.run(command, shell=True, capture_output=True, text=True,  # noqa: S602
                          env={**os.environ, **env}, timeout=300, check=False,
                          executable="/bin/bash", errors="replace")


PAYCHART = f"{sys.executable} -m paychart"


@pytest.fixture(scope="module")
def day_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "day.sqlite"
    assert main(["validate", str(DAY), "--secrets", str(SECRETS),
                 "--store", f"sqlite:{path}"]) == EXIT_FINDINGS
    return path


# -- version and help ------------------------------------------------------------------------

def test_version_comes_from_the_installed_metadata(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = _run(capsys, "--version")
    assert (status, out) == (EXIT_OK, f"paychart {version('paychart')}\n")


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = cli.build_parser()
    (sub,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(sub.choices)


@pytest.mark.parametrize("command", sorted(_subparsers()))
def test_every_subcommand_has_an_example_and_every_option_help(command: str) -> None:
    sub = _subparsers()[command]
    assert sub.epilog is not None
    assert f"paychart {command}" in sub.epilog.split("examples:", 1)[1]
    for action in sub._actions:
        assert action.help, f"{command} {action.option_strings or action.dest} has no help"


# -- bad arguments: one line on stderr, exit 2 -----------------------------------------------

def _text_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.txt"
    path.write_text("not a database\n")
    return path


def _truncated_db(tmp_path: Path) -> Path:
    whole = tmp_path / "whole.sqlite"
    assert main(["validate", str(DAY), "--store", f"sqlite:{whole}"]) == EXIT_FINDINGS
    cut = tmp_path / "cut.sqlite"
    cut.write_bytes(whole.read_bytes()[:20_000])
    return cut


BAD_ARGUMENTS = [
    (("validate", str(DAY), "--store", "mysql://db"),
     "unknown store 'mysql://db': give one of sqlite:PATH, memory:, postgresql://"),
    (("validate", str(DAY), "--store", "sqlite:{text}"), "is not a usable SQLite store"),
    (("validate", str(DAY), "--store", "sqlite:{truncated}"), "is not a usable SQLite store"),
    (("validate", str(DAY), "--store", "sqlite:{tmp}/no/such/dir/x.sqlite"),
     "does not exist"),
    (("objects", "sqlite:{text}"), "is not a usable SQLite store"),
    (("replay", "sqlite:{tmp}/absent.sqlite"), "no store at"),
    (("replay", "memory:"), "give sqlite:PATH"),
    (("validate", str(DAY), "--option", "enable_everything"),
     "unknown option enable_everything; known: allow_retry_after_decline, "
     "enable_change_final_status"),
    (("parse", "nopay", str(DAY)), "unknown provider 'nopay' (known: cardlink"),
    (("parse", "cardlink", str(DAY), "--header", "no-colon"), "--header wants NAME:VALUE"),
    (("diagram", "no_such_chart"), "unknown chart no_such_chart; known: cardlink_dispute"),
    (("validate", str(DAY), "--secrets", "{tmp}/absent.toml"), "cannot read secrets file"),
    (("validate", str(DAY), "--secrets", "{text}"), "is not valid TOML"),
    (("validate", "{tmp}/absent.jsonl"), "No such file or directory"),
    (("validate", "{tmp}"), "Is a directory"),
    (("validate", "{tmp}/empty.jsonl"), "holds no input: nothing was read"),
    (("validate", str(DAY), "--format", "xml"), "invalid choice: 'xml'"),
    (("frobnicate",), "invalid choice: 'frobnicate'"),
    ((), "the following arguments are required: COMMAND"),
]


@pytest.mark.parametrize(("argv", "message"), BAD_ARGUMENTS)
def test_bad_arguments_give_one_line_and_exit_2(argv: tuple[str, ...], message: str,
                                                tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty.jsonl").write_text("\n  \n")
    values = {"tmp": str(tmp_path), "text": str(_text_file(tmp_path))}
    if any("{truncated}" in a for a in argv):
        values["truncated"] = str(_truncated_db(tmp_path))
    capsys.readouterr()
    status, _out, err = _run(capsys, *(a.format(**values) for a in argv))
    assert status == EXIT_USAGE
    assert message.format(**values) in err
    assert err.count("\n") == 1, err
    assert err.startswith("paychart")


def test_a_missing_folder_is_not_created(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    status, _out, _err = _run(capsys, "validate", str(DAY), "--store",
                              f"sqlite:{tmp_path}/missing/x.sqlite")
    assert status == EXIT_USAGE
    assert not (tmp_path / "missing").exists()


@pytest.mark.parametrize("command", [
    f"{PAYCHART} validate examples/cardlink_day.jsonl --store sqlite:README.md",
    f"{PAYCHART} validate examples/cardlink_day.jsonl --option nope",
    f"{PAYCHART} parse nopay examples/cardlink_day.jsonl",
])
def test_bad_arguments_in_a_real_process_print_no_traceback(command: str) -> None:
    done = _subprocess(f"cd {ROOT} && {command}")
    assert done.returncode == EXIT_USAGE
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["charts", "diagram", "validate examples/cardlink_day.jsonl"])
def test_a_closed_pipe_is_not_a_traceback(command: str) -> None:
    done = _subprocess(f"cd {ROOT} && {PAYCHART} {command} | head -1")
    assert done.stdout.count("\n") == 1
    assert done.stderr == ""


def test_an_output_that_cannot_encode_is_one_line_and_exit_2() -> None:
    done = _subprocess(f"cd {ROOT} && {PAYCHART} validate examples/cardlink_day.jsonl",
                       PYTHONIOENCODING="ascii")
    assert done.returncode == EXIT_USAGE
    assert "Traceback" not in done.stderr
    assert "output encoding ascii cannot show" in done.stderr
    assert done.stderr.count("\n") == 1


def test_json_output_escapes_what_an_ascii_stdout_cannot_show() -> None:
    done = _subprocess(f"cd {ROOT} && {PAYCHART} validate examples/cardlink_day.jsonl "
                       "--format json", PYTHONIOENCODING="ascii")
    assert done.returncode == EXIT_FINDINGS
    assert json.loads(done.stdout)["summary"]["inputs"] == 594


def test_version_in_a_real_process() -> None:
    done = _subprocess(f"{PAYCHART} --version")
    assert (done.returncode, done.stdout) == (EXIT_OK, f"paychart {version('paychart')}\n")


# -- validate ---------------------------------------------------------------------------------

def test_validate_the_example_day_lists_the_planted_faults(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = _run(capsys, "validate", str(DAY), "--secrets", str(SECRETS))
    assert (status, err) == (EXIT_FINDINGS, "")
    assert "594 inputs: 480 applied · 92 duplicate · 10 stale · 8 rejected · 4 invalid" in out
    for line in (588, 590, 591):
        assert f"line {line}  cardlink payment" in out
    assert out.count("signature: callback signature does not verify") == 3
    assert "callback carries no signature" in out
    assert out.count("needs option `enable_change_final_status` (disabled)") == 2
    assert "exceeds refundable 0.00 EUR" in out
    assert "is `pending`; it blocks status changes of this payment" in out


def test_validate_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = _run(capsys, "validate", str(DAY), "--secrets", str(SECRETS),
                             "--format", "json", "--option", "enable_change_final_status")
    report = json.loads(out)
    assert status == EXIT_FINDINGS
    assert report["summary"]["rejected"] == 6  # the two overrides now apply
    assert len(report["objects"]) == 185
    assert sorted(report["objects"][0]) == ["canonical", "id", "ledger", "object", "provider",
                                            "state"]
    assert report["unchecked_signatures"] == []


def _hostile_day(tmp_path: Path) -> tuple[Path, int]:
    """The first 40 lines of the day with hostile lines mixed in; returns the file and its
    count of non-blank lines."""
    cut = DAY_LINES[:40]
    hostile = [
        b'{"provider": "cardlink", "channel": "callback", "body": "\xff\xfe"}\n',
        b"{this is not json\n",
        b"[1, 2, 3]\n",
        json.dumps({"provider": "cardlink", "channel": "callback",
                    "body": json.dumps({"token": {"x": [None] * 50}, "status": 7,
                                        "amount": "1e999", "currency": ["EUR"]})}).encode()
        + b"\n",
        json.dumps({"provider": "cardlink", "channel": "callback"}).encode() + b"\n",
    ]
    lines = [*cut[:10], *hostile[:3], *cut[10:25], *hostile[3:], *cut[25:]]
    path = tmp_path / "hostile.jsonl"
    path.write_bytes(b"".join(lines))
    return path, len(lines)


def test_hostile_lines_are_each_invalid_and_every_other_line_is_decided(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path, count = _hostile_day(tmp_path)
    store = tmp_path / "h.sqlite"
    status, out, err = _run(capsys, "validate", str(path), "--secrets", str(SECRETS),
                            "--store", f"sqlite:{store}", "--format", "json")
    assert (status, err) == (EXIT_FINDINGS, "")
    report = json.loads(out)
    assert report["summary"]["inputs"] == count
    invalid = {d["line"]: d for d in report["decisions"] if d["outcome"] == "invalid"}
    assert set(invalid) >= {11, 12, 13, 29, 30}
    assert "not UTF-8" in invalid[11]["reason"]
    assert "not JSON" in invalid[12]["reason"]
    assert invalid[30]["field"] == "body"
    with sqlite3.connect(store) as db:
        lines = [row[0] for row in db.execute("SELECT line FROM journal ORDER BY seq")]
    assert sorted(set(lines)) == list(range(1, count + 1))


class _Crashing:
    """An adapter that fails outright on one body and reports a defect on another."""

    def __init__(self, inner: Adapter) -> None:
        self.inner = inner
        self.provider, self.rules = inner.provider, inner.rules
        self.signature, self.secrets = inner.signature, inner.secrets

    def parse(self, raw: RawInput, context: AdapterContext) -> ParseResult:
        if b"BOOM" in raw.body:
            raise RuntimeError("secret-looking detail BOOM")
        if b"DEFECT" in raw.body:
            return ParseResult(error=InputError("body", "could not read"),
                               defect="cardlink callback parser: KeyError")
        return self.inner.parse(raw, context)


def test_an_exception_on_one_line_is_an_internal_error_and_the_run_goes_on(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    real = get_adapter
    monkeypatch.setattr(validate, "get_adapter", lambda name: _Crashing(real(name)))
    boom = json.dumps({"provider": "cardlink", "channel": "callback", "body": "BOOM"}) + "\n"
    defect = json.dumps({"provider": "cardlink", "channel": "callback", "body": "DEFECT"})
    path = tmp_path / "crash.jsonl"
    path.write_bytes(b"".join(DAY_LINES[:5]) + boom.encode() + defect.encode() + b"\n"
                     + b"".join(DAY_LINES[5:20]))
    store = tmp_path / "c.sqlite"
    status, out, err = _run(capsys, "validate", str(path), "--secrets", str(SECRETS),
                            "--store", f"sqlite:{store}", "--format", "json")
    assert status == EXIT_INTERNAL
    report = json.loads(out)
    assert report["summary"]["inputs"] == 22
    assert [e["line"] for e in report["internal_errors"]] == [6, 7]
    assert report["internal_errors"][0]["error"].startswith("RuntimeError at test_cli.py:")
    assert "secret-looking" not in out + err
    assert "internal error on line 6: RuntimeError" in err
    assert "internal error on line 7: cardlink callback parser: KeyError" in err
    with sqlite3.connect(store) as db:
        rows = dict(db.execute("SELECT line, outcome FROM journal WHERE line IN (6, 7)"))
        journaled = db.execute("SELECT count(*) FROM journal").fetchone()[0]
    assert rows == {6: "invalid", 7: "invalid"}
    assert journaled == 22


def test_a_failing_store_still_reports_the_line(monkeypatch: pytest.MonkeyPatch) -> None:
    """When journaling the internal error fails too, the line is reported unjournaled."""
    def broken(*_args: object, **_kwargs: object) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(Orchestrator, "ingest", broken)
    monkeypatch.setattr(Orchestrator, "invalid", broken)
    records = [Record(1, raw=RawInput("cardlink", "callback", b"{}"))]
    run = validate.validate_records(records)
    (result,) = run.results
    assert result.internal_error is not None
    assert result.internal_error.startswith("OperationalError")
    assert "not journaled" in result.decision.reason
    assert result.decision.outcome is Outcome.INVALID


# -- replay and objects ----------------------------------------------------------------------

def test_replay_json_matches_a_fresh_store(day_store: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = _run(capsys, "replay", f"sqlite:{day_store}", "--format", "json")
    assert status == EXIT_OK
    assert json.loads(out) == {"entries": 594, "objects": 185, "differences": []}
    status, out, _err = _run(capsys, "replay", f"sqlite:{day_store}")
    assert "replay matches the store" in out


def test_replay_reports_a_tampered_store(day_store: Path, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    tampered = tmp_path / "tampered.sqlite"
    tampered.write_bytes(day_store.read_bytes())
    with sqlite3.connect(tampered) as db:
        key = db.execute("SELECT key FROM objects WHERE state='approved' LIMIT 1").fetchone()[0]
        db.execute("UPDATE objects SET state='declined' WHERE key=?", (key,))
    status, out, _err = _run(capsys, "replay", f"sqlite:{tampered}", "--format", "json")
    assert status == EXIT_FINDINGS
    assert json.loads(out)["differences"] == [
        f"{key}: state stored 'declined', replay gives 'approved'"]


def test_objects_lists_provider_kind_id_state_canonical_and_ledger(
        day_store: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _err = _run(capsys, "objects", f"sqlite:{day_store}", "--format", "json")
    rows = json.loads(out)
    assert status == EXIT_OK
    assert len(rows) == 185
    first = rows[0]
    assert sorted(first) == ["canonical", "chart", "id", "ledger", "object", "provider",
                             "state"]
    assert {r["canonical"] for r in rows} >= {"succeeded", "refunded", "dispute_lost"}
    assert sum(r["object"] == "payment" for r in rows) == 149
    status, out, _err = _run(capsys, "objects", f"sqlite:{day_store}")
    assert out.count("\n") == 185
    assert out.startswith(f"cardlink  dispute  {first['id']}")


HAPPY = ROOT / "tests/adapters/fixtures/cardlink/sequences/happy_3ds.jsonl"


def test_validate_without_secrets_is_unverified_and_exits_1(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "validate", str(HAPPY))
    assert status == EXIT_FINDINGS
    assert "verdict: UNVERIFIED" in out
    status, out, _ = _run(capsys, "validate", str(HAPPY), "--format", "json")
    assert status == EXIT_FINDINGS
    assert json.loads(out)["summary"]["unverified"]["by_provider"]["cardlink"] > 0


def test_allow_unverified_accepts_one_provider_and_refuses_unknown_ones(
        capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = _run(capsys, "validate", str(HAPPY), "--allow-unverified", "cardlink")
    assert status == EXIT_OK and "verdict: clean" in out
    status, out, err = _run(capsys, "validate", str(HAPPY), "--allow-unverified", "cardlnk")
    assert status == EXIT_USAGE and out == "" and "unknown provider 'cardlnk'" in err


def test_check_warns_of_waiting_states_nobody_watches(capsys: pytest.CaptureFixture[str]) -> None:
    """A chart stays loadable, but `check` names the waiting states with neither a timer nor
    a poll, so a chart author sees them (the CARDLINK refund has no documented status query)."""
    status, stdout, _ = _run(capsys, "check")
    assert status == EXIT_OK
    block = stdout.split("specs/cardlink_refund.toml: ok\n", 1)[1].split("specs/", 1)[0]
    assert "warning: `pending` waits on the provider with neither a timer nor a poll" in block
    payment = stdout.split("specs/cardlink_payment.toml: ok\n", 1)[1].split("specs/", 1)[0]
    assert "warning" not in payment
