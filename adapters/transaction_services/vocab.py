"""Transaction services REST vocabulary: status words, payment types, result codes, and the
one exhaustive status table ``MOVES`` every lookup of the parser is derived from.

Source: seed ``004_ff6acabc0a225ce2.txt`` and docs/PROVIDERS.md §5 (status table, result
codes). The long ``status`` drives the chart (triggers are named after it); the short
``transactionStatus`` only cross-checks it. A response to a merchant call carries no long
status, so its result code, reported ``via`` a response to one ``paymentType``, is a row too.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from paychart.adapter import StatusMove

PROVIDER = "transaction_services"
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
    """``result.code`` values (docs/PROVIDERS.md §5 result codes, and the real payloads)."""

    SUCCEEDED = "00001"
    CAPTURED = "00004"
    REFUNDED = "00005"
    CANCELLED = "00006"
    RECORD_FOUND = "00026"
    FAILED = "10001"


CANCEL_FAILED = "cancelfailed"
REFUND_FAILED = "refundfailed"
"""Triggers for a failed RV / RF response: the protocol has no long status for them."""

_L, _PT, _RC = LongStatus, PaymentType, ResultCode


def response_via(payment_type: PaymentType, *, three_d: bool) -> str:
    """The ``via`` of a response to ``payment_type`` (see ``MOVES``)."""
    return f"{payment_type.value} response" + (", 3-D Secure pending" if three_d else "")


def _long(kind: str, status: LongStatus, state: str | None = None) -> StatusMove:
    return StatusMove(kind, status.value, status.value, status.value if state is None else state)


def _answer(payment_type: PaymentType, code: ResultCode, trigger: str, state: str | None, *,
            three_d: bool = False) -> StatusMove:
    kind = PAYOUT if payment_type is _PT.PAYOUT else PAYMENT
    return StatusMove(kind, code.value, trigger, state, response_via(payment_type,
                                                                     three_d=three_d))


def _same(payment_type: PaymentType, code: ResultCode, status: LongStatus, *,
          three_d: bool = False) -> StatusMove:
    return _answer(payment_type, code, status.value, status.value, three_d=three_d)


MOVES: tuple[StatusMove, ...] = (
    # the long statuses of notifications, inquiry answers and some responses
    *(_long(PAYMENT, status) for status in LongStatus
      if status not in {_L.REVERSED, _L.PAYOUTSTARTED, _L.PAYOUTSUCCESSFUL, _L.PAYOUTFAILED}),
    # ``reversed`` is the final full refund, a partial refund, or a partial chargeback
    # reversal: only the ledger tells which, so it reports no chart state
    StatusMove(PAYMENT, _L.REVERSED.value, _L.REVERSED.value, None),
    _long(PAYOUT, _L.PAYOUTSTARTED),
    _long(PAYOUT, _L.PAYOUTSUCCESSFUL),
    _long(PAYOUT, _L.PAYOUTFAILED),
    # result codes of responses without a long status, by the call they answer
    _same(_PT.PREAUTH, _RC.SUCCEEDED, _L.AUTHSUCCESSFUL),
    _same(_PT.PREAUTH, _RC.FAILED, _L.AUTHFAILED),
    _same(_PT.DEBIT, _RC.SUCCEEDED, _L.CAPTURESUCCESS),
    _same(_PT.DEBIT, _RC.CAPTURED, _L.CAPTURESUCCESS),
    _same(_PT.DEBIT, _RC.FAILED, _L.AUTHFAILED),
    _same(_PT.CAPTURE, _RC.SUCCEEDED, _L.CAPTURESUCCESS),
    _same(_PT.CAPTURE, _RC.CAPTURED, _L.CAPTURESUCCESS),
    _same(_PT.CAPTURE, _RC.FAILED, _L.CAPTUREFAILED),
    _same(_PT.REVERSAL, _RC.SUCCEEDED, _L.AUTHCANCELLED),
    _same(_PT.REVERSAL, _RC.CANCELLED, _L.AUTHCANCELLED),
    # a failed cancel reports the outcome of the call, not a state of the payment
    _answer(_PT.REVERSAL, _RC.FAILED, CANCEL_FAILED, None),
    _answer(_PT.REFUND, _RC.SUCCEEDED, _L.REVERSED.value, None),
    _answer(_PT.REFUND, _RC.REFUNDED, _L.REVERSED.value, None),
    # a failed refund leaves the payment where it was: captured, settled or partly refunded
    _answer(_PT.REFUND, _RC.FAILED, REFUND_FAILED, None),
    _same(_PT.PAYOUT, _RC.SUCCEEDED, _L.PAYOUTSUCCESSFUL),
    _same(_PT.PAYOUT, _RC.FAILED, _L.PAYOUTFAILED),
    # a PA or DB answered with a 3-D Secure redirect (or short ``3D``) waits for the customer
    _same(_PT.PREAUTH, _RC.SUCCEEDED, _L.AUTHSTARTED_3D, three_d=True),
    _same(_PT.DEBIT, _RC.SUCCEEDED, _L.AUTHSTARTED_3D, three_d=True),
    _same(_PT.DEBIT, _RC.CAPTURED, _L.AUTHSTARTED_3D, three_d=True),
)
"""The one exhaustive table. Rows without ``via`` are long statuses; rows ``via`` "PA
response" etc. are result codes of a response that carries no long status."""

VOCABULARY: frozenset[str] = frozenset(
    {s.value for s in LongStatus} | {c.value for c in ResultCode}
    | {s.value for s in ShortStatus})
"""Every status word the protocol documents: long statuses, result codes, short codes."""

NOT_MAPPED: Mapping[str, str] = MappingProxyType({
    ResultCode.RECORD_FOUND.value: "an IN inquiry's 'record found': the answer's long status "
                                   "says what happened, the code only that the query worked",
    **{s.value: "short transactionStatus: cross-checks the long status, never drives the chart"
       for s in ShortStatus},
})
"""Status words deliberately without a move, with the reason."""

LONG_STATUS_MOVES: Mapping[str, StatusMove] = MappingProxyType(
    {move.status: move for move in MOVES if not move.via})
"""Long status → its move (derived from ``MOVES``)."""

RESPONSE_MOVES: Mapping[tuple[str, str], StatusMove] = MappingProxyType(
    {(move.via, move.status): move for move in MOVES if move.via})
"""(how it was reported, result code) → move, for responses without a long status."""


_P, _Y, _N = ShortStatus.PENDING, ShortStatus.SUCCESS, ShortStatus.FAILED
_C, _3D = ShortStatus.CANCELLED, ShortStatus.PENDING_3D

AGREEING_SHORTS: Mapping[str, frozenset[ShortStatus]] = MappingProxyType({
    _L.BEGUN: frozenset({_P}),
    _L.AUTHSTARTED: frozenset({_P, _3D}),
    _L.AUTHSTARTED_3D: frozenset({_3D, _P}),
    _L.AUTHSUCCESSFUL: frozenset({_Y}),
    _L.AUTHFAILED: frozenset({_N}),
    _L.CAPTURESTARTED: frozenset({_P}),
    _L.CAPTURESUCCESS: frozenset({_Y}),
    _L.CAPTUREFAILED: frozenset({_N}),
    _L.CANCELSTARTED: frozenset({_P}),
    # sources disagree on the short code of a cancel (C, P or Y): all three agree
    _L.AUTHCANCELLED: frozenset({_C, _P, _Y}),
    _L.CANCELLED: frozenset({_C, _P, _Y}),
    _L.MARKEDFORREVERSAL: frozenset({_Y}),
    _L.REVERSED: frozenset({_Y}),
    _L.PARTIALREFUND: frozenset({_Y}),
    _L.SETTLED: frozenset({_Y}),
    _L.CHARGEBACK: frozenset({_Y}),
    _L.FAILED: frozenset({_N}),
    _L.PAYOUTSTARTED: frozenset({_P}),
    _L.PAYOUTSUCCESSFUL: frozenset({_Y}),
    _L.PAYOUTFAILED: frozenset({_N}),
})
"""Short codes that agree with each long status (the cross-check only); a trigger without a
long status (a failed cancel or refund) agrees with ``N``."""

if set(AGREEING_SHORTS) != set(LONG_STATUS_MOVES):  # pragma: no cover - a table edit slipped
    raise RuntimeError("AGREEING_SHORTS must list exactly the long statuses of MOVES")

RESULT_IMPLIES: Mapping[ResultCode, PaymentType] = MappingProxyType({
    _RC.CAPTURED: _PT.CAPTURE,
    _RC.REFUNDED: _PT.REFUND,
    _RC.CANCELLED: _PT.REVERSAL,
})
"""Result codes that name the operation, for responses that echo no ``paymentType``."""

OPERATIONS: Mapping[str, PaymentType] = MappingProxyType({
    "preauth": _PT.PREAUTH, "preauthorization": _PT.PREAUTH, "authorize": _PT.PREAUTH,
    "debit": _PT.DEBIT, "sale": _PT.DEBIT, "capture": _PT.CAPTURE,
    "cancel": _PT.REVERSAL, "reversal": _PT.REVERSAL, "void": _PT.REVERSAL,
    "refund": _PT.REFUND, "inquiry": _PT.INQUIRY, "status": _PT.INQUIRY, "payout": _PT.PAYOUT,
    **{t.value.lower(): t for t in PaymentType},
})
"""``RawInput.operation`` names (a recording's merchant call) → payment type."""

OPERATION_TYPES = frozenset({_PT.CAPTURE, _PT.REVERSAL, _PT.REFUND})
"""Calls on an existing payment (``POST /payments/{id}``): the id in the URL names it."""

THREE_D_TYPES = frozenset({_PT.PREAUTH, _PT.DEBIT})
"""Calls a 3-D Secure challenge can interrupt."""


MERCHANT_MONEY_MOVES = frozenset({
    LongStatus.CAPTURESUCCESS, LongStatus.MARKEDFORREVERSAL, LongStatus.REVERSED,
    LongStatus.PARTIALREFUND, LongStatus.AUTHCANCELLED, LongStatus.CANCELLED})
"""Steps the merchant's own CP / RF / RV call starts: each is keyed by covered fields only,
so a re-post with the unsigned ``timestamp`` changed is a duplicate, never a second refund."""
