"""``paychart simulate`` and ``paychart validate --expect`` on the command line: files
written, exit statuses, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paychart.cli import main
from paychart.exit import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE


def _simulate(secrets: Path, out: Path, *extra: str) -> int:
    return main(["simulate", "cardlink", "platform", "--objects", "20", "--seed", "3",
                 "--secrets", str(secrets), "--out", str(out / "day.jsonl"),
                 "--expect", str(out / "day.expect.json"), *extra])


def test_simulate_then_validate_expect(secrets_file: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    assert _simulate(secrets_file, tmp_path) == EXIT_OK
    said = capsys.readouterr().out
    lines = (tmp_path / "day.jsonl").read_text().splitlines()
    assert f"{len(lines)} inputs" in said and "faults planted" in said
    status = main(["validate", str(tmp_path / "day.jsonl"), "--secrets", str(secrets_file),
                   "--expect", str(tmp_path / "day.expect.json"), "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    assert status == EXIT_OK  # the planted faults got the decisions they must get
    assert report["expectations"]["failed"] == 0
    assert report["expectations"]["checked"] > len(lines)
    assert report["summary"]["invalid"] + report["summary"]["duplicate"] > 0


def test_validate_expect_fails_on_a_difference(secrets_file: Path, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert _simulate(secrets_file, tmp_path) == EXIT_OK
    path = tmp_path / "day.expect.json"
    expect = json.loads(path.read_text())
    expect["inputs"][0]["outcomes"] = ["rejected"]
    path.write_text(json.dumps(expect))
    capsys.readouterr()
    status = main(["validate", str(tmp_path / "day.jsonl"), "--secrets", str(secrets_file),
                   "--expect", str(path)])
    out = capsys.readouterr().out
    assert status == EXIT_FINDINGS
    assert "expectations:" in out and "1 failed" in out and "line 1" in out


@pytest.mark.parametrize(("extra", "message"), [
    (("--faults", "typo=5%"), "unknown fault 'typo'"),
    (("--faults", "duplicate=150%"), "between 0 and 100%"),
    (("--span", "forever"), "--span"),
    (("--start", "2026-01-01T00:00:00"), "UTC offset"),
    (("--objects", "0"), "--objects"),
    (("--post", "http://192.0.2.7:8080/hook"), "loopback"),
    (("--post", "ftp://127.0.0.1/"), "http://"),
])
def test_bad_arguments_are_one_line(secrets_file: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str], extra: tuple[str, ...],
                                    message: str) -> None:
    assert _simulate(secrets_file, tmp_path, *extra) == EXIT_USAGE
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "day.jsonl").exists()


def test_unknown_provider_is_a_usage_error(secrets_file: Path, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["simulate", "nosuch", "--secrets", str(secrets_file),
                   "--out", str(tmp_path / "a.jsonl"), "--expect", str(tmp_path / "a.json")])
    assert status == EXIT_USAGE
    assert "nosuch" in capsys.readouterr().err


def test_paylink_needs_its_signing_key(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    fixtures = Path(__file__).resolve().parents[1] / "adapters" / "fixtures" / "paylink"
    secrets = tmp_path / "secrets.toml"
    secrets.write_text((fixtures / "secrets.toml").read_text())
    status = main(["simulate", "paylink", "--secrets", str(secrets),
                   "--out", str(tmp_path / "a.jsonl"), "--expect", str(tmp_path / "a.json")])
    assert status == EXIT_USAGE
    assert "private_key" in capsys.readouterr().err


def test_validate_with_unreadable_expectations(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    day = tmp_path / "day.jsonl"
    day.write_text('{"provider": "cardlink", "channel": "callback", "body": "{}"}\n')
    status = main(["validate", str(day), "--expect", str(tmp_path / "missing.json")])
    assert status == EXIT_USAGE
    assert "cannot read expectations" in capsys.readouterr().err
