"""One exception family, so callers can catch ``PaychartError`` and still read structured fields."""

from __future__ import annotations


class PaychartError(Exception):
    """Base of every error paychart raises on purpose."""


class MoneyError(PaychartError, ValueError):
    """An amount or currency that cannot be represented exactly."""

    def __init__(self, value: object, reason: str) -> None:
        self.value = value
        self.reason = reason
        super().__init__(f"{reason}: {value!r}")


class InputError(PaychartError):
    """Raw provider input that cannot be parsed or authenticated.

    ``field`` names the offending field so that the ``invalid`` decision can say which one.
    """

    def __init__(self, field: str, reason: str, *, provider: str | None = None,
                 object_kind: str | None = None, object_id: str | None = None) -> None:
        self.field = field
        self.reason = reason
        self.provider = provider
        self.object_kind = object_kind
        self.object_id = object_id
        super().__init__(f"{field}: {reason}")


class SpecError(PaychartError):
    """A chart spec that does not load or does not pass the static checks."""

    def __init__(self, file: str, findings: tuple[str, ...]) -> None:
        self.file = file
        self.findings = findings
        super().__init__(f"{file}: " + "; ".join(findings))


class UnknownChartError(PaychartError, LookupError):
    """No chart is loaded for a provider and object kind."""

    def __init__(self, provider: str, object_kind: str) -> None:
        self.provider = provider
        self.object_kind = object_kind
        super().__init__(f"no chart for provider {provider!r} object {object_kind!r}")


class UnknownProviderError(PaychartError, LookupError):
    """No adapter is registered under a provider name."""

    def __init__(self, provider: str, known: tuple[str, ...]) -> None:
        self.provider = provider
        self.known = known
        super().__init__(f"unknown provider {provider!r} (known: {', '.join(known) or 'none'})")


class StoreError(PaychartError):
    """The store could not commit a decision."""


class VersionConflictError(StoreError):
    """Another writer changed the object since it was read (optimistic concurrency)."""

    def __init__(self, key: str, expected: int, found: int | None) -> None:
        self.key = key
        self.expected = expected
        self.found = found
        super().__init__(f"object {key}: expected version {expected}, store has {found}")


class DuplicateKeyError(StoreError):
    """Another writer already decided an input with the same dedupe key."""

    def __init__(self, dedupe_key: str) -> None:
        self.dedupe_key = dedupe_key
        super().__init__(f"dedupe key already decided: {dedupe_key}")
