"""Provider discovery: every package under ``paychart.adapters`` and every distribution that
declares a ``paychart.providers`` entry point is a provider, found by looking, not by a
hand-kept list.

A provider package exports ``PROVIDER`` (its name) and ``ADAPTER`` (an ``Adapter``, which also
carries the provider's guards and effects). Packages are imported on first use, so a backend
that speaks to one provider does not load the others (PayLink pulls in ``cryptography``).
Names starting with ``_`` (``_template``, the shared ``_wire`` readers) are not providers.
"""

from __future__ import annotations

import pkgutil
from functools import cache
from importlib import import_module
from importlib.metadata import entry_points

from .adapter import Adapter
from .errors import UnknownProviderError
from .money_rules import MONEY_RULES
from .rulebook import Rules

ENTRY_POINT_GROUP = "paychart.providers"
"""Third-party packages add a provider with ``[project.entry-points."paychart.providers"]``
``name = "their_package.module"`` (a module exporting ``PROVIDER`` and ``ADAPTER``)."""


@cache
def provider_modules() -> dict[str, str]:
    """Provider name → module path, the bundled packages first, then entry points."""
    bundled = import_module("paychart.adapters")
    found = {info.name: f"paychart.adapters.{info.name}"
             for info in pkgutil.iter_modules(bundled.__path__)
             if info.ispkg and not info.name.startswith("_")}
    for point in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(point.name, point.value)
    return dict(sorted(found.items()))


def load_adapter(module_name: str) -> Adapter:
    """The ``ADAPTER`` of one provider module, checked against its ``PROVIDER``."""
    module = import_module(module_name)
    adapter: Adapter = module.ADAPTER
    if adapter.provider != module.PROVIDER:
        raise ValueError(f"{module_name}: ADAPTER.provider {adapter.provider!r} is not "
                         f"PROVIDER {module.PROVIDER!r}")
    return adapter


def _is_missing(exc: ModuleNotFoundError, module_name: str) -> bool:
    """Whether the provider module itself is missing (a stale entry point), rather than
    something it imports: that is a real error and must not hide as "unknown provider"."""
    return exc.name is not None and (module_name + ".").startswith(exc.name + ".")


def available() -> tuple[str, ...]:
    """Providers whose package is installed, sorted."""
    found = []
    for name, module in provider_modules().items():
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if not _is_missing(exc, module):
                raise
            continue
        found.append(name)
    return tuple(found)


def get_adapter(provider: str) -> Adapter:
    """The adapter for ``provider``; ``UnknownProviderError`` names the available ones."""
    module_name = provider_modules().get(provider)
    if module_name is None:
        raise UnknownProviderError(provider, available())
    try:
        return load_adapter(module_name)
    except ModuleNotFoundError as exc:
        if not _is_missing(exc, module_name):
            raise
        raise UnknownProviderError(provider, available()) from None


@cache
def default_rules() -> Rules:
    """The generic money rules plus the rules of every available provider: what bundled
    charts and ``paychart check`` are compiled against."""
    return MONEY_RULES.merged(*(get_adapter(name).rules for name in available()))


@cache
def redacted_fields(provider: str) -> frozenset[str]:
    """Body fields that hold a credential in ``provider``'s protocol (none when the provider
    is unknown: its input is journaled as ``invalid`` and redacted generically)."""
    try:
        return get_adapter(provider).secrets.redacted_fields
    except UnknownProviderError:
        return frozenset()
