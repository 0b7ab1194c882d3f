"""The payment-invoices status words and the one table from status to chart move.

Source: docs/PROVIDERS.md §4 (status list and table of moves). The chart states carry the
provider's status names, so the state a status reports is the status itself; CARDGATE's sale
answer uses the same words. Fact names the parser writes and the rules read are defined here
once, so the two cannot drift apart.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from paychart.adapter import StatusMove

PROVIDER = "invoices"
OBJECT_KIND = "payment_invoice"
RESOURCE_TYPE = "payment-invoices"
"""The JSON:API ``type`` of an invoice resource (``cpi_…`` ids)."""


class InvoiceStatus(enum.StrEnum):
    """``attributes.status`` of a payment invoice (docs/PROVIDERS.md §4)."""

    CREATED = "created"
    PROCESSING = "processing"
    PROCESS_PENDING = "process_pending"
    PROCESSED = "processed"
    PARTIALLY_PROCESSED = "partially_processed"
    PROCESS_ERROR = "process_error"
    PROCESS_FAILED = "process_failed"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    REFUNDING = "refunding"
    REFUND_PENDING = "refund_pending"
    REFUND_ERROR = "refund_error"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUND_FAILED = "refund_failed"
    CHARGED_BACK = "charged_back"
    PARTIALLY_CHARGED_BACK = "partially_charged_back"


S = InvoiceStatus
_TRIGGERS: tuple[tuple[InvoiceStatus, str], ...] = (
    (S.CREATED, "create"),
    (S.PROCESSING, "begin"),
    (S.PROCESS_PENDING, "pend"),
    (S.PROCESS_ERROR, "error"),
    (S.PROCESSED, "process"),
    (S.PARTIALLY_PROCESSED, "process_partially"),
    (S.PROCESS_FAILED, "fail"),
    (S.EXPIRED, "expire"),
    (S.TERMINATED, "terminate"),
    (S.REFUNDING, "begin_refund"),
    (S.REFUND_PENDING, "pend_refund"),
    (S.REFUND_ERROR, "refund_error"),
    (S.REFUNDED, "refund"),
    (S.PARTIALLY_REFUNDED, "refund_partially"),
    (S.REFUND_FAILED, "fail_refund"),
    (S.CHARGED_BACK, "charge_back"),
    (S.PARTIALLY_CHARGED_BACK, "charge_back_partially"),
)

MOVES: tuple[StatusMove, ...] = tuple(
    StatusMove(OBJECT_KIND, status.value, trigger, status.value) for status, trigger in _TRIGGERS)
"""Every documented status → (chart trigger, reported state). ``created`` is the chart's
initial state: the ``create`` move only ever starts an invoice (a request or first message)."""

VOCABULARY: frozenset[str] = frozenset(status.value for status in InvoiceStatus)
NOT_MAPPED: Mapping[str, str] = MappingProxyType({})
"""Every status of docs/PROVIDERS.md §4 names one chart state, so none is left unmapped."""

MOVE_OF: Mapping[str, StatusMove] = MappingProxyType({move.status: move for move in MOVES})
"""The parser's lookup, derived from ``MOVES`` (one table, not two)."""

FAILURES: frozenset[str] = frozenset({S.PROCESS_ERROR, S.PROCESS_FAILED, S.REFUND_ERROR,
                                      S.REFUND_FAILED})
"""Statuses whose ``resolution`` is the failure reason."""
WAITS_FOR_CUSTOMER: frozenset[str] = frozenset({S.CREATED, S.PROCESS_PENDING})
"""Statuses whose ``flow_data`` is the page the customer must open next."""

# -- fact names, written by the parser and read by the rules --------------------------------

STATUS = "status"
AMOUNT_MINOR = "amount_minor"
PROCESSED_MINOR = "processed_amount_minor"
REFUNDED_MINOR = "refunded_amount_minor"
CHARGED_BACK_MINOR = "charged_back_amount_minor"
RESOLUTION = "resolution"
FAILURE_REASON = "failure_reason"
MODERATION = "moderation_required"
TEST_MODE = "test_mode"
CUSTOMER_REFERENCE = "customer_reference_id"
CARDGATE_SID = "cardgate_sid"
CARD_TOKEN = "card_token"  # noqa: S105 - the name of a fact, not a credential
CARD_MASK = "card_mask"
CARD_BRAND = "card_brand"

FIGURES: tuple[tuple[str, str], ...] = (
    ("processed_amount", PROCESSED_MINOR),
    ("refunded_amount", REFUNDED_MINOR),
    ("charged_back_amount", CHARGED_BACK_MINOR),
)
"""Cumulative money figures of the resource (attribute, fact in minor units)."""


def move_of(status: str) -> StatusMove | None:
    """The move a status word asks for; ``None`` for a word the protocol does not document."""
    return MOVE_OF.get(status)
