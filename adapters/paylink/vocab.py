"""PayLink's status words and the one table from (object, status, how reported) to chart edge.

Source: seed ``003_ad3bca129e55361a.txt`` and docs/PROVIDERS.md §3 points 1 and 2. Gateway
transactions share six statuses; the chart states carry the gateway's status names (the
authorization's ``successful`` is the state ``authorized``). The checkout token is driven by
its flags and by the presence of ``gateway_response``, never by ``status`` alone
(docs/PROVIDERS.md §3 Decision), so its rows say in ``via`` which flags reported them.

``MOVES`` is the only table: the lookups the parsers use are built from it below.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from paychart.adapter import StatusMove
from paychart.errors import InputError

PROVIDER = "paylink"

TRANSACTION = "transaction"
"""Object kind shared by payments and authorizations (see specs/paylink_transaction.toml)."""
CHECKOUT = "checkout"


class Status(enum.StrEnum):
    """Gateway transaction statuses (docs/PROVIDERS.md §3 point 2); a checkout reports one
    of them once finished, and ``error`` before (seed: "if not error, it is the gateway
    transaction status")."""

    INCOMPLETE = "incomplete"
    PENDING = "pending"
    SUCCESSFUL = "successful"
    FAILED = "failed"
    EXPIRED = "expired"
    ERROR = "error"


class TransactionType(enum.StrEnum):
    """Gateway transaction types this adapter charts; others (``payout``…) are refused."""

    PAYMENT = "payment"
    AUTHORIZATION = "authorization"
    CAPTURE = "capture"
    VOID = "void"
    REFUND = "refund"
    CHARGEBACK = "chargeback"


CHARGED = (TransactionType.PAYMENT, TransactionType.AUTHORIZATION)
"""The types a checkout can carry in ``gateway_response``; both are charted as ``transaction``."""
CHILDREN = (TransactionType.CAPTURE, TransactionType.VOID, TransactionType.REFUND,
            TransactionType.CHARGEBACK)


class CheckoutReport(enum.StrEnum):
    """How a checkout reported itself: the flags and sections that pick its row."""

    FINISHED_PAYMENT = "finished payment"
    FINISHED_AUTHORIZATION = "finished authorization"
    EXPIRED = "expired, not finished"
    ATTEMPTED = "gateway_response, not finished"
    OPEN = "no gateway_response, not finished"


_T, _S, _R = TransactionType, Status, CheckoutReport

_CHILD_TRIGGERS = ((_S.INCOMPLETE, "require_action"), (_S.PENDING, "process"),
                   (_S.SUCCESSFUL, "succeed"), (_S.FAILED, "fail"), (_S.EXPIRED, "expire"),
                   (_S.ERROR, "error"))


def _charged_rows(kind: TransactionType, success: tuple[str, str]) -> tuple[StatusMove, ...]:
    """A payment or authorization: ``via`` is its type, since ``successful`` differs."""
    return tuple(StatusMove(TRANSACTION, status.value, *(success if status is _S.SUCCESSFUL
                                                         else (trigger, status.value)),
                            via=kind.value)
                 for status, trigger in _CHILD_TRIGGERS)


def _finished_checkout_rows(report: CheckoutReport, success: tuple[str, str]
                            ) -> tuple[StatusMove, ...]:
    """A finished checkout takes its transaction's outcome; ``incomplete`` or ``pending``
    (not seen, not excluded by the seed) is still ``in_progress``."""
    outcome = {_S.SUCCESSFUL: success, _S.INCOMPLETE: ("attempt", "in_progress"),
               _S.PENDING: ("attempt", "in_progress"), _S.FAILED: ("fail", "failed"),
               _S.EXPIRED: ("expire", "expired"), _S.ERROR: ("error", "error")}
    return tuple(StatusMove(CHECKOUT, status.value, *outcome[status], via=report.value)
                 for status in Status)


MOVES: tuple[StatusMove, ...] = (
    *_charged_rows(_T.PAYMENT, ("pay", "successful")),
    *_charged_rows(_T.AUTHORIZATION, ("authorize", "authorized")),
    *(StatusMove(child.value, status.value, trigger, status.value)
      for child in CHILDREN for status, trigger in _CHILD_TRIGGERS),
    *_finished_checkout_rows(_R.FINISHED_PAYMENT, ("succeed", "successful")),
    *_finished_checkout_rows(_R.FINISHED_AUTHORIZATION, ("authorize", "authorized")),
    # Not finished: the checkout's status is "error" whatever happened, so the flags decide.
    StatusMove(CHECKOUT, _S.ERROR.value, "expire", "expired", via=_R.EXPIRED.value),
    StatusMove(CHECKOUT, _S.ERROR.value, "attempt", "in_progress", via=_R.ATTEMPTED.value),
    # `open` has no edge: the checkout's first report creates it in its initial state.
    StatusMove(CHECKOUT, _S.ERROR.value, "open", "open", via=_R.OPEN.value),
)
"""Every documented (object, status, how reported) → (trigger, reported state)."""

VOCABULARY: frozenset[str] = frozenset(status.value for status in Status)
"""Every status word the seed documents, for transactions and checkouts alike."""

NOT_MAPPED: Mapping[str, str] = MappingProxyType({})
"""Every documented status has a move."""

_BY_KEY: Mapping[tuple[str, str, str], StatusMove] = MappingProxyType(
    {(move.object_kind, move.status, move.via): move for move in MOVES})
assert len(_BY_KEY) == len(MOVES), "two rows of MOVES share (object, status, via)"


def object_kind(kind: TransactionType) -> str:
    """The chart a gateway transaction of this type lives on."""
    return TRANSACTION if kind in CHARGED else kind.value


def transaction_move(kind: TransactionType, status: Status, field: str) -> StatusMove:
    """The row for one gateway transaction report."""
    via = kind.value if kind in CHARGED else ""
    return _row(object_kind(kind), status, via, field)


def finished_checkout_move(kind: TransactionType, status: Status, field: str) -> StatusMove:
    """The row for a finished checkout whose transaction is of type ``kind``."""
    report = (_R.FINISHED_AUTHORIZATION if kind is _T.AUTHORIZATION
              else _R.FINISHED_PAYMENT)
    return _row(CHECKOUT, status, report.value, field)


def unfinished_checkout_move(report: CheckoutReport) -> StatusMove:
    """The row for a checkout that is not finished (its status is ``error`` throughout)."""
    return _row(CHECKOUT, _S.ERROR, report.value, "checkout")


def _row(kind: str, status: Status, via: str, field: str) -> StatusMove:
    move = _BY_KEY.get((kind, status.value, via))
    if move is None:  # MOVES is exhaustive (tested); this guards a future enum member
        raise InputError(field, f"no chart edge for {kind} {status.value} ({via or kind})",
                         provider=PROVIDER)
    return move


def parse_status(value: str | None, field: str) -> Status:
    """A status word; one outside ``VOCABULARY`` is ``invalid`` naming the value."""
    if value is None:
        raise InputError(field, "missing", provider=PROVIDER)
    try:
        return Status(value)
    except ValueError:
        raise InputError(field, f"unknown status {shown(value)}", provider=PROVIDER) from None


def parse_type(value: str | None, field: str) -> TransactionType:
    """A transaction type this adapter charts; ``payout`` and others are ``invalid``."""
    try:
        return TransactionType(value or "")
    except ValueError:
        raise InputError(field, f"unsupported transaction type {shown(value)}",
                         provider=PROVIDER) from None


def shown(value: object) -> str:
    """A value for an error message: short, and never a long run of digits (a card number)."""
    text = repr(value)
    if sum(char.isdigit() for char in text) >= 12:
        return "(a long number)"
    return text if len(text) <= 40 else text[:37] + "..."
