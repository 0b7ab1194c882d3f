"""Secrets for simulated traffic: the adapter fixtures' test secrets, one table per provider,
with the test-only RSA key PayLink notifications are signed with."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

from paychart.expect import Expectations, check
from paychart.inputs import parse_record
from paychart.secrets import Secrets
from paychart.simulate import Simulation, simulate
from paychart.validate import ValidationRun, validate_records

FIXTURES = Path(__file__).resolve().parents[1] / "adapters" / "fixtures"
PROVIDERS = ("cardlink", "invoices", "paylink", "platform", "transaction_services")
START = datetime(2026, 1, 1, tzinfo=UTC)


def secrets_toml() -> str:
    text = ""
    for provider in PROVIDERS:
        text += (FIXTURES / provider / "secrets.toml").read_text(encoding="utf-8") + "\n"
        private = FIXTURES / provider / "test_only_rsa_private.pem"
        if private.exists():
            text = text.rstrip() + f'\nprivate_key = """\n{private.read_text()}"""\n'
    return text


def tables(path: Path) -> Mapping[str, Mapping[str, str]]:
    secrets = Secrets.load(path)
    return {provider: secrets.for_provider(provider) for provider in PROVIDERS}


def simulated(path: Path, providers: tuple[str, ...], *, objects: int, seed: int,
              options: tuple[str, ...] = ()) -> Simulation:
    return simulate(providers, objects=objects, seed=seed, secrets=tables(path), start=START,
                    span=timedelta(hours=24), options=options)


def validated(path: Path, made: Simulation) -> tuple[ValidationRun, Expectations]:
    records = [parse_record(json.dumps(record), line)
               for line, record in enumerate(made.records, start=1)]
    run = validate_records(records, secrets=Secrets.load(path), options=made.expect["options"])
    return run, check(run, made.expect)
