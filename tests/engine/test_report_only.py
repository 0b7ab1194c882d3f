"""``validate_records(report_only=True)``: the run keeps only what a report prints (counts of
every decision, the results it lists, without their bodies), and the report reads the same,
text and JSON, as from a run that kept everything."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from paychart import validate
from paychart.adapter import Adapter
from paychart.cli import main
from paychart.inputs import Record, parse_record, read_records
from paychart.orchestrator import Orchestrator
from paychart.report import as_json, as_text, json_text
from paychart.secrets import Secrets
from paychart.simulate import simulate
from paychart.stores.sqlite import SQLiteStore
from paychart.validate import InputResult, ValidationRun, listed, validate_records
from tests.simulate.support import START, secrets_toml, tables

ROOT = Path(__file__).resolve().parents[2]
DAY = ROOT / "examples" / "cardlink_day.jsonl"
DAY_SECRETS = ROOT / "examples" / "cardlink_secrets.toml"


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Record], Secrets]:
    """Two providers interleaved, with every planted fault, so each report section shows."""
    path = tmp_path_factory.mktemp("sim") / "secrets.toml"
    path.write_text(secrets_toml(), encoding="utf-8")
    made = simulate(("cardlink", "platform"), objects=40, seed=3, secrets=tables(path),
                    start=START, span=timedelta(hours=24))
    records = [parse_record(json.dumps(r), n) for n, r in enumerate(made.records, start=1)]
    return records, Secrets.load(path)


def _both(records: list[Record], secrets: Secrets, allow_unverified: tuple[str, ...] = ()
          ) -> tuple[ValidationRun, ValidationRun]:
    full = validate_records(records, secrets=secrets, allow_unverified=allow_unverified)
    streamed = validate_records(records, secrets=secrets, allow_unverified=allow_unverified,
                                report_only=True)
    return full, streamed


def _same_reports(full: ValidationRun, streamed: ValidationRun) -> None:
    assert as_text(streamed, "x") == as_text(full, "x")
    assert json.dumps(as_json(streamed)) == json.dumps(as_json(full))


def test_the_example_day_reports_the_same_from_what_was_kept() -> None:
    records = list(read_records(DAY))
    for secrets in (Secrets.load(DAY_SECRETS), Secrets()):  # verified, then unverified
        full, streamed = _both(records, secrets)
        _same_reports(full, streamed)
        assert streamed.summary() == full.summary()
        assert streamed.unverified == full.unverified
        assert streamed.clean == full.clean


def test_simulated_traffic_reports_the_same_and_keeps_no_body(
        simulated: tuple[list[Record], Secrets]) -> None:
    records, secrets = simulated
    full, streamed = _both(records, secrets)
    _same_reports(full, streamed)
    assert {o for o, n in full.summary().items() if n} >= {"applied", "duplicate", "invalid"}
    assert streamed.results == tuple(attrs.evolve(r, raw=None) for r in full.results
                                     if listed(r))
    assert len(streamed.results) < len(full.results)
    assert all(r.raw is None for r in streamed.results)
    assert streamed.written == full.written


def test_unverified_callbacks_are_counted_though_their_results_are_dropped(
        simulated: tuple[list[Record], Secrets]) -> None:
    records, _secrets = simulated
    full, streamed = _both(records, Secrets(), allow_unverified=("platform",))
    assert full.unverified and streamed.unverified == full.unverified
    assert streamed.blocking_unverified == full.blocking_unverified == {
        "cardlink": full.unverified["cardlink"]}
    _same_reports(full, streamed)


@given(st.sets(st.integers(min_value=0, max_value=200), max_size=40))
def test_any_part_of_the_day_reports_the_same(picked: set[int]) -> None:
    """Whatever lines survive (none at all, only applied ones, or a mix), the streamed run's
    report is the full run's."""
    records = [r for n, r in enumerate(_DAY_RECORDS) if n in picked]
    full, streamed = _both(records, _DAY_SECRETS)
    _same_reports(full, streamed)
    assert streamed.needs_attention == full.needs_attention


def test_a_line_paychart_failed_on_is_kept_and_counted(monkeypatch: pytest.MonkeyPatch
                                                      ) -> None:
    records = _DAY_RECORDS[:30]
    decide = validate._decide

    def failing(orchestrator: Orchestrator, record: Record, secrets: Secrets,
                adapters: Mapping[str, Adapter] | None = None) -> list[InputResult]:
        if record.line in (4, 9):
            raise KeyError("boom")
        return list(decide(orchestrator, record, secrets, adapters))

    monkeypatch.setattr(validate, "_decide", failing)
    full, streamed = _both(records, _DAY_SECRETS)
    assert [r.line for r in streamed.internal_errors] == [4, 9]
    assert streamed.internal_errors == tuple(attrs.evolve(r, raw=None)
                                             for r in full.internal_errors)
    assert streamed.summary()["internal_errors"] == 2
    _same_reports(full, streamed)


_DAY_RECORDS = list(read_records(DAY))
_DAY_SECRETS = Secrets.load(DAY_SECRETS)


def test_warnings_are_counted_by_what_they_say_and_no_applied_result_is_kept(
        simulated: tuple[list[Record], Secrets]) -> None:
    """Every PLATFORM callback warns that its signature leaves status and amount
    unconfirmed: the page says so once with a count, and the run keeps none of them."""
    records, secrets = simulated
    full, streamed = _both(records, secrets)
    warnings = sum(len(r.decision.warnings) for r in full.results)
    platform = sum(1 for r in full.results if r.decision.provider == "platform"
                   and r.channel == "callback" and r.decision.outcome.value == "applied")
    assert warnings >= platform > 0
    text = as_text(streamed, "x")
    assert f"\nwarnings ({warnings}), by reason:\n" in text
    rows = text.split(f"warnings ({warnings}), by reason:\n", 1)[1].splitlines()
    counts = [int(row.split("×", 1)[0]) for row in rows if "×" in row]
    assert sum(counts) == warnings and counts == sorted(counts, reverse=True)
    assert "unconfirmed until `GET_TRANS_STATUS` reports them" in rows[0]
    assert len(rows) < platform  # grouped, not one line per warning
    assert all(r.decision.outcome.value != "applied" or r.internal_error
               for r in streamed.results)


def test_a_sqlite_run_reads_what_it_wrote_back_from_the_store_and_reports_the_same(
        simulated: tuple[list[Record], Secrets], tmp_path: Path) -> None:
    records, secrets = simulated
    in_memory = validate_records(records, secrets=secrets, report_only=True)
    store = SQLiteStore(tmp_path / "run.sqlite")
    try:
        on_disk = validate_records(records, secrets=secrets, store=store, report_only=True)
        _same_reports(in_memory, on_disk)
        assert [r.key for r in on_disk.written] == sorted(r.key for r in store.objects())
        assert on_disk.order_summary == in_memory.order_summary
    finally:
        store.close()


def test_validate_with_a_store_prints_the_same_report_as_without(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The report reads the written objects from the store, so it is made before the
    command closes the store."""
    day = ["validate", str(DAY), "--secrets", str(DAY_SECRETS)]
    for extra in ((), ("--format", "json")):
        main([*day, *extra])
        alone = capsys.readouterr().out
        main([*day, *extra, "--store", f"sqlite:{tmp_path / ('s' + str(len(extra)))}"])
        assert capsys.readouterr().out == alone
        assert "objects (" in alone or '"objects"' in alone


@pytest.mark.parametrize("ensure_ascii", [False, True])
def test_the_json_report_is_written_piece_by_piece_as_the_same_text(
        simulated: tuple[list[Record], Secrets], ensure_ascii: bool) -> None:
    records, secrets = simulated
    for run in _both(records, secrets):
        for extra in (None, {"expectations": {"met": 3, "missed": ["é"]}}):
            whole = json.dumps({**as_json(run), **(extra or {})}, indent=2,
                               ensure_ascii=ensure_ascii) + "\n"
            pieces = list(json_text(run, extra, ensure_ascii=ensure_ascii))
            assert "".join(pieces) == whole
            assert len(pieces) > len(as_json(run)["objects"])  # not one string at the end
