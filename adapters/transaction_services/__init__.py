"""The transaction_services provider package (docs/PROVIDERS.md §5): one ``ProviderAdapter``
built from the modules below, nothing else."""

from paychart.adapter import ProviderAdapter
from paychart.event import Channel

from .encode import encode
from .parse import parse_callback, parse_poll, parse_request, parse_response
from .rules import RULES
from .signature import SCOPE, SECRETS
from .vocab import PROVIDER

ADAPTER = ProviderAdapter(
    provider=PROVIDER,
    parsers={Channel.CALLBACK: parse_callback, Channel.RESPONSE: parse_response,
             Channel.POLL: parse_poll, Channel.REQUEST: parse_request},
    rules=RULES, signature=SCOPE, secrets=SECRETS, encode=encode)

__all__ = ["ADAPTER", "PROVIDER"]
