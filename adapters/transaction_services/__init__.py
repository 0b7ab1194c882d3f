"""The transaction_services provider package: see ``parse`` for the protocol."""

from .parse import ADAPTER

PROVIDER = ADAPTER.provider

__all__ = ["ADAPTER", "PROVIDER"]
