"""Forgeries of a genuine refund callback, one table per provider, decided end to end.

Each case replays a provider's recorded sequence up to one genuine refund callback, then
ingests a forged variant of that callback instead (or after it, for re-posts) through
``Orchestrator(ChartSet.bundled(), MemoryStore()).ingest``. The table is the documentation:
what each provider's authentication catches, and what it cannot (``confirmed=False``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from importlib import import_module
from pathlib import Path
from typing import Any

import attrs
import pytest

from paychart.adapter import AdapterContext, RawInput
from paychart.charts import ChartSet
from paychart.decision import Decision
from paychart.inputs import parse_raw
from paychart.orchestrator import Orchestrator
from paychart.providers import provider_modules
from paychart.secrets import Secrets
from paychart.stores.memory import MemoryStore

FIXTURES = Path(__file__).parent / "fixtures"
Mutation = Callable[[RawInput], RawInput]


def _body(raw: RawInput, old: str, new: str) -> RawInput:
    """``raw`` with one substring of its body replaced, headers (and signature) kept."""
    text = raw.body.decode("utf-8")
    assert old in text, old
    return attrs.evolve(raw, body=text.replace(old, new, 1).encode("utf-8"))


def _json(raw: RawInput, change: Callable[[dict[str, Any]], None]) -> RawInput:
    doc = json.loads(raw.body)
    change(doc)
    return attrs.evolve(raw, body=json.dumps(doc).encode("utf-8"))


def _signature_module(provider: str) -> Any:
    return import_module(f"{provider_modules()[provider]}.signature")


def _unsigned(raw: RawInput) -> RawInput:
    body, headers = _signature_module(raw.provider).unsign(raw.body, raw.headers)
    return attrs.evolve(raw, body=body, headers=dict(headers))


def _signed_by(secrets: Mapping[str, str], **facts: str) -> Mutation:
    """The body signed by another merchant's secrets (what a forger holding its own
    account's key could produce)."""
    def mutate(raw: RawInput) -> RawInput:
        unsigned = _unsigned(raw)
        extra = {"facts": facts} if facts else {}
        body, headers = _signature_module(raw.provider).sign(
            unsigned.body, unsigned.headers, secrets, **extra)
        return attrs.evolve(raw, body=body, headers=dict(headers))
    return mutate


def _without_header(name: str) -> Mutation:
    def mutate(raw: RawInput) -> RawInput:
        return attrs.evolve(raw, headers={k: v for k, v in raw.headers.items()
                                          if k.lower() != name.lower()})
    return mutate


def _paylink_other_shop() -> dict[str, str]:
    pem = (FIXTURES / "paylink" / "test_only_rsa_wrong_private.pem").read_text("utf-8")
    return {"shop_id": "999", "secret_key": "another-shop", "private_key": pem}


@attrs.frozen
class Scenario:
    """A provider's sequence and the line of a genuine refund callback in it."""

    provider: str
    sequence: str
    line: int
    kind: str
    object_id: str


SCENARIOS = {
    "cardlink": Scenario("cardlink", "partial_refund", 4, "payment",
                         "5c9e2b7a4d1f4083a6e5d2c7b9f1e036"),
    "platform": Scenario("platform", "refunds", 4, "transaction", "T-REFUNDS"),
    "paylink": Scenario("paylink", "authorization_capture_refunds", 2, "transaction",
                        "auth-1"),
    "invoices": Scenario("invoices", "partial_then_full_refund", 3, "payment_invoice",
                         "cpi_Refunds000001"),
    "transaction_services": Scenario("transaction_services", "debit_two_partial_refunds", 3,
                                     "payment", "70004"),
}

_PLATFORM_FACTS = {"payer_email": "x@example.com", "card_first6": "411111",
                   "card_last4": "1111"}


def _re_date(raw: RawInput) -> RawInput:
    return _body(raw, "trans_date=2026-03-03+09%3A00%3A05", "trans_date=2026-03-09+09%3A00%3A05")


# provider -> (case, mutation, expected outcome, expected confirmed or None when invalid)
FORGERIES: dict[str, list[tuple[str, Mutation, str, bool | None]]] = {
    "cardlink": [
        ("dropped signature", _unsigned, "invalid", None),
        ("signature of another body", lambda r: _body(r, '"amount": 3000', '"amount": 9000'),
         "invalid", None),
        ("another merchant's key", _signed_by({"private_key": "another-merchant"}),
         "invalid", None),
        ("uncovered field changed", lambda r: _json(r, lambda d: d.update(cardHolder="M")),
         "applied", True),
    ],
    "platform": [
        ("dropped signature", _unsigned, "invalid", None),
        ("signature of another body", lambda r: _body(r, "trans_id=T-REFUNDS",
                                                      "trans_id=T-SALE"), "invalid", None),
        ("another merchant's key", _signed_by({"password": "another-merchant"},
                                              **_PLATFORM_FACTS), "invalid", None),
        # the hash binds neither amount nor status: accepted, but only as unconfirmed
        ("uncovered amount changed", lambda r: _body(r, "amount=3.00", "amount=4.00"),
         "applied", False),
        ("uncovered date changed", _re_date, "applied", False),
    ],
    "paylink": [
        ("dropped signature", _unsigned, "invalid", None),
        ("signature of another body", lambda r: _body(r, '"amount": 200', '"amount": 900'),
         "invalid", None),
        ("another merchant's key", _signed_by(_paylink_other_shop()), "invalid", None),
        ("uncovered field changed", lambda r: _body(r, '"test": true', '"test": false'),
         "invalid", None),
        ("downgrade from RSA to Basic", _without_header("Content-Signature"), "invalid", None),
    ],
    "invoices": [
        ("dropped signature", _unsigned, "invalid", None),
        ("signature of another body", lambda r: _body(r, '"partially_refunded"', '"refunded"'),
         "invalid", None),
        ("another merchant's key", _signed_by({"test_secret": "x", "live_secret": "y"}),
         "invalid", None),
        ("uncovered field changed", lambda r: _body(r, '"serial_number": "Refunds000001"',
                                                    '"serial_number": "Refunds000002"'),
         "invalid", None),
    ],
    "transaction_services": [
        ("dropped signature", _unsigned, "invalid", None),
        ("signature of another body", lambda r: _body(r, '"amount": "20.00"',
                                                      '"amount": "90.00"'), "invalid", None),
        ("another merchant's key", _signed_by({"secure_key": "another-merchant"}),
         "invalid", None),
        ("uncovered long status contradicts the signed short code",
         lambda r: _body(r, '"status": "reversed"', '"status": "authfailed"'), "invalid", None),
        ("uncovered timestamp changed", lambda r: _body(r, "2026-01-12 10:05:00",
                                                        "2026-01-19 10:05:00"),
         "applied", True),
    ],
}

RE_POSTS: dict[str, Mutation] = {
    "cardlink": lambda r: _json(r, lambda d: d.update(cardHolder="Mallory")),
    "platform": _re_date,
    "paylink": lambda r: _body(r, '"test": true', '"test": false'),
    "invoices": lambda r: _body(r, '"serial_number": "Refunds000001"',
                                '"serial_number": "Refunds000002"'),
    "transaction_services": lambda r: _body(r, "2026-01-12 10:05:00", "2026-01-19 10:05:00"),
}
"""Only fields the signature does not cover changed (for whole-body signatures any change)."""

RE_POST_OUTCOME = {"cardlink": "duplicate", "platform": "duplicate", "paylink": "invalid",
                   "invoices": "invalid", "transaction_services": "duplicate"}


class Run:
    """One provider's sequence replayed into a fresh store, with its test secrets."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.engine = Orchestrator(ChartSet.bundled(), MemoryStore())
        self.adapter = import_module(provider_modules()[scenario.provider]).ADAPTER
        folder = FIXTURES / scenario.provider
        self.secrets = Secrets.load(folder / "secrets.toml").for_provider(scenario.provider)
        lines = (folder / "sequences" / f"{scenario.sequence}.jsonl").read_text("utf-8")
        self.raws = [parse_raw(json.loads(line)) for line in lines.splitlines() if line]
        for raw in self.raws[:scenario.line]:
            self.ingest(raw)

    @property
    def genuine(self) -> RawInput:
        return self.raws[self.scenario.line]

    def ingest(self, raw: RawInput) -> Decision:
        context = AdapterContext(secrets=self.secrets,
                                 remembered=self.engine.remembered_for(raw.provider))
        (decision,) = self.engine.ingest(raw, self.adapter, context)
        return decision

    def refunded(self) -> int:
        record = self.engine.record(self.scenario.provider, self.scenario.kind,
                                    self.scenario.object_id)
        assert record is not None
        return record.ledger.refunded


def _cases() -> list[Any]:
    return [pytest.param(provider, case, mutate, outcome, confirmed,
                         id=f"{provider}: {case}")
            for provider, rows in FORGERIES.items() for case, mutate, outcome, confirmed in rows]


def test_every_provider_has_a_forgery_table() -> None:
    assert set(FORGERIES) == set(provider_modules()) == set(RE_POSTS) == set(SCENARIOS)


@pytest.mark.parametrize("provider", sorted(SCENARIOS))
def test_the_genuine_refund_callback_is_applied(provider: str) -> None:
    run = Run(SCENARIOS[provider])
    decision = run.ingest(run.genuine)
    assert decision.outcome.value == "applied", decision.reason


@pytest.mark.parametrize(("provider", "case", "mutate", "outcome", "confirmed"), _cases())
def test_forgery(provider: str, case: str, mutate: Mutation, outcome: str,
                 confirmed: bool | None) -> None:
    run = Run(SCENARIOS[provider])
    forged = mutate(run.genuine)
    assert forged != run.genuine, case
    parsed = run.adapter.parse(forged, AdapterContext(
        secrets=run.secrets, remembered=run.engine.remembered_for(provider)))
    decision = run.ingest(forged)
    assert decision.outcome.value == outcome, decision.reason
    if confirmed is not None:
        (event,) = parsed.events
        assert event.confirmed is confirmed
        assert (event.confirm_by is None) is confirmed
        if not confirmed:
            assert any(str(event.confirm_by) in warning for warning in event.warnings)


@pytest.mark.parametrize("provider", sorted(RE_POSTS))
def test_a_re_post_with_only_uncovered_fields_changed_never_moves_money_twice(
        provider: str) -> None:
    run = Run(SCENARIOS[provider])
    assert run.ingest(run.genuine).outcome.value == "applied"
    refunded = run.refunded()
    re_posted = RE_POSTS[provider](run.genuine)
    assert re_posted.body != run.genuine.body
    assert run.ingest(re_posted).outcome.value == RE_POST_OUTCOME[provider]
    assert run.refunded() == refunded


def test_platform_signature_is_the_same_for_every_callback_of_a_transaction() -> None:
    """Why platform callbacks are unconfirmed: the hash does not depend on the body."""
    run = Run(SCENARIOS["platform"])
    hashes = {re.search(r"hash=([0-9a-f]+)", raw.body.decode()).group(1)  # type: ignore[union-attr]
              for raw in run.raws if raw.channel.value == "callback"}
    assert len(hashes) == 1
