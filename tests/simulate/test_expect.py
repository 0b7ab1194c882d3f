"""``paychart.expect``: a run that differs from its expectations is caught, object by object
and line by line."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from paychart.exit import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK
from paychart.expect import ExpectError, check, load_expect

from .support import simulated, validated


def test_a_wrong_final_state_fails(secrets_file: Path) -> None:
    made = simulated(secrets_file, ("cardlink",), objects=10, seed=3)
    run, met = validated(secrets_file, made)
    assert met.failed == 0 and met.status(EXIT_FINDINGS) == EXIT_OK
    wrong = copy.deepcopy(made.expect)
    key = next(iter(wrong["objects"]))
    wrong["objects"][key]["state"] = "nowhere"
    wrong["inputs"][0]["outcomes"] = ["stale"]
    failed = check(run, wrong)
    assert failed.failed == 2
    assert {f.get("object") for f in failed.failures} >= {key}
    assert any(f.get("line") == 1 and f["got"] == ["applied"] for f in failed.failures)
    assert failed.status(EXIT_OK) == EXIT_FINDINGS
    assert failed.status(EXIT_INTERNAL) == EXIT_INTERNAL
    assert "2 failed" in failed.text_line() and "nowhere" in failed.text_line()


def test_a_missing_object_fails(secrets_file: Path) -> None:
    made = simulated(secrets_file, ("invoices",), objects=5, seed=3)
    run, _ = validated(secrets_file, made)
    wanted = {**made.expect, "objects": {"invoices/payment_invoice/cpi_never": {}}}
    assert check(run, wanted).failures[0]["got"] is None


@pytest.mark.parametrize("text", ["not json", "[]", '{"objects": []}'])
def test_unreadable_expectations_are_one_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "expect.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ExpectError):
        load_expect(path)


def test_expectations_round_trip_as_json(secrets_file: Path, tmp_path: Path) -> None:
    made = simulated(secrets_file, ("platform",), objects=5, seed=1)
    path = tmp_path / "expect.json"
    path.write_text(json.dumps(made.expect), encoding="utf-8")
    assert load_expect(path) == made.expect
