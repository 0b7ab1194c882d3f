"""``simulate`` then ``validate --expect``: every provider, several seeds, several providers
in one file, and the faults a default run must exercise."""

from __future__ import annotations

import itertools
from collections import Counter
from pathlib import Path

import pytest

from paychart.decision import Outcome

from .support import PROVIDERS, simulated, validated

SEEDS = (1, 2, 3)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_run_meets_its_expectations(secrets_file: Path, provider: str, seed: int) -> None:
    made = simulated(secrets_file, (provider,), objects=40, seed=seed)
    run, met = validated(secrets_file, made)
    assert met.failures == ()
    assert met.checked == len(made.expect["objects"]) + len(made.records)
    assert not run.internal_errors


@pytest.mark.parametrize(("provider", "option"), [
    ("cardlink", "enable_change_final_status"), ("platform", "allow_retry_after_decline")])
def test_override_edges_walked_when_enabled(secrets_file: Path, provider: str,
                                            option: str) -> None:
    """With the option on, families go on from final states by the override edges, and a
    state left only by one is never planted as a late message (its report is ambiguous)."""
    made = simulated(secrets_file, (provider,), objects=150, seed=4, options=(option,))
    run, met = validated(secrets_file, made)
    assert met.failures == ()
    overridden = [r for r in run.results if any("override" in w for w in r.decision.warnings)]
    assert overridden


@pytest.mark.parametrize("provider", PROVIDERS)
def test_default_faults_exercise_every_outcome(secrets_file: Path, provider: str) -> None:
    """300 families with the default rates: duplicates, stale, rejected and invalid inputs,
    each where the expectations planted it."""
    made = simulated(secrets_file, (provider,), objects=300, seed=11)
    run, met = validated(secrets_file, made)
    assert met.failed == 0
    decided = Counter(result.decision.outcome for result in run.results)
    for outcome in (Outcome.DUPLICATE, Outcome.STALE, Outcome.REJECTED, Outcome.INVALID):
        assert decided[outcome] > 0, outcome
    faults = {item["fault"] for item in made.expect["inputs"]}
    assert {"duplicate", "forged", "unsigned", "over_refund"} <= faults
    assert faults & {"late", "reorder"}


def test_providers_interleave_by_time(secrets_file: Path) -> None:
    made = simulated(secrets_file, PROVIDERS, objects=15, seed=5)
    times = [record["received_at"] for record in made.records]
    assert times == sorted(times)
    providers = [record["provider"] for record in made.records]
    assert set(providers) == set(PROVIDERS)
    switches = sum(a != b for a, b in itertools.pairwise(providers))
    assert switches > len(PROVIDERS) * 3  # mixed, not five blocks one after the other
    _, met = validated(secrets_file, made)
    assert met.failures == ()


def test_a_seed_writes_the_same_traffic(secrets_file: Path) -> None:
    first = simulated(secrets_file, ("paylink", "platform"), objects=10, seed=4)
    again = simulated(secrets_file, ("paylink", "platform"), objects=10, seed=4)
    other = simulated(secrets_file, ("paylink", "platform"), objects=10, seed=5)
    assert (first.records, first.expect) == (again.records, again.expect)
    assert first.records != other.records


def test_expectations_hold_every_object_and_line(secrets_file: Path) -> None:
    made = simulated(secrets_file, ("cardlink",), objects=20, seed=2)
    expect = made.expect
    assert [item["line"] for item in expect["inputs"]] == list(range(1, len(made.records) + 1))
    for wanted in expect["objects"].values():
        assert set(wanted) == {"state", "canonical", "ledger"}
        assert set(wanted["ledger"]) == {"currency", "authorized", "captured", "refunded",
                                         "charged_back"}
    planted = Counter(item["fault"] for item in expect["inputs"] if item["fault"])
    assert dict(planted) == expect["planted"]
