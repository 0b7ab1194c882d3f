"""Guards the transaction-services REST charts need beyond the generic money rules.

A refund or capture request (``markedforreversal``, ``capturestarted``) moves no money yet, so
the generic effects cannot refuse it; these guards bound the request by the ledger instead. A
chargeback reversal reports ``settled`` or ``reversed``; which state it returns to depends on
whether part of the payment was refunded before (PROVIDERS.md section 5).
"""

from __future__ import annotations

import attrs

from paychart.event import Event
from paychart.ledger import Ledger
from paychart.registry import GuardInput, effect, guard


def _fmt(amount: int, ledger: Ledger) -> str:
    return f"{amount} {ledger.currency or ''}".rstrip()


@guard("ts_refund_within")
def _refund_within(g: GuardInput) -> str | None:
    """A refund request may not ask for more than is still refundable."""
    money = g.event.money
    if money is None or 0 < money.amount <= g.ledger.refundable:
        return None
    return (f"refund request {_fmt(money.amount, g.ledger)} exceeds refundable "
            f"{_fmt(g.ledger.refundable, g.ledger)}")


@guard("ts_capture_within")
def _capture_within(g: GuardInput) -> str | None:
    """A capture request (partial allowed) may not ask for more than is still held."""
    money = g.event.money
    if money is None or 0 < money.amount <= g.ledger.capturable:
        return None
    return (f"capture request {_fmt(money.amount, g.ledger)} exceeds capturable "
            f"{_fmt(g.ledger.capturable, g.ledger)}")


@guard("ts_nothing_refunded")
def _nothing_refunded(g: GuardInput) -> str | None:
    """A chargeback reversal of a never-refunded payment returns it to ``settled``."""
    if g.ledger.refunded == 0:
        return None
    return f"refunded {_fmt(g.ledger.refunded, g.ledger)} before the chargeback"


@guard("ts_partly_refunded")
def _partly_refunded(g: GuardInput) -> str | None:
    """A chargeback reversal of a partly refunded payment returns it to partial refund."""
    if 0 < g.ledger.refunded < g.ledger.captured:
        return None
    return (f"refunded {_fmt(g.ledger.refunded, g.ledger)} is not a part of captured "
            f"{_fmt(g.ledger.captured, g.ledger)}")


@effect("ts_requested")
def _requested(ledger: Ledger, event: Event) -> Ledger:
    """A capture or refund request moves no money yet; its amount is the operation's, not
    the payment's, so it must not be compared with the authorized amount."""
    if ledger.currency is None and event.money is not None:
        return attrs.evolve(ledger, currency=event.money.currency)
    return ledger
