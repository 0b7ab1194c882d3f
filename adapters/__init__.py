"""Provider adapters, one module per protocol, each exposing ``ADAPTER``.

Modules are imported on first use so that a backend speaking to one provider does not load
the others (PayLink pulls in ``cryptography``).
"""

from __future__ import annotations

from importlib import import_module

from paychart.adapter import Adapter
from paychart.errors import UnknownProviderError

PROVIDERS: dict[str, str] = {
    "cardlink": "paychart.adapters.cardlink",
    "platform": "paychart.adapters.platform",
    "paylink": "paychart.adapters.paylink",
    "invoices": "paychart.adapters.invoices",
    "transaction_services": "paychart.adapters.transaction_services",
}


def available() -> tuple[str, ...]:
    """Providers whose adapter module is installed, sorted."""
    found = []
    for name, module in sorted(PROVIDERS.items()):
        try:
            import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name != module:
                raise
            continue
        found.append(name)
    return tuple(found)


def get_adapter(provider: str) -> Adapter:
    """The adapter for ``provider``; ``UnknownProviderError`` names the available ones."""
    module_name = PROVIDERS.get(provider)
    if module_name is None:
        raise UnknownProviderError(provider, available())
    try:
        module = import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise UnknownProviderError(provider, available()) from None
    adapter: Adapter = module.ADAPTER
    return adapter


__all__ = ["PROVIDERS", "available", "get_adapter"]
