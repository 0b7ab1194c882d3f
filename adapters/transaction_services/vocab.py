"""Transaction services REST vocabulary: statuses, payment types, result codes and the tables.

Source: seed ``004_ff6acabc0a225ce2.txt`` and PROVIDERS.md section 5. The long ``status``
drives the chart (triggers are named after it); the short ``transactionStatus`` only
cross-checks it. A response to a merchant call carries no long status, so its
(paymentType, result code) is first mapped to the long status the call produced.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import attrs

PAYMENT = "payment"
PAYOUT = "payout"


class LongStatus(enum.StrEnum):
    """The provider's ``status`` field; each value is a trigger of one chart."""

    BEGUN = "begun"
    AUTHSTARTED = "authstarted"
    AUTHSTARTED_3D = "authstarted_3D"
    AUTHSUCCESSFUL = "authsuccessful"
    AUTHFAILED = "authfailed"
    CAPTURESTARTED = "capturestarted"
    CAPTURESUCCESS = "capturesuccess"
    CAPTUREFAILED = "capturefailed"
    CANCELSTARTED = "cancelstarted"
    AUTHCANCELLED = "authcancelled"
    CANCELLED = "cancelled"
    MARKEDFORREVERSAL = "markedforreversal"
    REVERSED = "reversed"
    PARTIALREFUND = "partialrefund"
    SETTLED = "settled"
    CHARGEBACK = "chargeback"
    FAILED = "failed"
    PAYOUTSTARTED = "payoutstarted"
    PAYOUTSUCCESSFUL = "payoutsuccessful"
    PAYOUTFAILED = "payoutfailed"


class ShortStatus(enum.StrEnum):
    """The provider's ``transactionStatus``: what happened to the operation, not the money."""

    SUCCESS = "Y"
    FAILED = "N"
    PENDING = "P"
    PENDING_3D = "3D"
    CANCELLED = "C"


class PaymentType(enum.StrEnum):
    """``paymentType`` of a request, echoed by most responses."""

    PREAUTH = "PA"
    DEBIT = "DB"
    CAPTURE = "CP"
    REVERSAL = "RV"
    REFUND = "RF"
    INQUIRY = "IN"
    PAYOUT = "PO"


class ResultCode(enum.StrEnum):
    """``result.code`` values the adapter understands (PROVIDERS.md 5, real payloads)."""

    SUCCEEDED = "00001"
    CAPTURED = "00004"
    REFUNDED = "00005"
    CANCELLED = "00006"
    RECORD_FOUND = "00026"
    FAILED = "10001"


@attrs.frozen
class StatusRow:
    """What one long status means: the chart it drives and the short codes that agree."""

    object_kind: str
    shorts: frozenset[ShortStatus]


_P, _Y, _N = ShortStatus.PENDING, ShortStatus.SUCCESS, ShortStatus.FAILED


def _row(kind: str, *shorts: ShortStatus) -> StatusRow:
    return StatusRow(kind, frozenset(shorts))


STATUS_TABLE: Mapping[LongStatus, StatusRow] = {
    LongStatus.BEGUN: _row(PAYMENT, _P),
    LongStatus.AUTHSTARTED: _row(PAYMENT, _P, ShortStatus.PENDING_3D),
    LongStatus.AUTHSTARTED_3D: _row(PAYMENT, ShortStatus.PENDING_3D, _P),
    LongStatus.AUTHSUCCESSFUL: _row(PAYMENT, _Y),
    LongStatus.AUTHFAILED: _row(PAYMENT, _N),
    LongStatus.CAPTURESTARTED: _row(PAYMENT, _P),
    LongStatus.CAPTURESUCCESS: _row(PAYMENT, _Y),
    LongStatus.CAPTUREFAILED: _row(PAYMENT, _N),
    LongStatus.CANCELSTARTED: _row(PAYMENT, _P),
    # sources disagree on the short code of a cancel (C, P or Y): all three agree
    LongStatus.AUTHCANCELLED: _row(PAYMENT, ShortStatus.CANCELLED, _P, _Y),
    LongStatus.CANCELLED: _row(PAYMENT, ShortStatus.CANCELLED, _P, _Y),
    LongStatus.MARKEDFORREVERSAL: _row(PAYMENT, _Y),
    LongStatus.REVERSED: _row(PAYMENT, _Y),
    LongStatus.PARTIALREFUND: _row(PAYMENT, _Y),
    LongStatus.SETTLED: _row(PAYMENT, _Y),
    LongStatus.CHARGEBACK: _row(PAYMENT, _Y),
    LongStatus.FAILED: _row(PAYMENT, _N),
    LongStatus.PAYOUTSTARTED: _row(PAYOUT, _P),
    LongStatus.PAYOUTSUCCESSFUL: _row(PAYOUT, _Y),
    LongStatus.PAYOUTFAILED: _row(PAYOUT, _N),
}
"""The one exhaustive table: long status → chart (object kind) and agreeing short codes.
The trigger and the reported chart state are the long status itself."""

AMBIGUOUS = frozenset({LongStatus.REVERSED})
"""Long statuses that name more than one chart state: ``reversed`` is the final full refund
or a partial refund that stays refundable, and only the ledger tells which. Events for them
report no chart state, so the chart's guards choose the target."""

CANCEL_FAILED = "cancelfailed"
REFUND_FAILED = "refundfailed"
"""Triggers for a failed RV / RF response: no long status exists for them."""

_PT, _RC = PaymentType, ResultCode

RESPONSE_TABLE: Mapping[tuple[PaymentType, ResultCode], str] = {
    (_PT.PREAUTH, _RC.SUCCEEDED): LongStatus.AUTHSUCCESSFUL,
    (_PT.PREAUTH, _RC.FAILED): LongStatus.AUTHFAILED,
    (_PT.DEBIT, _RC.SUCCEEDED): LongStatus.CAPTURESUCCESS,
    (_PT.DEBIT, _RC.CAPTURED): LongStatus.CAPTURESUCCESS,
    (_PT.DEBIT, _RC.FAILED): LongStatus.AUTHFAILED,
    (_PT.CAPTURE, _RC.SUCCEEDED): LongStatus.CAPTURESUCCESS,
    (_PT.CAPTURE, _RC.CAPTURED): LongStatus.CAPTURESUCCESS,
    (_PT.CAPTURE, _RC.FAILED): LongStatus.CAPTUREFAILED,
    (_PT.REVERSAL, _RC.SUCCEEDED): LongStatus.AUTHCANCELLED,
    (_PT.REVERSAL, _RC.CANCELLED): LongStatus.AUTHCANCELLED,
    (_PT.REVERSAL, _RC.FAILED): CANCEL_FAILED,
    (_PT.REFUND, _RC.SUCCEEDED): LongStatus.REVERSED,
    (_PT.REFUND, _RC.REFUNDED): LongStatus.REVERSED,
    (_PT.REFUND, _RC.FAILED): REFUND_FAILED,
    (_PT.PAYOUT, _RC.SUCCEEDED): LongStatus.PAYOUTSUCCESSFUL,
    (_PT.PAYOUT, _RC.FAILED): LongStatus.PAYOUTFAILED,
}
"""A response without a long status: (paymentType, result code) → the trigger it means.
A 3-D Secure redirect on a PA or DB response means ``authstarted_3D`` whatever the code."""

RESULT_IMPLIES: Mapping[ResultCode, PaymentType] = {
    _RC.CAPTURED: _PT.CAPTURE,
    _RC.REFUNDED: _PT.REFUND,
    _RC.CANCELLED: _PT.REVERSAL,
}
"""Result codes that name the operation, for responses that echo no ``paymentType``."""

OPERATIONS: Mapping[str, PaymentType] = {
    "preauth": _PT.PREAUTH, "preauthorization": _PT.PREAUTH, "authorize": _PT.PREAUTH,
    "debit": _PT.DEBIT, "sale": _PT.DEBIT, "capture": _PT.CAPTURE,
    "cancel": _PT.REVERSAL, "reversal": _PT.REVERSAL, "void": _PT.REVERSAL,
    "refund": _PT.REFUND, "inquiry": _PT.INQUIRY, "status": _PT.INQUIRY, "payout": _PT.PAYOUT,
    **{t.value.lower(): t for t in PaymentType},
}
"""``RawInput.operation`` names (a recording's merchant call) → payment type."""

OPERATION_TYPES = frozenset({_PT.CAPTURE, _PT.REVERSAL, _PT.REFUND})
"""Calls on an existing payment (``POST /payments/{id}``): the id in the URL names it."""
