"""The platform protocol's vocabulary and the one table from (action, result, status) to edge.

Source: seed ``002_9449a75a1de6dc32.txt`` (status list) and PROVIDERS.md section 2 (actions,
results, transition table, reversal decisions). Chart states carry the provider's status
names, so the state a message reports is its status; the trigger comes from the table.
"""

from __future__ import annotations

import enum
from typing import TypeVar

import attrs

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


POLLS = frozenset({Action.GET_TRANS_STATUS, Action.GET_TRANS_STATUS_BY_ORDER,
                   Action.GET_TRANS_DETAILS})
DISPUTES = frozenset({Action.CHARGEBACK, Action.SECOND_PRESENTMENT, Action.SECOND_CHARGEBACK,
                      Action.ARBITRATION, Action.ARBITRATION_WON, Action.ARBITRATION_LOST,
                      Action.CHARGEBACK_REVERSAL, Action.SECOND_PRESENTMENT_REVERSAL,
                      Action.SECOND_CHARGEBACK_REVERSAL, Action.ARBITRATION_REVERSAL})
UNDEFINED_TRIGGER = "undefined"
"""No chart has an edge for it (except the sale's NEW → PREPARE): UNDEFINED decides nothing."""


@attrs.frozen
class Route:
    """Where one message goes: the object kind, the trigger, and the chart state reported."""

    kind: str
    trigger: str
    state: str | None


Key = tuple[Action, Result, Status | None]
A, R, S = Action, Result, Status


def _sale_rows(action: Action) -> dict[Key, str]:
    return {(action, R.SUCCESS, S.SETTLED): "sale_settled",
            (action, R.SUCCESS, S.PENDING): "sale_authorized",
            (action, R.REDIRECT, S.THREE_DS): "sale_3ds",
            (action, R.REDIRECT, S.REDIRECT): "sale_redirect",
            (action, R.UNDEFINED, S.PREPARE): "sale_undefined",
            (action, R.UNDEFINED, None): "sale_undefined",
            (action, R.DECLINED, S.DECLINED): "sale_declined"}


_TRANSACTION: dict[Key, str] = {
    **_sale_rows(A.SALE),
    **_sale_rows(A.RECURRING_SALE),
    (A.CAPTURE, R.SUCCESS, S.SETTLED): "capture_settled",
    (A.CAPTURE, R.DECLINED, S.PENDING): "capture_declined",
    (A.CREDITVOID, R.SUCCESS, S.REVERSAL): "creditvoid_reversal",
    (A.CREDITVOID, R.SUCCESS, S.REFUND): "creditvoid_refund",
    (A.CREDITVOID, R.SUCCESS, S.SETTLED): "creditvoid_refund",
    (A.CREDITVOID, R.ACCEPTED, S.PENDING): "reversal_accepted",
    (A.CREDITVOID, R.ACCEPTED, S.SETTLED): "refund_accepted",
    (A.CREDITVOID, R.WAITING, S.PENDING): "reversal_waiting",
    (A.CREDITVOID, R.WAITING, S.SETTLED): "refund_waiting",
    (A.CREDITVOID, R.DECLINED, S.PENDING): "reversal_declined",
    (A.CREDITVOID, R.DECLINED, S.SETTLED): "refund_declined",
    (A.VOID, R.SUCCESS, S.VOID): "void_success",
    (A.VOID, R.DECLINED, S.SETTLED): "void_declined",
    (A.RETRY, R.ACCEPTED, None): "retry_accepted",
    (A.RETRY, R.ACCEPTED, S.DECLINED): "retry_accepted",
    (A.RETRY, R.SUCCESS, S.SETTLED): "retry_settled",
    (A.RETRY, R.DECLINED, S.DECLINED): "retry_declined",
    (A.CHARGEBACK, R.SUCCESS, S.CHARGEBACK): "chargeback",
    (A.SECOND_PRESENTMENT, R.SUCCESS, S.SECOND_PRESENTMENT): "second_presentment",
    (A.SECOND_CHARGEBACK, R.SUCCESS, S.SECOND_CHARGEBACK): "second_chargeback",
    (A.ARBITRATION, R.SUCCESS, S.ARBITRATION): "arbitration",
    (A.ARBITRATION, R.SUCCESS, S.ARBITRATION_WON): "arbitration_won",
    (A.ARBITRATION, R.SUCCESS, S.ARBITRATION_LOST): "arbitration_lost",
    (A.ARBITRATION_WON, R.SUCCESS, S.ARBITRATION_WON): "arbitration_won",
    (A.ARBITRATION_LOST, R.SUCCESS, S.ARBITRATION_LOST): "arbitration_lost",
    # Decision (PROVIDERS.md 2): a reversal undoes the last dispute step.
    (A.CHARGEBACK_REVERSAL, R.SUCCESS, S.SETTLED): "chargeback_reversal",
    (A.SECOND_PRESENTMENT_REVERSAL, R.SUCCESS, S.CHARGEBACK): "second_presentment_reversal",
    (A.SECOND_CHARGEBACK_REVERSAL, R.SUCCESS, S.SECOND_PRESENTMENT):
        "second_chargeback_reversal",
    (A.ARBITRATION_REVERSAL, R.SUCCESS, S.ARBITRATION_REVERSAL): "arbitration_reversal",
}

_POLL: dict[Status, str] = {
    S.THREE_DS: "sale_3ds", S.REDIRECT: "sale_redirect", S.PREPARE: "sale_undefined",
    S.PENDING: "sale_authorized", S.SETTLED: "status_settled", S.DECLINED: "sale_declined",
    S.REVERSAL: "creditvoid_reversal", S.REFUND: "creditvoid_refund", S.VOID: "void_success",
    S.CHARGEBACK: "chargeback", S.SECOND_PRESENTMENT: "second_presentment",
    S.SECOND_CHARGEBACK: "second_chargeback", S.ARBITRATION: "arbitration",
    S.ARBITRATION_WON: "arbitration_won", S.ARBITRATION_LOST: "arbitration_lost",
    S.ARBITRATION_REVERSAL: "arbitration_reversal",
}
"""A status query reports a status only: the trigger of the one action that reaches it."""

_PAYOUT: dict[Key, str] = {
    (A.CREDIT2CARD, R.SUCCESS, S.SETTLED): "payout_settled",
    (A.CREDIT2CARD, R.DECLINED, S.DECLINED): "payout_declined",
    (A.CREDIT2CARD, R.UNDEFINED, S.PREPARE): "payout_undefined",
    (A.CREDIT2CARD, R.UNDEFINED, None): "payout_undefined",
}


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


def route(action: Action, result: Result, status: Status | None,
          operation: str | None = None) -> Route:
    """The edge a message asks for; ``InputError`` names what the table does not know."""
    state = status.value if status is not None else None
    if action is A.CREDITVOID and status is None and result in (R.ACCEPTED, R.WAITING):
        status = _creditvoid_status(result, operation)
    if action in POLLS:
        if result is not R.SUCCESS or status is None:
            raise InputError("result", f"status query answered {result.value} without a "
                             "status", provider=PROVIDER)
        return Route(TRANSACTION, _POLL[status], state)
    if action is A.CREDIT2CARD:
        trigger = _PAYOUT.get((action, result, status))
        kind = PAYOUT
    else:
        trigger = _TRANSACTION.get((action, result, status))
        kind = TRANSACTION
    if trigger is None and result is R.UNDEFINED:
        return Route(kind, UNDEFINED_TRIGGER, None)
    if trigger is None:
        shown = status.value if status is not None else "(none)"
        raise InputError("status", f"{action.value} {result.value} with status {shown} is not "
                         "a documented combination", provider=PROVIDER)
    if result is R.UNDEFINED:
        state = Status.PREPARE.value
    return Route(kind, trigger, state)
