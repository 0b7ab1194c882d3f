"""Rules only the platform's POST protocol needs (docs/PROVIDERS.md §2).

One capture per hold, a hold reversed only whole, a void that unsettles a same-day sale, and
dispute steps that restate the disputed amount.
"""

from __future__ import annotations

import attrs

from paychart.event import Event
from paychart.ledger import Ledger, LedgerRefusal
from paychart.money_rules import format_amount, with_currency
from paychart.rulebook import GuardInput, RuleBook

_book = RuleBook()


@_book.guard("platform_not_captured")
def _not_captured(g: GuardInput) -> str | None:
    """CAPTURE is allowed once: a second one would settle money twice."""
    if g.ledger.captured == 0:
        return None
    return f"already captured {format_amount(g.ledger.captured, g.ledger)}; one capture only"


@_book.guard("platform_reverses_all")
def _reverses_all(g: GuardInput) -> str | None:
    """A CREDITVOID of a hold reverses the full amount only (docs/PROVIDERS.md §2)."""
    money = g.event.money
    if money is None or money.amount == g.ledger.capturable or g.ledger.authorized == 0:
        return None
    return (f"reversal {money} is not the full hold "
            f"{format_amount(g.ledger.capturable, g.ledger)}")


@_book.effect("platform_capture")
def _capture(ledger: Ledger, event: Event) -> Ledger:
    """Settles the captured amount, at most the hold. A hold of unknown amount (the object was
    first seen held, or its authorization message is late) is taken to be the capture's."""
    if ledger.currency is None and event.money is not None:
        ledger = attrs.evolve(ledger, currency=event.money.currency)
    if ledger.authorized == 0 and ledger.captured == 0:
        amount = 0 if event.money is None else event.money.amount
        return attrs.evolve(ledger, authorized=amount, captured=amount)
    amount = ledger.capturable if event.money is None else event.money.amount
    if not 0 < amount <= ledger.capturable:
        raise LedgerRefusal(f"capture {format_amount(amount, ledger)} exceeds the hold "
                            f"{format_amount(ledger.capturable, ledger)}")
    return attrs.evolve(ledger, captured=ledger.captured + amount)


@_book.effect("platform_void")
def _void(ledger: Ledger, event: Event) -> Ledger:
    """A voided sale is never settled: nothing captured, the authorized amount kept as record."""
    if ledger.refunded or ledger.charged_back:
        raise LedgerRefusal(f"cannot void a sale with refunded "
                            f"{format_amount(ledger.refunded, ledger)} or charged back "
                            f"{format_amount(ledger.charged_back, ledger)}")
    return attrs.evolve(with_currency(ledger, event), captured=0)


@_book.effect("platform_refund_rest")
def _refund_rest(ledger: Ledger, event: Event) -> Ledger:
    """Status REFUND: everything settled is now refunded. A smaller amount than the ledger's
    refundable means partial refunds not seen yet; a larger one is money that was never there.
    When the settled amount is not known yet (its message is late), there is nothing to check."""
    if ledger.currency is None and event.money is not None:
        ledger = attrs.evolve(ledger, currency=event.money.currency)
    if ledger.captured == 0:
        return ledger
    if event.money is not None and not 0 < event.money.amount <= ledger.refundable:
        raise LedgerRefusal(f"refund {event.money} exceeds refundable "
                            f"{format_amount(ledger.refundable, ledger)}")
    return attrs.evolve(ledger, refunded=ledger.captured)


@_book.effect("platform_dispute_amount")
def _dispute_amount(ledger: Ledger, event: Event) -> Ledger:
    """A later dispute step restates the disputed amount; without one it is unchanged."""
    if event.money is None:
        return ledger
    amount = event.money.amount
    if amount <= 0 or amount > ledger.captured:
        raise LedgerRefusal(f"disputed {event.money} exceeds settled "
                            f"{format_amount(ledger.captured, ledger)}")
    return attrs.evolve(ledger, charged_back=amount)


RULES = _book.rules()
"""This provider's guards and effects, handed to the chart set by its adapter."""
