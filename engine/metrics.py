"""Prometheus metrics of the webhook receiver, rendered by ``prometheus-client``.

Each app has its own registry, so two apps in one process (tests, a backend mounting one per
merchant) never share or double-register counters.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as _render

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
"""Seconds: a decision on SQLite takes milliseconds; seconds mean lock waits or retries."""


class ReceiverMetrics:
    """Decisions counted by provider × outcome (plus ``unavailable`` and ``too_large`` for
    answers that journaled nothing), and the time to decide one callback."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.decisions = Counter("paychart_decisions", "Decisions by provider and outcome",
                                 ("provider", "outcome"), registry=self.registry)
        self.latency = Histogram("paychart_decision_seconds",
                                 "Seconds from a callback's body read to its answer",
                                 ("provider",), buckets=LATENCY_BUCKETS, registry=self.registry)

    def observe(self, provider: str, outcomes: Iterable[str], seconds: float | None) -> None:
        for outcome in outcomes:
            self.decisions.labels(provider, outcome).inc()
        if seconds is not None:
            self.latency.labels(provider).observe(seconds)

    def render(self) -> bytes:
        return _render(self.registry)
