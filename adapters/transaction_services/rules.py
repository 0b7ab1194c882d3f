"""Guards and effects the transaction-services REST charts need beyond the generic rules.

A refund or capture request (``markedforreversal``, ``capturestarted``) moves no money yet, so
the generic effects cannot refuse it; these guards bound the request by the ledger instead. A
chargeback reversal reports ``settled`` or ``reversed``; which state it returns to depends on
whether part of the payment was refunded before (docs/PROVIDERS.md §5, chargeback reversal).

An object first seen through a message that carries no payment amount (a capture request, a
cancel failure, a settlement) has an unknown ledger, shown as zeros. The first message with an
amount then tells the least that was held or captured; the ``ts_*`` effects seed the ledger
from it instead of refusing, so a reordered delivery never ends behind the ordered one.
"""

from __future__ import annotations

import attrs

from paychart import money_rules
from paychart.event import Event
from paychart.ledger import Ledger
from paychart.money_rules import format_amount, with_currency
from paychart.rulebook import GuardInput, RuleBook

_book = RuleBook()


def _hold_unknown(ledger: Ledger) -> bool:
    return ledger.authorized == 0 and ledger.captured == 0


def _capture_unknown(ledger: Ledger) -> bool:
    return ledger.captured == 0


def _amount(event: Event) -> int | None:
    return None if event.money is None else event.money.amount


@_book.guard("ts_refund_within")
def _refund_within(g: GuardInput) -> str | None:
    """A refund request may not ask for more than is still refundable (when known)."""
    money = g.event.money
    if money is None or _capture_unknown(g.ledger) or 0 < money.amount <= g.ledger.refundable:
        return None
    return (f"refund request {format_amount(money.amount, g.ledger)} exceeds refundable "
            f"{format_amount(g.ledger.refundable, g.ledger)}")


@_book.guard("ts_capture_within")
def _capture_within(g: GuardInput) -> str | None:
    """A capture request (partial allowed) may not ask for more than is still held."""
    money = g.event.money
    if money is None or _hold_unknown(g.ledger) or 0 < money.amount <= g.ledger.capturable:
        return None
    return (f"capture request {format_amount(money.amount, g.ledger)} exceeds capturable "
            f"{format_amount(g.ledger.capturable, g.ledger)}")


@_book.guard("ts_nothing_refunded")
def _nothing_refunded(g: GuardInput) -> str | None:
    """A chargeback reversal of a never-refunded payment returns it to ``settled``."""
    if g.ledger.refunded == 0:
        return None
    return f"refunded {format_amount(g.ledger.refunded, g.ledger)} before the chargeback"


@_book.guard("ts_partly_refunded")
def _partly_refunded(g: GuardInput) -> str | None:
    """A chargeback reversal of a partly refunded payment returns it to partial refund."""
    if 0 < g.ledger.refunded < g.ledger.captured:
        return None
    return (f"refunded {format_amount(g.ledger.refunded, g.ledger)} is not a part of captured "
            f"{format_amount(g.ledger.captured, g.ledger)}")


@_book.guard("ts_refunds_all")
def _refunds_all(g: GuardInput) -> str | None:
    """The refund takes all that is left; an amountless refund report is taken as full."""
    amount = _amount(g.event)
    if amount is None or (amount == g.ledger.refundable and not _capture_unknown(g.ledger)):
        return None
    return (f"refund {format_amount(amount, g.ledger)} is not the full refundable "
            f"{format_amount(g.ledger.refundable, g.ledger)}")


@_book.guard("ts_refunds_part")
def _refunds_part(g: GuardInput) -> str | None:
    """The refund leaves some refundable; with the capture unknown it is taken as partial."""
    amount = _amount(g.event)
    if amount is not None and amount > 0 and (_capture_unknown(g.ledger)
                                              or amount < g.ledger.refundable):
        return None
    shown = "of unknown amount" if amount is None else format_amount(amount, g.ledger)
    refundable = format_amount(g.ledger.refundable, g.ledger)
    return f"refund {shown} is not a part of refundable {refundable}"


# -- effects ------------------------------------------------------------------------------

@_book.effect("ts_hold_seen")
def _hold_seen(ledger: Ledger, event: Event) -> Ledger:
    """The payment is held (a cancel or capture request, a failed cancel): with the hold
    unknown, the message's amount is the least that was authorized."""
    ledger = with_currency(ledger, event)
    amount = _amount(event)
    if amount is not None and _hold_unknown(ledger):
        return attrs.evolve(ledger, authorized=amount)
    return ledger


@_book.effect("ts_captured_seen")
def _captured_seen(ledger: Ledger, event: Event) -> Ledger:
    """The payment is captured (settlement, a refund request or failure): with the capture
    unknown, the message's amount is the least that was captured."""
    ledger = with_currency(ledger, event)
    amount = _amount(event)
    if amount is not None and _capture_unknown(ledger):
        return attrs.evolve(ledger, authorized=max(ledger.authorized, amount), captured=amount)
    return ledger


@_book.effect("ts_capture")
def _capture(ledger: Ledger, event: Event) -> Ledger:
    """The generic capture, after seeding an unknown hold with the captured amount; an
    amountless capture of an unknown hold has nothing to count."""
    if event.money is None and _hold_unknown(ledger):
        return with_currency(ledger, event)
    return money_rules.capture(_hold_seen(ledger, event), event)


@_book.effect("ts_refund")
def _refund(ledger: Ledger, event: Event) -> Ledger:
    """The generic refund, after seeding an unknown capture with the refunded amount; an
    amountless refund report refunds whatever is left (nothing, when the capture is unknown)."""
    if event.money is None:
        return money_rules.refund_remaining(ledger, event)
    return money_rules.refund(_captured_seen(ledger, event), event)


@_book.effect("ts_chargeback")
def _chargeback(ledger: Ledger, event: Event) -> Ledger:
    """The generic chargeback, after seeding an unknown capture with the disputed amount;
    an amountless chargeback of an unknown capture has nothing to count."""
    if event.money is None and _capture_unknown(ledger):
        return with_currency(ledger, event)
    return money_rules.chargeback(_captured_seen(ledger, event), event)


RULES = _book.rules()
"""This provider's guards and effects, handed to the chart set by its adapter."""
