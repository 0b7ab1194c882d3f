"""Provider adapters: one package per provider protocol (``adapters/<provider>/``), all of
the same shape, plus the shared wire readers (``_wire``) and a copy-me ``_template``.

Providers are discovered (see ``paychart.providers``); ``get_adapter("cardlink")`` imports
the package on first use.
"""

from __future__ import annotations

from paychart.providers import available, get_adapter, provider_modules

__all__ = ["available", "get_adapter", "provider_modules"]
