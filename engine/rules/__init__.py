"""Provider-specific guards and effects, one module per provider, registered on import.

Generic money rules live in ``paychart.registry``; a rule that only one protocol needs (a
platform "one capture only" check, an invoice moderation flag) lives here, so the engine core
stays provider-neutral while specs can still name it. Every module in this package is
imported before any spec is checked.
"""

from __future__ import annotations

import pkgutil
from importlib import import_module

for _module in pkgutil.iter_modules(__path__):
    import_module(f"{__name__}.{_module.name}")
