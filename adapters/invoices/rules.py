"""Guards and effects the payment-invoice chart needs beyond the generic money rules.

An invoice resource (docs/PROVIDERS.md §4) carries its money as cumulative figures:
``amount``, ``processed_amount``, ``refunded_amount``, ``charged_back_amount``. The adapter
passes them as facts in minor units (``amount_minor``…), so these rules judge and book the
figures the provider reports instead of guessing increments: a batched or first-seen callback
then still leaves the right ledger. ``resolution`` and ``moderation_required`` are part of
the decision: a success reported with a non-``ok`` resolution, or a refund of an invoice that
is still under moderation, is refused with the reason.
"""

from __future__ import annotations

import attrs

from paychart.event import Event
from paychart.ledger import Ledger, LedgerRefusal
from paychart.money_rules import format_amount, with_currency
from paychart.rulebook import GuardInput, RuleBook

from .vocab import (
    AMOUNT_MINOR,
    CHARGED_BACK_MINOR,
    MODERATION,
    PROCESSED_MINOR,
    REFUNDED_MINOR,
    RESOLUTION,
)

_book = RuleBook()


def _minor(event: Event, name: str) -> int | None:
    """A figure fact as an integer; a malformed one counts as absent (the adapter writes them)."""
    value = event.fact(name)
    if value is None or not value.lstrip("-").isdigit():
        return None
    return int(value)


def _remembered(g: GuardInput, name: str) -> str | None:
    return next((value for key, value in g.remembered if key == name), None)


# -- guard parts --------------------------------------------------------------------------

def _resolution_ok(g: GuardInput) -> str | None:
    """A success with a failure reason is contradictory: report it rather than book money."""
    resolution = g.event.fact(RESOLUTION)
    if resolution is None or resolution == "ok":
        return None
    return f"resolution `{resolution}` contradicts a successful status"


def _released(g: GuardInput) -> str | None:
    """A refund needs the invoice out of manual moderation (the message says, or kept fact)."""
    flag = g.event.fact(MODERATION) or _remembered(g, MODERATION)
    return "invoice is under moderation; it cannot be refunded until released" \
        if flag == "true" else None


def _first(*checks: str | None) -> str | None:
    return next((check for check in checks if check is not None), None)


def _captured(g: GuardInput) -> int:
    """Captured so far, or what the message reports processed when the ledger has nothing."""
    if g.ledger.captured:
        return g.ledger.captured
    return _minor(g.event, PROCESSED_MINOR) or 0


# -- guards -------------------------------------------------------------------------------

@_book.guard("invoice_processed_in_full")
def _processed_in_full(g: GuardInput) -> str | None:
    """``processed`` means the whole invoice amount was processed."""
    amount, processed = _minor(g.event, AMOUNT_MINOR), _minor(g.event, PROCESSED_MINOR)
    mismatch = None
    if amount is not None and processed is not None and processed != amount:
        mismatch = (f"processed {format_amount(processed, g.ledger)} is not the invoice amount "
                    f"{format_amount(amount, g.ledger)}")
    return _first(_resolution_ok(g), mismatch)


@_book.guard("invoice_processed_in_part")
def _processed_in_part(g: GuardInput) -> str | None:
    """``partially_processed`` means a processed amount below the invoice amount."""
    amount, processed = _minor(g.event, AMOUNT_MINOR), _minor(g.event, PROCESSED_MINOR)
    mismatch = None
    if amount is None or processed is None:
        mismatch = "partial processing without the processed and invoice amounts"
    elif not 0 < processed < amount:
        mismatch = (f"processed {format_amount(processed, g.ledger)} is not a part of the invoice "
                    f"amount {format_amount(amount, g.ledger)}")
    return _first(_resolution_ok(g), mismatch)


@_book.guard("invoice_released")
def _refund_released(g: GuardInput) -> str | None:
    """A refund may start only on an invoice that is not held for manual moderation."""
    return _released(g)


@_book.guard("invoice_refunded_in_full")
def _refunded_in_full(g: GuardInput) -> str | None:
    refunded, captured = _minor(g.event, REFUNDED_MINOR), _captured(g)
    mismatch = None
    if refunded is not None and refunded != captured:
        mismatch = (f"refunded {format_amount(refunded, g.ledger)} is not the processed "
                    f"{format_amount(captured, g.ledger)}")
    return _first(_released(g), _resolution_ok(g), mismatch)


@_book.guard("invoice_refunded_in_part")
def _refunded_in_part(g: GuardInput) -> str | None:
    refunded, captured = _minor(g.event, REFUNDED_MINOR), _captured(g)
    mismatch = None
    if refunded is None:
        mismatch = "partial refund without `refunded_amount`"
    elif not g.ledger.refunded < refunded < captured:
        mismatch = (f"refunded {format_amount(refunded, g.ledger)} is not more than the refunded "
                    f"{format_amount(g.ledger.refunded, g.ledger)} and less than the processed "
                    f"{format_amount(captured, g.ledger)}")
    return _first(_released(g), _resolution_ok(g), mismatch)


@_book.guard("invoice_charged_back_in_full")
def _charged_back_in_full(g: GuardInput) -> str | None:
    charged, captured = _minor(g.event, CHARGED_BACK_MINOR), _captured(g)
    if charged is None or charged == captured:
        return None
    return (f"charged back {format_amount(charged, g.ledger)} is not the processed "
            f"{format_amount(captured, g.ledger)}")


@_book.guard("invoice_charged_back_in_part")
def _charged_back_in_part(g: GuardInput) -> str | None:
    charged, captured = _minor(g.event, CHARGED_BACK_MINOR), _captured(g)
    if charged is not None and 0 < charged < captured:
        return None
    shown = "unknown amount" if charged is None else format_amount(charged, g.ledger)
    processed = format_amount(captured, g.ledger)
    return f"charged back {shown} is not a part of the processed {processed}"


# -- effects ------------------------------------------------------------------------------

def _opened(ledger: Ledger, event: Event) -> Ledger:
    """The ledger with the processed figure booked, when the message reports one and the
    ledger has none yet (an invoice first seen refunded or charged back)."""
    ledger = with_currency(ledger, event)
    processed = _minor(event, PROCESSED_MINOR)
    if ledger.captured or processed is None:
        return ledger
    if processed <= 0:
        raise LedgerRefusal(f"processed amount {format_amount(processed, ledger)} is not positive")
    return attrs.evolve(ledger, authorized=processed, captured=processed)


@_book.effect("invoice_settled")
def _settled(ledger: Ledger, event: Event) -> Ledger:
    """A batched message that skipped ``processed``: book the processed figure it reports."""
    return _opened(ledger, event)


@_book.effect("invoice_processed")
def _processed(ledger: Ledger, event: Event) -> Ledger:
    """Book the processed amount (the invoice amount when the figure is absent) as captured."""
    ledger = with_currency(ledger, event)
    processed = _minor(event, PROCESSED_MINOR)
    if processed is None:
        processed = event.money.amount if event.money is not None else None
    if processed is None or processed <= 0:
        raise LedgerRefusal("processed amount is unknown or not positive")
    if processed < ledger.refunded + ledger.charged_back:
        raise LedgerRefusal(f"processed {format_amount(processed, ledger)} is below refunded "
                            f"{format_amount(ledger.refunded, ledger)}")
    return attrs.evolve(ledger, authorized=max(processed, ledger.authorized),
                        captured=processed)


def _refund_to(ledger: Ledger, refunded: int) -> Ledger:
    if refunded < ledger.refunded or refunded > ledger.captured or refunded <= 0:
        raise LedgerRefusal(f"refunded {format_amount(refunded, ledger)} is not between the "
                            f"refunded {format_amount(ledger.refunded, ledger)} and the processed "
                            f"{format_amount(ledger.captured, ledger)}")
    return attrs.evolve(ledger, refunded=refunded)


@_book.effect("invoice_refund_in_full")
def _refund_in_full(ledger: Ledger, event: Event) -> Ledger:
    """Refunded becomes the reported cumulative figure, or everything when it is absent."""
    ledger = _opened(ledger, event)
    refunded = _minor(event, REFUNDED_MINOR)
    if refunded is None and not ledger.captured:
        return ledger  # no figure reported and nothing booked: nothing to refund
    return _refund_to(ledger, ledger.captured if refunded is None else refunded)


@_book.effect("invoice_refund_in_part")
def _refund_in_part(ledger: Ledger, event: Event) -> Ledger:
    """Refunded becomes the reported cumulative figure; without it nothing can be booked."""
    ledger = _opened(ledger, event)
    refunded = _minor(event, REFUNDED_MINOR)
    if refunded is None:
        raise LedgerRefusal("partial refund without `refunded_amount`")
    return _refund_to(ledger, refunded)


def _charge_back_to(ledger: Ledger, charged: int) -> Ledger:
    if charged <= ledger.charged_back or charged > ledger.captured:
        raise LedgerRefusal(f"charged back {format_amount(charged, ledger)} is not between "
                            f"the charged back {format_amount(ledger.charged_back, ledger)} and "
                            f"the processed "
                            f"{format_amount(ledger.captured, ledger)}")
    return attrs.evolve(ledger, charged_back=charged)


@_book.effect("invoice_charge_back_in_full")
def _charge_back_in_full(ledger: Ledger, event: Event) -> Ledger:
    ledger = _opened(ledger, event)
    charged = _minor(event, CHARGED_BACK_MINOR)
    if charged is None and not ledger.captured:
        return ledger  # no figure reported and nothing booked: nothing to charge back
    return _charge_back_to(ledger, ledger.captured if charged is None else charged)


@_book.effect("invoice_charge_back_in_part")
def _charge_back_in_part(ledger: Ledger, event: Event) -> Ledger:
    ledger = _opened(ledger, event)
    charged = _minor(event, CHARGED_BACK_MINOR)
    if charged is None:
        raise LedgerRefusal("partial chargeback without `charged_back_amount`")
    return _charge_back_to(ledger, charged)


RULES = _book.rules()
"""This provider's guards and effects, handed to the chart set by its adapter."""
