"""Hypothesis profiles: ``dev`` (default), ``ci`` (derandomized, what CI runs), ``thorough``
(choose with ``HYPOTHESIS_PROFILE``), and a real PostgreSQL server for the tests that need
one (never a mock).

Tests using ``postgres_url`` get a fresh database on the server of ``PAYCHART_TEST_POSTGRES``,
or on a throwaway cluster started here when the server binaries exist. Without either they
are deselected and the run says why at the end; with ``CI=true`` they fail instead, so CI is
never green without them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from .engine import postgres_server as pg

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=80, deadline=None, derandomize=True,
                          print_blob=True, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("thorough", max_examples=2000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


_WHY_NOT = pg.unavailable()
_IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
_NOT_RUN: list[str] = []


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _WHY_NOT is None or _IN_CI:
        return
    keep: list[pytest.Item] = []
    drop: list[pytest.Item] = []
    for item in items:
        (drop if _needs_server(item) else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
        _NOT_RUN.append(f"{len(drop)} PostgreSQL tests not run: {_WHY_NOT}")


def _needs_server(item: pytest.Item) -> bool:
    """Uses the server fixture, or is the ``postgresql`` case of a store parametrization
    (which asks for the database fixture only when it runs)."""
    if "postgres_server" in getattr(item, "fixturenames", ()):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "postgresql" in callspec.params.values()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for line in _NOT_RUN:
        terminalreporter.write_line(line, yellow=True, bold=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server's URL (its ``postgres`` database, for making test databases)."""
    if _WHY_NOT is not None:
        pytest.fail(f"CI must run the PostgreSQL tests: {_WHY_NOT}")
    with pg.running() as url:
        yield url


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database, dropped after the test."""
    import psycopg

    name = f"paychart_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"'.encode())
    yield pg.database_url(postgres_server, name)
    with psycopg.connect(postgres_server, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)'.encode())
