"""The PostgreSQL server fixtures of ``tests/engine`` (``postgres_url``), for the receiver's
tests on PostgreSQL, with the same rule: without a server these tests are deselected and the
run says why, and with ``CI=true`` they fail instead. When ``tests/engine`` is collected too,
its conftest already does both, so they are not done twice."""

from __future__ import annotations

import pytest

from ..engine import conftest as engine_conftest
from ..engine.conftest import postgres_server, postgres_url

__all__ = ["postgres_server", "postgres_url"]


def _engine_loaded(config: pytest.Config) -> bool:
    return config.pluginmanager.is_registered(engine_conftest)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not _engine_loaded(config):
        engine_conftest.pytest_collection_modifyitems(config, items)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _engine_loaded(terminalreporter.config):
        engine_conftest.pytest_terminal_summary(terminalreporter)
