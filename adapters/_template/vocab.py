"""The provider's name, its status words and the exhaustive status → chart edge table.

Change: ``PROVIDER``; ``Status`` to the words the provider documents (all of them, whether or
not they move anything); ``MOVES`` to one row per (object, status) with the chart trigger and
the chart state the status reports; ``NOT_MAPPED`` to the words deliberately left without a
row, each with its reason. The contract test fails when a word is in neither, or when a row
names an edge the chart lacks.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType

from paychart.adapter import StatusMove
from paychart.errors import InputError

PROVIDER = "template"
PAYMENT = "payment"
CREATE = "create"
"""The trigger of a merchant's create request: no edge, the object starts in the initial state."""


class Status(enum.StrEnum):
    """Every ``status`` a callback may carry (the provider's documentation, verbatim)."""

    PENDING = "pending"
    AUTHORIZED = "authorized"
    PAID = "paid"
    FAILED = "failed"
    REFUNDED = "refunded"
    NOTICE = "notice"


VOCABULARY: frozenset[str] = frozenset(Status)

MOVES: tuple[StatusMove, ...] = (
    StatusMove(PAYMENT, Status.PENDING, "pending", "pending"),
    StatusMove(PAYMENT, Status.AUTHORIZED, "authorized", "authorized"),
    StatusMove(PAYMENT, Status.PAID, "paid", "paid"),
    StatusMove(PAYMENT, Status.FAILED, "failed", "failed"),
    StatusMove(PAYMENT, Status.REFUNDED, "refunded", "refunded"),
)

NOT_MAPPED: Mapping[str, str] = MappingProxyType({
    Status.NOTICE: "informational (a message for the merchant's dashboard); moves nothing",
})

_BY_STATUS = {(move.object_kind, move.status): move for move in MOVES}


def move_for(object_kind: str, status: str, field: str = "status") -> StatusMove:
    """The row for ``status``; a word without one is an ``InputError`` naming the value,
    never a default."""
    move = _BY_STATUS.get((object_kind, status))
    if move is not None:
        return move
    why = NOT_MAPPED.get(status, "not a status this provider documents")
    raise InputError(field, f"{object_kind} status {status!r}: {why}", provider=PROVIDER,
                     object_kind=object_kind)
