"""``paychart serve`` (a real process with two workers on one SQLite file) and ``paychart
tail`` (the journal as an outbox, followed live), and their one-line usage errors."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from paychart import ChartSet, Orchestrator, Outcome, RawInput, SQLiteStore
from paychart._cli_tail import beyond_move
from paychart.adapters import get_adapter
from paychart.cli import main
from paychart.exit import EXIT_OK, EXIT_USAGE

from .support import free_socket, recorded, secrets_file

CALLBACKS = [line.raw for line in recorded() if line.callback
             and line.sequence == "cardlink/duplicates"]


def _paychart(*argv: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own argv
        [sys.executable, "-m", "paychart", *argv], text=True, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``paychart serve --workers 2`` on a free port; yields its URL and the store path."""
    store = tmp_path / "payments.sqlite"
    secrets = secrets_file(tmp_path / "secrets.toml")
    probe = free_socket()
    port = probe.getsockname()[1]
    probe.close()
    process = _paychart("serve", "--store", f"sqlite:{store}", "--secrets", str(secrets),
                        "--port", str(port), "--workers", "2",
                        env={**os.environ, "PAYCHART_OPERATOR_TOKEN": "t"})
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90  # two workers import everything, on a busy CI
        while time.monotonic() < deadline:
            assert process.poll() is None, process.communicate()[1]
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url, store
    finally:
        _stop(process)


def test_serve_decides_over_http_and_tail_reads_the_outbox(
        served: tuple[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    url, store = served
    with httpx.Client(base_url=url) as client:
        answers = [client.post("/webhooks/cardlink", content=raw.body,
                               headers=dict(raw.headers)) for raw in CALLBACKS]
        assert [a.status_code for a in answers] == [200] * len(CALLBACKS)
        metrics = client.get("/metrics", headers={"Authorization": "Bearer t"})
        assert metrics.status_code == 200
    assert main(["tail", f"sqlite:{store}", "--format", "json"]) == EXIT_OK
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["seq"] for line in lines] == list(range(1, len(CALLBACKS) + 1))
    assert [line["decision"]["outcome"] for line in lines] == (
        ["applied"] + ["duplicate"] * (len(CALLBACKS) - 1))
    assert main(["tail", f"sqlite:{store}", "--after", "1"]) == EXIT_OK
    text = capsys.readouterr().out.splitlines()
    assert len(text) == len(CALLBACKS) - 1
    assert text[0].split()[0] == "2" and "cardlink/payment/" in text[0]
    assert "duplicate" in text[0]


def test_tail_follow_prints_entries_as_they_are_committed(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite"
    store = SQLiteStore(path)
    engine = Orchestrator(ChartSet.bundled(), store)
    engine.ingest(CALLBACKS[0], get_adapter("cardlink"))
    tail = _paychart("tail", f"sqlite:{path}", "--follow", "--format", "json")
    try:
        assert tail.stdout is not None
        first = json.loads(tail.stdout.readline())
        assert first["seq"] == 1
        engine.ingest(CALLBACKS[1], get_adapter("cardlink"))
        ready, _, _ = select.select([tail.stdout], [], [], 20)
        assert ready, "tail --follow printed nothing for the new entry"
        second = json.loads(tail.stdout.readline())
        assert (second["seq"], second["decision"]["outcome"]) == (2, Outcome.DUPLICATE.value)
    finally:
        _stop(tail)
        store.close()
    assert tail.returncode == EXIT_OK


def test_tail_text_prints_a_reason_only_when_it_says_more_than_the_move(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.sqlite"
    store = SQLiteStore(path)
    engine = Orchestrator(ChartSet.bundled(), store)
    for status in ("pending", "approved", "approved"):
        body = json.dumps({"token": "0" * 32, "type": "pay", "status": status,
                           "amount": 1000, "currency": "EUR",
                           "signature": "unchecked: no secrets given"}).encode("utf-8")
        engine.ingest(RawInput("cardlink", "callback", body), get_adapter("cardlink"))
    decisions = [e.decision for e in store.entries()]
    store.close()
    assert [d.outcome for d in decisions] == [Outcome.APPLIED] * 2 + [Outcome.DUPLICATE]
    moved = decisions[1]
    assert moved.reason == "`pending` → `approved`"
    assert main(["tail", f"sqlite:{path}"]) == EXIT_OK
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].endswith("  applied  pending → approved")
    assert lines[1].count("pending") == 1
    assert lines[2].endswith(f"  duplicate  -  {decisions[2].reason}")


@pytest.mark.parametrize(("reason", "shown"), [
    ("`pending` → `approved`", ""),
    ("`pending` → `approved` (from a poll)", "(from a poll)"),
    ("late `pending` → `approved` after `declined`", "late `pending` → `approved` after "
                                                     "`declined`"),
    ("already `pending`; nothing newer", "already `pending`; nothing newer"),
])
def test_the_reason_beyond_the_move(reason: str, shown: str) -> None:
    assert beyond_move(reason, "pending → approved") == shown


@pytest.mark.parametrize(("argv", "message"), [
    (["serve", "--store", "sqlite:x.sqlite"], "the following arguments are required: --secrets"),
    (["serve", "--store", "memory:", "--secrets", "SECRETS", "--port", "70000"],
     "port must be 1-65535"),
    (["serve", "--store", "memory:", "--secrets", "SECRETS", "--workers", "0"],
     "workers must be a whole number"),
    (["serve", "--store", "memory:", "--secrets", "SECRETS", "--workers", "2"],
     "a memory: store lives in one process"),
    (["serve", "--store", "sqlite:STORE", "--secrets", "missing.toml"],
     "cannot read secrets file missing.toml"),
    (["serve", "--store", "nowhere:", "--secrets", "SECRETS"], "unknown store 'nowhere:'"),
    (["tail", "sqlite:missing.sqlite"], "no store at missing.sqlite"),
    (["tail", "sqlite:STORE", "--after", "-1"], "SEQ must be a whole number"),
    (["tail", "memory:"], "a memory: store is empty when opened"),
])
def test_bad_arguments_are_one_line_and_exit_2(argv: list[str], message: str, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    secrets = secrets_file(tmp_path / "secrets.toml")
    monkeypatch.chdir(tmp_path)
    argv = [str(secrets) if a == "SECRETS" else a.replace("STORE", str(tmp_path / "s.sqlite"))
            for a in argv]
    assert main(argv) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


def test_serve_without_starlette_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "starlette", None)
    secrets = secrets_file(tmp_path / "secrets.toml")
    assert main(["serve", "--store", "memory:", "--secrets", str(secrets)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert "pip install 'paychart[server]'" in err and err.count("\n") == 1


def test_the_core_package_never_imports_the_server_libraries() -> None:
    code = ("import sys, paychart, paychart.cli, paychart.validate; "
            "paychart.cli.build_parser(); "
            "print(sorted(m for m in ('starlette', 'uvicorn', 'prometheus_client', 'httpx') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code],  # noqa: S603 - our own code
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
