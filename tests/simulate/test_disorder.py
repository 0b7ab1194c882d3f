"""Simulated traffic of all five providers, delivered shuffled with a third of it twice (and
then all of it again, as providers retry what we refused), must end where the ordered delivery
ends. Before late messages were decided in their place (``engine/refold.py``) 18 of 147
objects ended elsewhere: an older message carrying money was `stale` by provider sequence
(an invoice's partial refund after `refund_failed`, a platform chargeback reversal after
`VOID`) and a transaction-services `reversed` was read as a refund where it was a chargeback
reversal."""

from __future__ import annotations

import json
import random
from datetime import timedelta
from pathlib import Path

import pytest

from paychart.expect import check
from paychart.inputs import parse_record
from paychart.secrets import Secrets
from paychart.simulate import DEFAULT_RATES, simulate
from paychart.validate import validate_records

from .support import PROVIDERS, START, tables

ONLY_DISORDER = {**dict.fromkeys(DEFAULT_RATES, 0.0), "duplicate": DEFAULT_RATES["duplicate"],
                 "forged": DEFAULT_RATES["forged"]}
"""The shuffle is the fault here: no planted late, reordered or over-refund messages."""


def _objects_failing(path: Path, lines: list[str], expect: dict[str, object]) -> list[object]:
    records = [parse_record(text, n) for n, text in enumerate(lines, start=1)]
    run = validate_records(records, secrets=Secrets.load(path))
    return list(check(run, {"objects": expect["objects"]}).failures)


def _simulated(path: Path) -> tuple[list[str], dict[str, object]]:
    made = simulate(PROVIDERS, objects=20, seed=11, secrets=tables(path), start=START,
                    span=timedelta(hours=24), rates=ONLY_DISORDER)
    return [json.dumps(record) for record in made.records], dict(made.expect)


def test_the_ordered_delivery_meets_every_object_expectation(secrets_file: Path) -> None:
    lines, expect = _simulated(secrets_file)
    assert _objects_failing(secrets_file, lines, expect) == []


@pytest.mark.parametrize("shuffle", [1, 2, 3])
def test_a_shuffled_duplicated_delivery_ends_as_the_ordered_one(secrets_file: Path,
                                                                 shuffle: int) -> None:
    lines, expect = _simulated(secrets_file)
    rng = random.Random(shuffle)
    shuffled = lines + rng.sample(lines, len(lines) // 3)
    rng.shuffle(shuffled)
    assert _objects_failing(secrets_file, shuffled + lines, expect) == []
