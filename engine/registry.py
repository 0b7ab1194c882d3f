"""Guards and effects that chart specs name; the specs hold names, never code.

A guard answers ``None`` when the edge may be taken, otherwise the reason with the figures
("refund 500 exceeds refundable 300 USD"). An effect returns the ledger after the edge and
raises ``LedgerRefusal`` (which the orchestrator reports as ``rejected``) when the edge would
break a ledger invariant, so a chart cannot corrupt money even if it forgets a guard.
"""

from __future__ import annotations

from collections.abc import Callable

import attrs

from .event import Event
from .ledger import Ledger, LedgerRefusal
from .money import Money


@attrs.frozen(slots=True)
class GuardInput:
    """What a guard may look at: the ledger before the edge, the event and kept facts."""

    ledger: Ledger
    event: Event
    remembered: tuple[tuple[str, str], ...] = ()


Guard = Callable[[GuardInput], str | None]
Effect = Callable[[Ledger, Event], Ledger]

GUARDS: dict[str, Guard] = {}
EFFECTS: dict[str, Effect] = {}


def guard(name: str) -> Callable[[Guard], Guard]:
    """Register a guard under the name specs use."""
    def register(func: Guard) -> Guard:
        if name in GUARDS:
            raise ValueError(f"guard {name!r} registered twice")
        GUARDS[name] = func
        return func
    return register


def effect(name: str) -> Callable[[Effect], Effect]:
    """Register a ledger effect under the name specs use."""
    def register(func: Effect) -> Effect:
        if name in EFFECTS:
            raise ValueError(f"effect {name!r} registered twice")
        EFFECTS[name] = func
        return func
    return register


def _amount(ledger: Ledger, event: Event) -> int | None:
    """The event's amount in the ledger's currency (currency agreement is checked upstream)."""
    return None if event.money is None else event.money.amount


def with_currency(ledger: Ledger, event: Event) -> Ledger:
    """The ledger with the event's currency when it had none yet (its first money)."""
    if ledger.currency is None and event.money is not None:
        return _moved(ledger, currency=event.money.currency)
    return ledger


def _moved(ledger: Ledger, *, currency: str | None = None, authorized: int | None = None,
           captured: int | None = None, refunded: int | None = None,
           charged_back: int | None = None) -> Ledger:
    """``attrs.evolve`` without its introspection: effects run on every applied event."""
    return Ledger(ledger.currency if currency is None else currency,
                  ledger.authorized if authorized is None else authorized,
                  ledger.captured if captured is None else captured,
                  ledger.refunded if refunded is None else refunded,
                  ledger.charged_back if charged_back is None else charged_back)


def format_amount(amount: int, ledger: Ledger) -> str:
    """Minor units shown as money when the currency is known ("3.00 USD"): for guard and
    refusal messages, here and in ``paychart.rules``."""
    return str(Money(amount, ledger.currency)) if ledger.currency else str(amount)


# -- guards -------------------------------------------------------------------------------

@guard("refunds_all")
def _refunds_all(g: GuardInput) -> str | None:
    amount = _amount(g.ledger, g.event)
    if amount is None or amount == g.ledger.refundable:
        return None
    return (f"refund {format_amount(amount, g.ledger)} is not the full refundable "
            f"{format_amount(g.ledger.refundable, g.ledger)}")


@guard("refunds_part")
def _refunds_part(g: GuardInput) -> str | None:
    amount = _amount(g.ledger, g.event)
    if amount is not None and 0 < amount < g.ledger.refundable:
        return None
    return (f"refund {'of unknown amount' if amount is None else format_amount(amount, g.ledger)} "
            f"is not a part of refundable {format_amount(g.ledger.refundable, g.ledger)}")


@guard("fully_refunded")
def _fully_refunded(g: GuardInput) -> str | None:
    if g.ledger.captured > 0 and g.ledger.refunded >= g.ledger.captured:
        return None
    return (f"refunded {format_amount(g.ledger.refunded, g.ledger)} is not the captured "
            f"{format_amount(g.ledger.captured, g.ledger)}")


@guard("captures_all")
def _captures_all(g: GuardInput) -> str | None:
    amount = _amount(g.ledger, g.event)
    if amount is None or amount == g.ledger.capturable:
        return None
    return (f"capture {format_amount(amount, g.ledger)} is not the full capturable "
            f"{format_amount(g.ledger.capturable, g.ledger)}")


@guard("captures_part")
def _captures_part(g: GuardInput) -> str | None:
    amount = _amount(g.ledger, g.event)
    if amount is not None and 0 < amount < g.ledger.capturable:
        return None
    return f"capture is not a part of capturable {format_amount(g.ledger.capturable, g.ledger)}"


@guard("charges_back_all")
def _charges_back_all(g: GuardInput) -> str | None:
    amount = _amount(g.ledger, g.event)
    if amount is None or amount >= g.ledger.disputable:
        return None
    return (f"chargeback {format_amount(amount, g.ledger)} is less than disputable "
            f"{format_amount(g.ledger.disputable, g.ledger)}")


@guard("charges_back_part")
def _charges_back_part(g: GuardInput) -> str | None:
    amount = _amount(g.ledger, g.event)
    if amount is not None and 0 < amount < g.ledger.disputable:
        return None
    return f"chargeback is not a part of disputable {format_amount(g.ledger.disputable, g.ledger)}"


@guard("charged_back")
def _charged_back(g: GuardInput) -> str | None:
    return None if g.ledger.charged_back > 0 else "nothing is charged back"


@guard("two_stage")
def _two_stage(g: GuardInput) -> str | None:
    return None if g.event.fact("two_stage") == "true" else "payment is not in two-stage mode"


@guard("single_stage")
def _single_stage(g: GuardInput) -> str | None:
    return "payment is in two-stage mode" if g.event.fact("two_stage") == "true" else None


# -- effects ------------------------------------------------------------------------------

@effect("authorize")
def _authorize(ledger: Ledger, event: Event) -> Ledger:
    """The provider holds the amount; nothing is captured yet."""
    amount = _amount(ledger, event)
    ledger = with_currency(ledger, event)
    if amount is None:
        return ledger
    if amount < ledger.captured:
        raise LedgerRefusal(f"authorization {format_amount(amount, ledger)} is below captured "
                            f"{format_amount(ledger.captured, ledger)}")
    return _moved(ledger, authorized=amount)


@effect("sale")
def _sale(ledger: Ledger, event: Event) -> Ledger:
    """Authorized and captured in one step (the usual one-stage payment)."""
    amount = _amount(ledger, event)
    ledger = with_currency(ledger, event)
    if amount is None:
        amount = ledger.authorized
    if amount < ledger.refunded + ledger.charged_back:
        raise LedgerRefusal(f"sale {format_amount(amount, ledger)} is below refunded "
                            f"{format_amount(ledger.refunded, ledger)}")
    return _moved(ledger, authorized=amount, captured=amount)


@effect("capture")
def _capture(ledger: Ledger, event: Event) -> Ledger:
    amount = _amount(ledger, event)
    ledger = with_currency(ledger, event)
    if amount is None:
        amount = ledger.capturable
    if amount <= 0 or amount > ledger.capturable:
        raise LedgerRefusal(f"capture {format_amount(amount, ledger)} exceeds capturable "
                            f"{format_amount(ledger.capturable, ledger)}")
    return _moved(ledger, captured=ledger.captured + amount)


@effect("release")
def _release(ledger: Ledger, event: Event) -> Ledger:
    """The uncaptured part of the hold is given back (void, cancel, reversal of a hold)."""
    return _moved(with_currency(ledger, event), authorized=ledger.captured)


@effect("refund")
def _refund(ledger: Ledger, event: Event) -> Ledger:
    amount = _amount(ledger, event)
    ledger = with_currency(ledger, event)
    if amount is None:
        amount = ledger.refundable
    if amount <= 0 or amount > ledger.refundable:
        raise LedgerRefusal(f"refund {format_amount(amount, ledger)} exceeds refundable "
                            f"{format_amount(ledger.refundable, ledger)}")
    return _moved(ledger, refunded=ledger.refunded + amount)


@effect("refund_remaining")
def _refund_remaining(ledger: Ledger, event: Event) -> Ledger:
    """Whatever is still refundable is refunded (a full refund reported without amount)."""
    return _moved(with_currency(ledger, event), refunded=ledger.captured)


@effect("chargeback")
def _chargeback(ledger: Ledger, event: Event) -> Ledger:
    amount = _amount(ledger, event)
    ledger = with_currency(ledger, event)
    if amount is None:
        amount = ledger.disputable
    if amount <= 0 or amount > ledger.disputable:
        raise LedgerRefusal(f"chargeback {format_amount(amount, ledger)} exceeds disputable "
                            f"{format_amount(ledger.disputable, ledger)}")
    return _moved(ledger, charged_back=ledger.charged_back + amount)


@effect("reverse_chargeback")
def _reverse_chargeback(ledger: Ledger, event: Event) -> Ledger:
    return _moved(with_currency(ledger, event), charged_back=0)
