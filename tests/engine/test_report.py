"""The validate report: built from the run's own results (never the orchestrator or store
afterwards), its text page and its JSON shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import attrs
import pytest

from paychart.audit import render_audit
from paychart.charts import ChartSet
from paychart.errors import UnknownProviderError
from paychart.orchestrator import Orchestrator
from paychart.report import as_json, as_text
from paychart.secrets import Secrets
from paychart.stores.sqlite import SQLiteStore
from paychart.validate import ValidationRun, validate_file

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests/engine/fixtures/audit"
TRAFFIC = FIXTURES / "shop_traffic.jsonl"


def _charts() -> ChartSet:
    return ChartSet.from_paths([FIXTURES / "shop_payment.toml", FIXTURES / "shop_refund.toml"])


class _Gone:
    """Stands in for the orchestrator after the run: any use of it fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the report asked the live orchestrator for {name}")


@pytest.fixture(scope="module")
def run() -> ValidationRun:
    done = validate_file(TRAFFIC, charts=_charts())
    return attrs.evolve(done, orchestrator=cast(Orchestrator, _Gone()))


def test_json_report_shape(run: ValidationRun) -> None:
    report = as_json(run)
    assert sorted(report) == ["decisions", "internal_errors", "objects", "orders",
                              "summary", "unchecked_signatures"]
    summary = report["summary"]
    assert summary.pop("unverified") == {"total": 0, "by_provider": {}, "allowed": []}
    assert summary.pop("verdict") == "NEEDS ATTENTION (rejected or invalid inputs)"
    assert summary == {"inputs": 14, "applied": 10, "duplicate": 1, "stale": 1,
                       "rejected": 1, "invalid": 1, "internal_errors": 0}
    assert [d["outcome"] for d in report["decisions"]] == ["duplicate", "invalid", "stale",
                                                           "rejected"]
    invalid = report["decisions"][1]
    assert (invalid["line"], invalid["field"], invalid["provider"]) == (7, "line", None)
    assert sorted(invalid) == ["field", "from", "id", "line", "object", "outcome", "provider",
                               "reason", "to", "warnings"]
    assert report["internal_errors"] == []


def test_objects_include_what_a_child_did_to_its_parent(run: ValidationRun) -> None:
    """The refund's settlement moved and charged its payment in the child's commit; the
    report knows it without reading the store."""
    objects = {o["id"]: o for o in as_json(run)["objects"]}
    assert sorted(objects) == ["p-100", "p-200", "p-300", "p-400", "r-400"]
    parent = objects["p-400"]
    assert (parent["state"], parent["canonical"]) == ("refunded", "refunded")
    assert parent["ledger"]["refunded"] == 800
    assert objects["p-200"]["canonical"] == "disputed"


def test_text_report_lists_what_needs_attention(run: ValidationRun) -> None:
    text = as_text(run, "shop.jsonl")
    assert text.startswith("paychart validate shop.jsonl\n14 inputs: 10 applied · 1 duplicate"
                           " · 1 stale · 1 rejected · 1 invalid\n")
    assert "verdict: NEEDS ATTENTION" in text
    assert "invalid (1):\n  line 7" in text
    assert "rejected (1):\n  line 12  shop payment p-300" in text
    assert "INTERNAL ERRORS" not in text


def test_audit_page_renders_without_the_orchestrator(run: ValidationRun) -> None:
    html = render_audit(run, "shop.jsonl")
    assert 'data-key="shop/payment/p-400"' in html
    assert "internal-errors" not in html


def test_a_store_holding_an_earlier_run_does_not_leak_into_the_report(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "s.sqlite")
    validate_file(TRAFFIC, charts=_charts(), store=store)
    only_p100 = tmp_path / "p100.jsonl"
    only_p100.write_text("".join(line for line in TRAFFIC.read_text().splitlines(True)
                                 if '"p-100"' in line))
    again = validate_file(only_p100, charts=_charts(), store=store)
    assert len(list(store.objects())) == 5
    assert [o["id"] for o in as_json(again)["objects"]] == []  # nothing new was written
    assert {d["outcome"] for d in as_json(again)["decisions"]} == {"duplicate"}
    store.close()


def test_internal_errors_are_reported_with_their_lines(run: ValidationRun) -> None:
    failed = attrs.evolve(run.results[3], internal_error="KeyError at parse.py:9 in read")
    broken = attrs.evolve(run, results=(*run.results[:3], failed, *run.results[4:]))
    assert as_json(broken)["internal_errors"] == [
        {"line": failed.line, "error": "KeyError at parse.py:9 in read"}]
    assert as_json(broken)["summary"]["internal_errors"] == 1
    text = as_text(broken, "shop.jsonl")
    assert "· 1 internal errors" in text
    assert "INTERNAL ERRORS (1)" in text
    assert f"line {failed.line}  KeyError at parse.py:9 in read" in text
    assert 'id="internal-errors"' in render_audit(broken, "shop.jsonl")


CARDLINK = ROOT / "tests/adapters/fixtures/cardlink"
HAPPY = CARDLINK / "sequences/happy_3ds.jsonl"


def test_a_run_with_unverified_callbacks_is_never_clean() -> None:
    unverified = validate_file(HAPPY)
    assert not unverified.needs_attention and not unverified.clean
    callbacks = sum(1 for r in unverified.results if r.channel == "callback")
    assert callbacks and unverified.unverified == {"cardlink": callbacks}
    text = as_text(unverified, "happy.jsonl")
    assert f"verdict: UNVERIFIED ({callbacks} callbacks" in text
    assert f"callbacks NOT verified (no secret given): cardlink {callbacks}" in text
    assert as_json(unverified)["summary"]["unverified"]["total"] == callbacks
    assert as_json(unverified)["unchecked_signatures"] == ["cardlink"]


def test_allowed_or_verified_callbacks_leave_the_run_clean() -> None:
    allowed = validate_file(HAPPY, allow_unverified=["cardlink"])
    assert allowed.clean and "verdict: clean" in as_text(allowed, "happy.jsonl")
    count = allowed.unverified["cardlink"]
    assert f"cardlink {count} (allowed)" in as_text(allowed, "happy.jsonl")
    verified = validate_file(HAPPY, secrets=Secrets.load(CARDLINK / "secrets.toml"))
    assert verified.clean and verified.unverified == {}
    assert as_json(verified)["summary"]["unverified"] == {"total": 0, "by_provider": {},
                                                          "allowed": []}


def test_an_unknown_provider_cannot_be_allowed_unverified() -> None:
    with pytest.raises(UnknownProviderError, match="cardlnk"):
        validate_file(HAPPY, allow_unverified=["cardlnk"])
