"""The secrets file: TOML, one table per provider (``[cardlink] private_key = "…"``).

Values are kept in a ``Secrets`` object whose repr never shows them; nothing here logs them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from .errors import PaychartError


class SecretsError(PaychartError):
    """The secrets file cannot be read or has the wrong shape (values are never echoed)."""


class Secrets:
    """Per-provider secret tables. ``repr`` lists providers and key names, never values."""

    def __init__(self, tables: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._tables = {provider: dict(table) for provider, table in (tables or {}).items()}

    @classmethod
    def load(cls, path: str | Path) -> Secrets:
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SecretsError(f"cannot read secrets file {path}: {exc.strerror}") from None
        except tomllib.TOMLDecodeError:
            raise SecretsError(f"secrets file {path} is not valid TOML") from None
        tables: dict[str, dict[str, str]] = {}
        for provider, table in data.items():
            if not isinstance(table, dict):
                raise SecretsError(f"secrets file {path}: `{provider}` must be a table")
            for key, value in table.items():
                if not isinstance(value, str):
                    raise SecretsError(f"secrets file {path}: `{provider}.{key}` must be a "
                                       "string")
            tables[provider] = dict(table)
        return cls(tables)

    def for_provider(self, provider: str) -> Mapping[str, str]:
        return self._tables.get(provider, {})

    def __contains__(self, provider: object) -> bool:
        return provider in self._tables

    def __repr__(self) -> str:
        shown = ", ".join(f"{p}: [{', '.join(sorted(t))}]" for p, t in sorted(self._tables.items()))
        return f"Secrets({shown})"
