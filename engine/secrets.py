"""The secrets file: TOML, one table per provider (``[cardlink] private_key = "…"``).

Every table is checked against its provider's ``SecretsSchema`` when the file is loaded: a
typo (``privatekey``) must not silently turn signature checking off, so an unknown key, a
missing required one, a value outside ``choices`` or a table for no known provider is an
error naming the file, the table, the key and the keys allowed. Values are kept in a
``Secrets`` object whose repr never shows them, and no error quotes one.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path

from .adapter import SecretsSchema
from .errors import PaychartError


class SecretsError(PaychartError):
    """The secrets file cannot be read or has the wrong shape (values are never echoed)."""


def discovered_schemas() -> dict[str, SecretsSchema]:
    """The ``SecretsSchema`` of every available provider, by name."""
    from .providers import available, get_adapter

    return {name: get_adapter(name).secrets for name in available()}


def _allowed(schema: SecretsSchema) -> str:
    return ", ".join(sorted(schema.keys)) or "(none: this provider takes no secrets)"


def check_table(path: str | Path, provider: str, table: Mapping[str, str],
                schema: SecretsSchema) -> None:
    """``SecretsError`` unless ``table`` fits ``schema``; names keys, never values."""
    where = f"secrets file {path}: [{provider}]"
    for key in sorted(table):
        if key not in schema.keys:
            raise SecretsError(f"{where}: unknown key `{key}` (allowed: {_allowed(schema)})")
    for key in sorted(schema.required - set(table)):
        raise SecretsError(f"{where}: missing required key `{key}` (allowed: "
                           f"{_allowed(schema)})")
    for key, choices in sorted(schema.choices.items()):
        if key in table and table[key] not in choices:
            raise SecretsError(f"{where}: `{key}` must be one of {', '.join(sorted(choices))}")


def check_secrets(path: str | Path, tables: Mapping[str, Mapping[str, str]],
                  schemas: Mapping[str, SecretsSchema]) -> None:
    """Every table belongs to a known provider and fits its schema."""
    for provider in sorted(tables):
        schema = schemas.get(provider)
        if schema is None:
            raise SecretsError(f"secrets file {path}: table [{provider}] is for no known "
                               f"provider (known: {', '.join(sorted(schemas)) or 'none'})")
        check_table(path, provider, tables[provider], schema)


class Secrets:
    """Per-provider secret tables. ``repr`` lists providers and key names, never values."""

    def __init__(self, tables: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self._tables = {provider: dict(table) for provider, table in (tables or {}).items()}

    @classmethod
    def load(cls, path: str | Path,
             schemas: Mapping[str, SecretsSchema] | None = None) -> Secrets:
        """Read and check a secrets file; ``schemas`` default to the discovered adapters'."""
        try:
            data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SecretsError(f"cannot read secrets file {path}: {exc.strerror}") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            raise SecretsError(f"secrets file {path} is not valid TOML") from None
        tables: dict[str, dict[str, str]] = {}
        for provider, table in data.items():
            if not isinstance(table, dict):
                raise SecretsError(f"secrets file {path}: `{provider}` must be a table")
            for key, value in table.items():
                if not isinstance(value, str):
                    raise SecretsError(f"secrets file {path}: [{provider}] `{key}` must be a "
                                       "string")
            tables[provider] = dict(table)
        check_secrets(path, tables, discovered_schemas() if schemas is None else schemas)
        return cls(tables)

    def for_provider(self, provider: str) -> Mapping[str, str]:
        return self._tables.get(provider, {})

    def __contains__(self, provider: object) -> bool:
        return provider in self._tables

    @property
    def providers(self) -> frozenset[str]:
        """Providers with a table: their signatures must verify."""
        return frozenset(self._tables)

    def __repr__(self) -> str:
        shown = ", ".join(f"{p}: [{', '.join(sorted(t))}]" for p, t in sorted(self._tables.items()))
        return f"Secrets({shown})"

    __str__ = __repr__
