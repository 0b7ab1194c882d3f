"""CARDLINK's status words and the one table that says what each means for each object.

Source: seed ``000_baacd447c95a09f8.txt`` (Payment states, Notifications) and
docs/PROVIDERS.md §1 (``processing`` and ``refunded`` from the platform's own status enum,
the two-step ``held`` decision, disputes listed as ``processing``). A status the table lacks
for its object is ``invalid`` naming the value, never mapped to a default.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from paychart.adapter import StatusMove

PROVIDER = "cardlink"


class Kind(enum.StrEnum):
    """CARDLINK objects with a lifecycle of their own, each with its own token."""

    PAYMENT = "payment"
    PAYOUT = "payout"
    REFUND = "refund"
    DISPUTE = "dispute"


class Via(enum.StrEnum):
    """How a status reached us, where it changes what the status means.

    ``REPORT`` is a plain status report (callback, poll, create response); ``HOLD`` the same
    in two-stage mode, where ``approved`` is the authorization; ``CONFIRM``/``DECLINE`` the
    answers to the merchant's two-step calls; ``REQUEST`` the merchant's own request.
    """

    REPORT = "report"
    HOLD = "hold"
    CONFIRM = "confirm"
    DECLINE = "decline"
    REQUEST = "request"

    @property
    def move_via(self) -> str:
        """The ``StatusMove.via`` of this way of reporting (empty for a plain report)."""
        return "" if self is Via.REPORT else self.value


class Status(enum.StrEnum):
    """The seed's five statuses plus ``processing`` and ``refunded`` (docs/PROVIDERS.md §1)."""

    INIT = "init"
    PENDING = "pending"
    PROCESSING = "processing"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"
    REFUNDED = "refunded"


VOCABULARY: frozenset[str] = frozenset(Status)
NOT_MAPPED: Mapping[str, str] = {}
"""Every documented status names a move for at least one object."""

CALLBACK_TYPES: Mapping[str, Kind] = {"pay": Kind.PAYMENT, "payment": Kind.PAYMENT,
                                      "payout": Kind.PAYOUT, "refund": Kind.REFUND,
                                      "dispute": Kind.DISPUTE}
"""Callback ``type`` → object; the seed says ``payment``, the platform sends ``pay``
(docs/PROVIDERS.md §1, Callback)."""


def _rows(kind: Kind, via: Via, *moves: tuple[Status, str, str]) -> tuple[StatusMove, ...]:
    return tuple(StatusMove(kind.value, status.value, trigger, state, via.move_via)
                 for status, trigger, state in moves)


S = Status
_PAYMENT_REPORTS = ((S.INIT, "create", "init"), (S.PENDING, "start", "pending"),
                    (S.PROCESSING, "process", "processing"), (S.APPROVED, "approve", "approved"),
                    (S.DECLINED, "decline", "declined"), (S.EXPIRED, "expire", "expired"),
                    (S.REFUNDED, "refund", "refunded"))

MOVES: tuple[StatusMove, ...] = (
    # payment status reports: callback, poll, create response
    *_rows(Kind.PAYMENT, Via.REPORT, *_PAYMENT_REPORTS),
    # the same in two-stage mode: `approved` is the authorization (docs/PROVIDERS.md §1,
    # Decision on two-step payments)
    *_rows(Kind.PAYMENT, Via.HOLD, *((s, t, st) if s is not S.APPROVED else (s, "hold", "held")
                                     for s, t, st in _PAYMENT_REPORTS)),
    # answers to the merchant's two-step calls
    *_rows(Kind.PAYMENT, Via.CONFIRM, (S.APPROVED, "confirm", "approved"),
           (S.DECLINED, "decline", "declined")),
    *_rows(Kind.PAYMENT, Via.DECLINE, (S.DECLINED, "decline", "declined")),
    *_rows(Kind.PAYMENT, Via.REQUEST, (S.INIT, "create", "init")),
    # payouts: `init|pending → approved|declined`, `processing` is still pending; a payout
    # never expires (docs/PROVIDERS.md §1, Payout), so `expired` is invalid for one
    *_rows(Kind.PAYOUT, Via.REPORT, (S.INIT, "create", "init"), (S.PENDING, "start", "pending"),
           (S.PROCESSING, "start", "pending"), (S.APPROVED, "approve", "approved"),
           (S.DECLINED, "decline", "declined")),
    *_rows(Kind.PAYOUT, Via.REQUEST, (S.INIT, "create", "init")),
    # refunds: callbacks may pass through `pending` (docs/PROVIDERS.md §1, Refund)
    *_rows(Kind.REFUND, Via.REPORT, (S.PENDING, "start", "pending"),
           (S.PROCESSING, "start", "pending"), (S.APPROVED, "approve", "approved"),
           (S.DECLINED, "decline", "declined")),
    *_rows(Kind.REFUND, Via.REQUEST, (S.INIT, "create", "init")),
    # disputes: `processing` is how the dispute list shows a pending dispute
    *_rows(Kind.DISPUTE, Via.REPORT, (S.PENDING, "open", "pending"),
           (S.PROCESSING, "open", "pending"), (S.APPROVED, "approve", "approved"),
           (S.DECLINED, "decline", "declined")),
    *_rows(Kind.DISPUTE, Via.REQUEST, (S.PENDING, "open", "pending")),
)
"""(object, status, how it was reported) → (chart trigger, reported chart state). Rows whose
trigger is no edge of the chart (a refund request's ``create``, a dispute's ``open``) report
the chart's initial state: the engine creates the object there."""

_BY_KEY: Mapping[tuple[str, str, str], StatusMove] = {
    (move.object_kind, move.via, move.status): move for move in MOVES}
if len(_BY_KEY) != len(MOVES):  # pragma: no cover - a table edit gone wrong
    raise RuntimeError("cardlink MOVES lists one (object, via, status) twice")


def move_for(kind: Kind, via: Via, status: str) -> StatusMove | None:
    """The row of ``MOVES`` for this status of this object reported this way, if any."""
    return _BY_KEY.get((kind.value, via.move_via, status))
