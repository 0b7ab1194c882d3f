"""The generic money rules every provider's charts may name: capture ≤ authorized, refund ≤
refundable, chargeback ≤ disputable, written once.

Provider-specific rules (a platform "one capture only" check, an invoice moderation flag) live
in the provider's package (``adapters/<provider>/rules.py``) and use the helpers here.
"""

from __future__ import annotations

from collections.abc import Callable

from .event import Event
from .ledger import Ledger, LedgerRefusal
from .money import Money
from .rulebook import Effect, GuardInput, RuleBook

_book = RuleBook()


def event_amount(event: Event) -> int | None:
    """The event's amount in minor units (currency agreement is checked upstream)."""
    return None if event.money is None else event.money.amount


def with_currency(ledger: Ledger, event: Event) -> Ledger:
    """The ledger with the event's currency when it had none yet (its first money)."""
    if ledger.currency is None and event.money is not None:
        return moved(ledger, currency=event.money.currency)
    return ledger


def moved(ledger: Ledger, *, currency: str | None = None, authorized: int | None = None,
          captured: int | None = None, refunded: int | None = None,
          charged_back: int | None = None) -> Ledger:
    """``attrs.evolve`` without its introspection: effects run on every applied event. Equal
    figures share one int (a full capture, a full refund): every live object keeps a ledger,
    and an int beyond the small cached ones is 32 bytes."""
    authorized = ledger.authorized if authorized is None else authorized
    captured = ledger.captured if captured is None else captured
    if captured == authorized:
        captured = authorized
    refunded = ledger.refunded if refunded is None else refunded
    if refunded == captured:
        refunded = captured
    return Ledger(ledger.currency if currency is None else currency, authorized, captured,
                  refunded, ledger.charged_back if charged_back is None else charged_back)


def format_amount(amount: int, ledger: Ledger) -> str:
    """Minor units shown as money when the currency is known ("3.00 USD")."""
    return str(Money(amount, ledger.currency)) if ledger.currency else str(amount)


# -- guards -------------------------------------------------------------------------------

def _whole(what: str, room_name: str, limit: Callable[[Ledger], int], *,
           at_least: bool = False) -> Callable[[GuardInput], str | None]:
    """Guard: the event's amount (when it has one) is all of ``limit``."""
    def check(g: GuardInput) -> str | None:
        amount = event_amount(g.event)
        room = limit(g.ledger)
        if amount is None or amount == room or (at_least and amount >= room):
            return None
        relation = "is less than" if at_least else "is not the full"
        return (f"{what} {format_amount(amount, g.ledger)} {relation} {room_name} "
                f"{format_amount(room, g.ledger)}")
    return check


def _part(what: str, room_name: str, limit: Callable[[Ledger], int]
          ) -> Callable[[GuardInput], str | None]:
    """Guard: the event's amount is a proper part of ``limit`` (a partial refund…)."""
    def check(g: GuardInput) -> str | None:
        amount = event_amount(g.event)
        room = limit(g.ledger)
        if amount is not None and 0 < amount < room:
            return None
        shown = "of unknown amount" if amount is None else format_amount(amount, g.ledger)
        return f"{what} {shown} is not a part of {room_name} {format_amount(room, g.ledger)}"
    return check


_book.guard("refunds_all")(_whole("refund", "refundable", lambda ledger: ledger.refundable))
_book.guard("refunds_part")(_part("refund", "refundable", lambda ledger: ledger.refundable))
_book.guard("captures_all")(_whole("capture", "capturable", lambda ledger: ledger.capturable))
_book.guard("captures_part")(_part("capture", "capturable", lambda ledger: ledger.capturable))
_book.guard("charges_back_all")(_whole("chargeback", "disputable",
                                       lambda ledger: ledger.disputable, at_least=True))
_book.guard("charges_back_part")(_part("chargeback", "disputable",
                                       lambda ledger: ledger.disputable))


@_book.guard("fully_refunded")
def _fully_refunded(g: GuardInput) -> str | None:
    if g.ledger.captured > 0 and g.ledger.refunded >= g.ledger.captured:
        return None
    return (f"refunded {format_amount(g.ledger.refunded, g.ledger)} is not the captured "
            f"{format_amount(g.ledger.captured, g.ledger)}")


@_book.guard("charged_back")
def _charged_back(g: GuardInput) -> str | None:
    return None if g.ledger.charged_back > 0 else "nothing is charged back"


@_book.guard("two_stage")
def _two_stage(g: GuardInput) -> str | None:
    return None if g.event.fact("two_stage") == "true" else "payment is not in two-stage mode"


@_book.guard("single_stage")
def _single_stage(g: GuardInput) -> str | None:
    return "payment is in two-stage mode" if g.event.fact("two_stage") == "true" else None


# -- effects ------------------------------------------------------------------------------

@_book.effect("authorize")
def _authorize(ledger: Ledger, event: Event) -> Ledger:
    """The provider holds the amount; nothing is captured yet."""
    amount = event_amount(event)
    ledger = with_currency(ledger, event)
    if amount is None:
        return ledger
    if amount < ledger.captured:
        raise LedgerRefusal(f"authorization {format_amount(amount, ledger)} is below captured "
                            f"{format_amount(ledger.captured, ledger)}")
    return moved(ledger, authorized=amount)


@_book.effect("sale")
def _sale(ledger: Ledger, event: Event) -> Ledger:
    """Authorized and captured in one step (the usual one-stage payment)."""
    amount = event_amount(event)
    ledger = with_currency(ledger, event)
    if amount is None:
        amount = ledger.authorized
    if amount < ledger.refunded + ledger.charged_back:
        raise LedgerRefusal(f"sale {format_amount(amount, ledger)} is below refunded "
                            f"{format_amount(ledger.refunded, ledger)}")
    return moved(ledger, authorized=amount, captured=amount)


def _adds_within(what: str, room_name: str, limit: Callable[[Ledger], int],
                 figure: str) -> Effect:
    """Effect: the event's amount (all of ``limit`` when it has none) is added to ``figure``,
    refused when it is not positive or exceeds ``limit``. Capture, refund and chargeback are
    this one shape."""
    def apply(ledger: Ledger, event: Event) -> Ledger:
        amount = event_amount(event)
        ledger = with_currency(ledger, event)
        room = limit(ledger)
        if amount is None:
            amount = room
        if amount <= 0 or amount > room:
            raise LedgerRefusal(f"{what} {format_amount(amount, ledger)} exceeds {room_name} "
                                f"{format_amount(room, ledger)}")
        return moved(ledger, **{figure: getattr(ledger, figure) + amount})
    return apply


capture = _book.effect("capture")(
    _adds_within("capture", "capturable", lambda ledger: ledger.capturable, "captured"))
refund = _book.effect("refund")(
    _adds_within("refund", "refundable", lambda ledger: ledger.refundable, "refunded"))
chargeback = _book.effect("chargeback")(
    _adds_within("chargeback", "disputable", lambda ledger: ledger.disputable, "charged_back"))


@_book.effect("release")
def _release(ledger: Ledger, event: Event) -> Ledger:
    """The uncaptured part of the hold is given back (void, cancel, reversal of a hold)."""
    return moved(with_currency(ledger, event), authorized=ledger.captured)


@_book.effect("refund_remaining")
def refund_remaining(ledger: Ledger, event: Event) -> Ledger:
    """Whatever is still refundable is refunded (a full refund reported without amount)."""
    return moved(with_currency(ledger, event), refunded=ledger.captured)


@_book.effect("reverse_chargeback")
def _reverse_chargeback(ledger: Ledger, event: Event) -> Ledger:
    return moved(with_currency(ledger, event), charged_back=0)


SETTLING_EFFECTS = frozenset({"release", "refund_remaining", "reverse_chargeback"})
"""Effects that take no amount and set one figure from the others (the hold given back, all
that is left refunded, the chargeback undone). Applying one again after a late step filled in
before it gives the ledger the object would have had if the late step had come in its place."""

SETTLED_FIGURES = {"refund_remaining": "refunded", "reverse_chargeback": "charged_back"}
"""Settling effects that set a figure whatever it held (refunded to captured, charged back
to zero): a late effect on that figure from before them is absorbed (``history.absorbed``)."""

OVERWRITING_EFFECTS: dict[str, tuple[str, ...]] = {
    "authorize": ("authorized",), "sale": ("authorized", "captured")}
"""Effects that set figures to their own amount: whatever a late step filled in before one of
them put into those figures, the later effect had already overwritten."""

MONEY_RULES = _book.rules()
"""The generic rules, compiled into every chart set."""
