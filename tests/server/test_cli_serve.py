"""``paychart serve`` (a real process with two workers on one SQLite file) and ``paychart
tail`` (the journal as an outbox, followed live), and their one-line usage errors."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from paychart import ChartSet, Orchestrator, Outcome, RawInput, SQLiteStore
from paychart._cli_serve import (
    ENV_CHARTS,
    ENV_OPERATOR_TOKEN,
    ENV_OPTIONS,
    ENV_SECRETS,
    ENV_STORE,
    app_from_environment,
)
from paychart._cli_tail import beyond_move
from paychart.adapters import get_adapter
from paychart.adapters.cardlink.signature import digest
from paychart.cli import main
from paychart.exit import EXIT_OK, EXIT_USAGE

from .support import (
    all_secrets,
    paychart,
    paychart_serve,
    recorded,
    secrets_file,
    serving,
    stop,
)

CALLBACKS = [line.raw for line in recorded() if line.callback
             and line.sequence == "cardlink/duplicates"]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``paychart serve --workers 2`` on a free port; yields its URL and the store path."""
    store = tmp_path / "payments.sqlite"
    secrets = secrets_file(tmp_path / "secrets.toml")
    with paychart_serve(f"sqlite:{store}", secrets, "--workers", "2",
                        env={"PAYCHART_OPERATOR_TOKEN": "t"}) as url:
        yield url, store


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
    tail = paychart("tail", f"sqlite:{path}", "--follow", "--format", "json")
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
        stop(tail)
        store.close()
    assert tail.returncode == EXIT_OK


def test_sigterm_ends_tail_follow_cleanly_while_it_waits(tmp_path: Path) -> None:
    """A service manager stops a consumer with SIGTERM: status 0, every line printed."""
    path = tmp_path / "s.sqlite"
    store = SQLiteStore(path)
    Orchestrator(ChartSet.bundled(), store).ingest(CALLBACKS[0], get_adapter("cardlink"))
    store.close()
    tail = paychart("tail", f"sqlite:{path}", "--follow", "--format", "json")
    assert tail.stdout is not None
    assert json.loads(tail.stdout.readline())["seq"] == 1
    tail.send_signal(signal.SIGTERM)
    out, err = tail.communicate(timeout=60)
    assert (tail.returncode, out, err) == (EXIT_OK, "", "")


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
    (["serve", "--store", "memory:", "--secrets", "SECRETS", "--option", "nope"],
     "unknown option nope; known: "),
    (["serve", "--store", "memory:", "--secrets", "SECRETS", "--option",
      "allow_late_approval"], "unknown option allow_late_approval"),
    (["serve", "--store", "memory:", "--secrets", "SECRETS", "--chart", "missing.toml"],
     "missing.toml: cannot read"),
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


SHOP_CHART = Path(__file__).resolve().parents[1] / "engine" / "charts" / "shop_payment.toml"
"""A test chart declaring ``allow_late_approval``, which no bundled chart declares."""


def _signed_cardlink(status: str) -> bytes:
    data: dict[str, object] = {"token": "1" * 32, "type": "pay", "status": status,
                               "amount": 1000, "currency": "EUR"}
    data["signature"] = digest(data, all_secrets().for_provider("cardlink")["private_key"])
    return json.dumps(data).encode("utf-8")


@pytest.mark.parametrize(("options", "outcome", "state"), [
    ([], "rejected", "declined"),
    (["--option", "enable_change_final_status"], "applied", "approved"),
])
def test_serve_gives_every_worker_its_charts_and_options(
        options: list[str], outcome: str, state: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``serve`` checks ``--option`` against the charts ``--chart`` adds, then each worker
    builds its engine with them: the override edge ``declined → approved`` is taken only
    with its option."""
    ran: list[dict[str, object]] = []
    monkeypatch.setattr(uvicorn, "run", lambda *_args, **kwargs: ran.append(kwargs))
    for name in (ENV_STORE, ENV_SECRETS, ENV_CHARTS, ENV_OPTIONS):
        monkeypatch.setenv(name, "")  # cmd_serve sets them; restored after the test
    monkeypatch.setenv(ENV_OPERATOR_TOKEN, "t")
    store = tmp_path / "s.sqlite"
    secrets = secrets_file(tmp_path / "secrets.toml")
    argv = ["serve", "--store", f"sqlite:{store}", "--secrets", str(secrets), *options,
            "--option", "allow_late_approval", "--chart", str(SHOP_CHART)]
    monkeypatch.chdir(SHOP_CHART.parent)  # a relative --chart reaches workers absolute
    argv[-1] = SHOP_CHART.name
    assert main(argv) == EXIT_OK
    assert ran and ran[0]["workers"] == 1
    assert json.loads(os.environ[ENV_CHARTS]) == [str(SHOP_CHART)]
    with serving(app_from_environment()) as url, httpx.Client(base_url=url) as client:
        for status in ("declined", "approved"):
            answer = client.post("/webhooks/cardlink", content=_signed_cardlink(status),
                                 headers={"Content-Type": "application/json"})
            assert answer.status_code == 200
        view = client.get(f"/objects/cardlink/payment/{'1' * 32}",
                          headers={"Authorization": "Bearer t"}).json()
    assert view["state"] == state
    reader = SQLiteStore(store, read_only=True)
    assert [e.decision.outcome.value for e in reader.entries()] == ["applied", outcome]
    reader.close()
