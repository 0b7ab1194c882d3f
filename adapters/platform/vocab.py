"""The platform protocol's status words and the one table from (action, result, status) to edge.

Source: seed ``docs/sources/002_9449a75a1de6dc32.txt`` (status list) and docs/PROVIDERS.md §2
(actions, results, transition table, reversal decisions). Chart states carry the provider's
status names, so the state a message reports is its status; the trigger comes from ``MOVES``,
keyed by the action and result that reported the status (``via``), because the status alone is
ambiguous (a partial refund and "nothing happened" both say ``SETTLED``).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import TypeVar

import attrs

from paychart.adapter import StatusMove
from paychart.errors import InputError

PROVIDER = "platform"
TRANSACTION = "transaction"
PAYOUT = "payout"


class Action(enum.StrEnum):
    SALE = "SALE"
    CAPTURE = "CAPTURE"
    CREDITVOID = "CREDITVOID"
    VOID = "VOID"
    RECURRING_SALE = "RECURRING_SALE"
    RETRY = "RETRY"
    GET_TRANS_STATUS = "GET_TRANS_STATUS"
    GET_TRANS_STATUS_BY_ORDER = "GET_TRANS_STATUS_BY_ORDER"
    GET_TRANS_DETAILS = "GET_TRANS_DETAILS"
    CREDIT2CARD = "CREDIT2CARD"
    CHARGEBACK = "CHARGEBACK"
    SECOND_PRESENTMENT = "SECOND_PRESENTMENT"
    SECOND_CHARGEBACK = "SECOND_CHARGEBACK"
    ARBITRATION = "ARBITRATION"
    ARBITRATION_WON = "ARBITRATION_WON"
    ARBITRATION_LOST = "ARBITRATION_LOST"
    CHARGEBACK_REVERSAL = "CHARGEBACK_REVERSAL"
    SECOND_PRESENTMENT_REVERSAL = "SECOND_PRESENTMENT_REVERSAL"
    SECOND_CHARGEBACK_REVERSAL = "SECOND_CHARGEBACK_REVERSAL"
    ARBITRATION_REVERSAL = "ARBITRATION_REVERSAL"


class Result(enum.StrEnum):
    SUCCESS = "SUCCESS"
    DECLINED = "DECLINED"
    REDIRECT = "REDIRECT"
    ACCEPTED = "ACCEPTED"
    ERROR = "ERROR"
    UNDEFINED = "UNDEFINED"
    WAITING = "WAITING"


class Status(enum.StrEnum):
    THREE_DS = "3DS"
    REDIRECT = "REDIRECT"
    PREPARE = "PREPARE"
    PENDING = "PENDING"
    SETTLED = "SETTLED"
    REVERSAL = "REVERSAL"
    REFUND = "REFUND"
    VOID = "VOID"
    CHARGEBACK = "CHARGEBACK"
    SECOND_PRESENTMENT = "SECOND_PRESENTMENT"
    SECOND_CHARGEBACK = "SECOND_CHARGEBACK"
    ARBITRATION = "ARBITRATION"
    ARBITRATION_REVERSAL = "ARBITRATION_REVERSAL"
    ARBITRATION_WON = "ARBITRATION_WON"
    ARBITRATION_LOST = "ARBITRATION_LOST"
    DECLINED = "DECLINED"


VOCABULARY: frozenset[str] = frozenset(s.value for s in Status)
"""Every status the seed lists, plus REDIRECT, PREPARE and VOID of newer protocol versions."""

NOT_MAPPED: Mapping[str, str] = MappingProxyType({})
"""Every status word has at least one move: none is deliberately left without one."""

POLLS = frozenset({Action.GET_TRANS_STATUS, Action.GET_TRANS_STATUS_BY_ORDER,
                   Action.GET_TRANS_DETAILS})
STATUS_QUERY = "status query"
"""``via`` of a status the platform reports to GET_TRANS_STATUS[_BY_ORDER] / GET_TRANS_DETAILS:
the query has no action of its own, so the status picks the edge."""
UNDEFINED_TRIGGER = "undefined"
"""No chart has an edge for it (except the sale's NEW → PREPARE): UNDEFINED decides nothing."""

A, R, S = Action, Result, Status


def reported(action: Action, result: Result) -> str:
    """``via`` of a status reported by one action's answer or callback: ``SALE/SUCCESS``."""
    return f"{action.value}/{result.value}"


def _move(kind: str, action: Action, result: Result, status: Status, trigger: str
          ) -> StatusMove:
    return StatusMove(kind, status.value, trigger, status.value, reported(action, result))


def _sale(action: Action) -> tuple[StatusMove, ...]:
    t = TRANSACTION
    return (_move(t, action, R.SUCCESS, S.SETTLED, "sale_settled"),
            _move(t, action, R.SUCCESS, S.PENDING, "sale_authorized"),
            _move(t, action, R.REDIRECT, S.THREE_DS, "sale_3ds"),
            _move(t, action, R.REDIRECT, S.REDIRECT, "sale_redirect"),
            _move(t, action, R.UNDEFINED, S.PREPARE, "sale_undefined"),
            _move(t, action, R.DECLINED, S.DECLINED, "sale_declined"))


def _transaction(action: Action, result: Result, status: Status, trigger: str) -> StatusMove:
    return _move(TRANSACTION, action, result, status, trigger)


def _poll(status: Status, trigger: str) -> StatusMove:
    return StatusMove(TRANSACTION, status.value, trigger, status.value, STATUS_QUERY)


MOVES: tuple[StatusMove, ...] = (
    *_sale(A.SALE),
    *_sale(A.RECURRING_SALE),
    _transaction(A.CAPTURE, R.SUCCESS, S.SETTLED, "capture_settled"),
    _transaction(A.CAPTURE, R.DECLINED, S.PENDING, "capture_declined"),
    _transaction(A.CREDITVOID, R.SUCCESS, S.REVERSAL, "creditvoid_reversal"),
    _transaction(A.CREDITVOID, R.SUCCESS, S.REFUND, "creditvoid_refund"),
    # docs/PROVIDERS.md §2: a partial refund reports SETTLED; the ledger holds the amount.
    _transaction(A.CREDITVOID, R.SUCCESS, S.SETTLED, "creditvoid_refund"),
    _transaction(A.CREDITVOID, R.ACCEPTED, S.PENDING, "reversal_accepted"),
    _transaction(A.CREDITVOID, R.ACCEPTED, S.SETTLED, "refund_accepted"),
    _transaction(A.CREDITVOID, R.WAITING, S.PENDING, "reversal_waiting"),
    _transaction(A.CREDITVOID, R.WAITING, S.SETTLED, "refund_waiting"),
    _transaction(A.CREDITVOID, R.DECLINED, S.PENDING, "reversal_declined"),
    _transaction(A.CREDITVOID, R.DECLINED, S.SETTLED, "refund_declined"),
    _transaction(A.VOID, R.SUCCESS, S.VOID, "void_success"),
    _transaction(A.VOID, R.DECLINED, S.SETTLED, "void_declined"),
    _transaction(A.RETRY, R.ACCEPTED, S.DECLINED, "retry_accepted"),
    _transaction(A.RETRY, R.SUCCESS, S.SETTLED, "retry_settled"),
    _transaction(A.RETRY, R.DECLINED, S.DECLINED, "retry_declined"),
    _transaction(A.CHARGEBACK, R.SUCCESS, S.CHARGEBACK, "chargeback"),
    _transaction(A.SECOND_PRESENTMENT, R.SUCCESS, S.SECOND_PRESENTMENT, "second_presentment"),
    _transaction(A.SECOND_CHARGEBACK, R.SUCCESS, S.SECOND_CHARGEBACK, "second_chargeback"),
    _transaction(A.ARBITRATION, R.SUCCESS, S.ARBITRATION, "arbitration"),
    _transaction(A.ARBITRATION, R.SUCCESS, S.ARBITRATION_WON, "arbitration_won"),
    _transaction(A.ARBITRATION, R.SUCCESS, S.ARBITRATION_LOST, "arbitration_lost"),
    _transaction(A.ARBITRATION_WON, R.SUCCESS, S.ARBITRATION_WON, "arbitration_won"),
    _transaction(A.ARBITRATION_LOST, R.SUCCESS, S.ARBITRATION_LOST, "arbitration_lost"),
    # Decision (docs/PROVIDERS.md §2): a reversal undoes the last dispute step.
    _transaction(A.CHARGEBACK_REVERSAL, R.SUCCESS, S.SETTLED, "chargeback_reversal"),
    _transaction(A.SECOND_PRESENTMENT_REVERSAL, R.SUCCESS, S.CHARGEBACK,
                 "second_presentment_reversal"),
    _transaction(A.SECOND_CHARGEBACK_REVERSAL, R.SUCCESS, S.SECOND_PRESENTMENT,
                 "second_chargeback_reversal"),
    _transaction(A.ARBITRATION_REVERSAL, R.SUCCESS, S.ARBITRATION_REVERSAL,
                 "arbitration_reversal"),
    # A status query reports a status only: the trigger of the one action that reaches it,
    # except SETTLED, whose own trigger never reverses a chargeback (docs/PROVIDERS.md §2).
    _poll(S.THREE_DS, "sale_3ds"), _poll(S.REDIRECT, "sale_redirect"),
    _poll(S.PREPARE, "sale_undefined"), _poll(S.PENDING, "sale_authorized"),
    _poll(S.SETTLED, "status_settled"), _poll(S.DECLINED, "sale_declined"),
    _poll(S.REVERSAL, "creditvoid_reversal"), _poll(S.REFUND, "creditvoid_refund"),
    _poll(S.VOID, "void_success"), _poll(S.CHARGEBACK, "chargeback"),
    _poll(S.SECOND_PRESENTMENT, "second_presentment"),
    _poll(S.SECOND_CHARGEBACK, "second_chargeback"), _poll(S.ARBITRATION, "arbitration"),
    _poll(S.ARBITRATION_WON, "arbitration_won"), _poll(S.ARBITRATION_LOST, "arbitration_lost"),
    _poll(S.ARBITRATION_REVERSAL, "arbitration_reversal"),
    _move(PAYOUT, A.CREDIT2CARD, R.SUCCESS, S.SETTLED, "payout_settled"),
    _move(PAYOUT, A.CREDIT2CARD, R.DECLINED, S.DECLINED, "payout_declined"),
    _move(PAYOUT, A.CREDIT2CARD, R.UNDEFINED, S.PREPARE, "payout_undefined"),
)
"""Every documented (object, status, how it was reported) → (trigger, reported state)."""


def _lookup(moves: tuple[StatusMove, ...]) -> Mapping[tuple[str, str], StatusMove]:
    """``MOVES`` by (via, status): the parser's only table, so it cannot drift from MOVES."""
    table: dict[tuple[str, str], StatusMove] = {}
    for move in moves:
        key = (move.via, move.status)
        if key in table:
            raise ValueError(f"platform MOVES lists {key} twice")
        table[key] = move
    return MappingProxyType(table)


_BY_REPORT = _lookup(MOVES)


@attrs.frozen
class Route:
    """Where one message goes: the object kind, the trigger, and the chart state reported."""

    kind: str
    trigger: str
    state: str | None


E = TypeVar("E", bound=enum.StrEnum)


def _enum(kind: type[E], field: str, value: str | None) -> E:
    if value is None:
        raise InputError(field, "missing", provider=PROVIDER)
    try:
        return kind(value)
    except ValueError:
        raise InputError(field, f"unknown {field} {value!r}", provider=PROVIDER) from None


def parse_action(value: str | None) -> Action:
    return _enum(Action, "action", value)


def parse_result(value: str | None) -> Result:
    return _enum(Result, "result", value)


def parse_status(value: str | None) -> Status | None:
    return None if value in (None, "") else _enum(Status, "status", value)


_OPERATIONS: dict[str, Status] = {"refund": S.SETTLED, "reverse": S.PENDING,
                                   "reversal": S.PENDING}
"""A CREDITVOID answer without a status lands by the merchant call it answers: a refund of a
settled sale or the reversal of a hold."""


def _creditvoid_status(result: Result, operation: str | None) -> Status:
    status = _OPERATIONS.get((operation or "").lower())
    if status is None:
        raise InputError("operation", f"CREDITVOID {result.value} reports no status: give the "
                         f"merchant call it answers as operation ({', '.join(_OPERATIONS)}), "
                         f"not {operation!r}", provider=PROVIDER)
    return status


def _implied(action: Action, result: Result, operation: str | None) -> Status | None:
    """The status a message that reports none stands for: UNDEFINED is PREPARE; a RETRY
    accepted concerns the declined sale it retries; a CREDITVOID accepted or waiting, the
    merchant call it answers."""
    if result is R.UNDEFINED:
        return S.PREPARE
    if action is A.RETRY and result is R.ACCEPTED:
        return S.DECLINED
    if action is A.CREDITVOID and result in (R.ACCEPTED, R.WAITING):
        return _creditvoid_status(result, operation)
    return None


def route(action: Action, result: Result, status: Status | None,
          operation: str | None = None) -> Route:
    """The edge a message asks for; ``InputError`` names what ``MOVES`` does not know.

    A message without a status reports no state (except UNDEFINED, which is PREPARE); a
    result UNDEFINED the table lacks (a CAPTURE not decided yet) asks for the ``undefined``
    trigger, which no chart has: it decides nothing.
    """
    kind = PAYOUT if action is A.CREDIT2CARD else TRANSACTION
    if action in POLLS:
        if result is not R.SUCCESS or status is None:
            raise InputError("result", f"status query answered {result.value} without a "
                             "status", provider=PROVIDER)
        move = _BY_REPORT.get((STATUS_QUERY, status.value))
    else:
        looked_up = status if status is not None else _implied(action, result, operation)
        move = None if looked_up is None else _BY_REPORT.get(
            (reported(action, result), looked_up.value))
    if move is None and result is R.UNDEFINED:
        return Route(kind, UNDEFINED_TRIGGER, None)
    if move is None:
        shown = status.value if status is not None else "(none)"
        raise InputError("status", f"{action.value} {result.value} with status {shown} is not "
                         "a documented combination", provider=PROVIDER)
    state = move.state if status is not None or result is R.UNDEFINED else None
    return Route(move.object_kind, move.trigger, state)
