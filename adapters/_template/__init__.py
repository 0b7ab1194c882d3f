"""The copy-me provider package: one object kind (``payment``), JSON callbacks signed with
HMAC-SHA256 over named fields, a merchant request that carries card data.

Copy it to ``adapters/<provider>/`` and change each module as its docstring says; this file
only builds the one ``ProviderAdapter`` from them and should stay as it is. Its chart is
``tests/adapters/fixtures/_template/template_payment.toml`` (a real provider's charts go under
``specs/``); names starting with ``_`` are never discovered as providers.
"""

from paychart.adapter import ProviderAdapter

from . import parse, rules, signature
from .vocab import PROVIDER

ADAPTER = ProviderAdapter(provider=PROVIDER, parsers=parse.PARSERS, rules=rules.RULES,
                          signature=signature.SCOPE, secrets=signature.SECRETS)

__all__ = ["ADAPTER", "PROVIDER"]
