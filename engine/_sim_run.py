"""A simulation: families walked per provider, faults planted, all interleaved by time into
``validate`` records, with what the run must end in (``EXPECT.json``)."""

from __future__ import annotations

import base64
import importlib
import random
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from paychart.adapter import ProviderAdapter
from paychart.adapters import get_adapter
from paychart.charts import ChartSet
from paychart.ledger import refine

from ._sim_faults import DEFAULT_RATES, BatchEncoder, Delivery, Planter
from ._sim_model import Model
from ._sim_plans import PLANS
from ._sim_walk import Walker

EXPECT_VERSION = 1


class SimulationError(ValueError):
    """A simulation that cannot be made as asked (unknown provider, a secret missing)."""


@attrs.frozen
class Simulation:
    """The records in delivery order and the expectations; ``planted`` counts the faults."""

    records: tuple[dict[str, Any], ...]
    expect: dict[str, Any]
    planted: Mapping[str, int]


def record_of(delivery: Delivery) -> dict[str, Any]:
    """One line of the ``validate`` record format."""
    wire = delivery.wire
    line: dict[str, Any] = {"provider": delivery.provider, "channel": wire.channel.value,
                            "received_at": delivery.at.isoformat(),
                            "headers": dict(wire.headers)}
    try:
        line["body"] = wire.body.decode("utf-8")
    except UnicodeDecodeError:
        line["body_base64"] = base64.b64encode(wire.body).decode("ascii")
    if wire.ref is not None:
        line["ref"] = wire.ref
    if wire.operation is not None:
        line["operation"] = wire.operation
    return line


def _objects(models: Iterable[Model], charts: ChartSet) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for model in models:
        for (provider, kind, object_id), obj in model.objects.items():
            chart = charts.named(obj.chart)
            ledger = obj.ledger
            found[f"{provider}/{kind}/{object_id}"] = {
                "state": obj.state,
                "canonical": refine(chart.canonical[obj.state], ledger).value,
                "ledger": {"currency": ledger.currency, "authorized": ledger.authorized,
                           "captured": ledger.captured, "refunded": ledger.refunded,
                           "charged_back": ledger.charged_back}}
    return dict(sorted(found.items()))


def _batch_encoder(provider: str) -> BatchEncoder | None:
    if not PLANS[provider].batches:
        return None
    module = importlib.import_module(f"paychart.adapters.{provider}.encode")
    encoder: BatchEncoder = module.encode_batch
    return encoder


def _walker(provider: str, charts: ChartSet, secrets: Mapping[str, str],
            options: Sequence[str]) -> Walker:
    plan = PLANS.get(provider)
    if plan is None:
        raise SimulationError(f"cannot simulate {provider!r}: no plan for it (one of "
                              f"{', '.join(sorted(PLANS))})")
    adapter = get_adapter(provider)
    if not isinstance(adapter, ProviderAdapter) or adapter.encode is None:
        raise SimulationError(f"cannot simulate {provider}: no plan or no encode (one of "
                              f"{', '.join(sorted(PLANS))})")
    if any(value.startswith("-----BEGIN PUBLIC KEY") for value in secrets.values()) and not \
            any("PRIVATE KEY" in value for value in secrets.values()):
        raise SimulationError(f"{provider}: the secrets hold a public key but no private_key "
                              "to sign the simulated notifications with")
    vocab = importlib.import_module(f"paychart.adapters.{provider}.vocab")
    reported = frozenset((move.object_kind, move.trigger) for move in vocab.MOVES)
    return Walker(plan, charts, adapter, secrets, reported, tuple(options))


def simulate(providers: Sequence[str], *, objects: int, seed: int,
             secrets: Mapping[str, Mapping[str, str]], start: datetime, span: timedelta,
             rates: Mapping[str, float] = DEFAULT_RATES, options: Sequence[str] = (),
             charts: ChartSet | None = None) -> Simulation:
    """``objects`` families per provider, deterministic for ``seed``."""
    charts = charts or ChartSet.bundled()
    deliveries: list[tuple[datetime, int, Delivery]] = []
    models: list[Model] = []
    planted: dict[str, int] = {}
    for provider in providers:
        rng = random.Random(f"{seed}/{provider}")  # noqa: S311 - reproducible, not secret
        walker = _walker(provider, charts, secrets.get(provider, {}), options)
        planter = Planter(walker, rates, _batch_encoder(provider))
        for _ in range(objects):
            begin = start + timedelta(seconds=rng.uniform(0, span.total_seconds()))
            messages, model = walker.family(rng, begin)
            models.append(model)
            for delivery in planter.family(rng, messages, model):
                deliveries.append((delivery.at, len(deliveries), delivery))
        for fault, count in planter.counts.items():
            planted[fault] = planted.get(fault, 0) + count
    deliveries.sort(key=lambda item: (item[0], item[1]))
    records = tuple(record_of(delivery) for _, _, delivery in deliveries)
    inputs = [{"line": line, "outcomes": list(delivery.outcomes), "fault": delivery.fault}
              for line, (_, _, delivery) in enumerate(deliveries, start=1)]
    expect = {"version": EXPECT_VERSION, "seed": seed, "providers": list(providers),
              "options": list(options), "objects": _objects(models, charts),
              "inputs": inputs, "planted": dict(sorted(planted.items()))}
    return Simulation(records, expect, planted)
