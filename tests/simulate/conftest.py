"""One secrets file for every simulation test."""

from __future__ import annotations

from pathlib import Path

import pytest

from .support import secrets_toml


@pytest.fixture(scope="session")
def secrets_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("simulate") / "secrets.toml"
    path.write_text(secrets_toml(), encoding="utf-8")
    return path
