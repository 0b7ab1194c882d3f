"""The provider-neutral status vocabulary every chart state maps to."""

from __future__ import annotations

import enum


class Canonical(enum.StrEnum):
    """What a backend needs to know about any provider object, whoever the provider is."""

    CREATED = "created"
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    AUTHORIZED = "authorized"
    SUCCEEDED = "succeeded"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELED = "canceled"
    DISPUTED = "disputed"
    DISPUTE_WON = "dispute_won"
    DISPUTE_LOST = "dispute_lost"
    UNKNOWN = "unknown"
