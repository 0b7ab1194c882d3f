"""The payment-invoice guards and effects (adapters/invoices/rules.py) on their own figures."""

from __future__ import annotations

import pytest

from paychart import Channel, Event, Ledger, Money
from paychart.adapters.invoices.rules import RULES
from paychart.ledger import LedgerRefusal
from paychart.rulebook import GuardInput

GUARDS, EFFECTS = RULES.guards, RULES.effects

PAID = Ledger("USD", authorized=10000, captured=10000)


def event(money: int | None = 10000, /, **facts: str) -> Event:
    return Event("invoices", "payment_invoice", "cpi_1", "t", Channel.CALLBACK, "k",
                 money=None if money is None else Money(money, "USD"),
                 facts=tuple(facts.items()))


def check(name: str, ledger: Ledger, evt: Event,
          remembered: tuple[tuple[str, str], ...] = ()) -> str | None:
    return GUARDS[name](GuardInput(ledger, evt, remembered))


@pytest.mark.parametrize(("name", "facts", "passes"), [
    ("invoice_processed_in_full", {"amount_minor": "100", "processed_amount_minor": "100"}, True),
    ("invoice_processed_in_full", {"amount_minor": "100", "processed_amount_minor": "60"}, False),
    ("invoice_processed_in_full", {"resolution": "issuer_decline"}, False),
    ("invoice_processed_in_full", {}, True),
    ("invoice_processed_in_part", {"amount_minor": "100", "processed_amount_minor": "60"}, True),
    ("invoice_processed_in_part", {"amount_minor": "100", "processed_amount_minor": "100"},
     False),
    ("invoice_processed_in_part", {"amount_minor": "100"}, False),
    ("invoice_refunded_in_full", {"refunded_amount_minor": "10000"}, True),
    ("invoice_refunded_in_full", {"refunded_amount_minor": "9999"}, False),
    ("invoice_refunded_in_full", {"moderation_required": "true"}, False),
    ("invoice_refunded_in_part", {"refunded_amount_minor": "3000"}, True),
    ("invoice_refunded_in_part", {"refunded_amount_minor": "10000"}, False),
    ("invoice_refunded_in_part", {}, False),
    ("invoice_refunded_in_part", {"refunded_amount_minor": "3000", "resolution": "x"}, False),
    ("invoice_charged_back_in_full", {"charged_back_amount_minor": "10000"}, True),
    ("invoice_charged_back_in_full", {"charged_back_amount_minor": "10"}, False),
    ("invoice_charged_back_in_part", {"charged_back_amount_minor": "10"}, True),
    ("invoice_charged_back_in_part", {}, False),
    ("invoice_released", {"moderation_required": "false"}, True),
    ("invoice_released", {"moderation_required": "true"}, False),
])
def test_guard(name: str, facts: dict[str, str], passes: bool) -> None:
    assert (check(name, PAID, event(**facts)) is None) is passes


def test_guard_reasons_carry_the_figures() -> None:
    reason = check("invoice_refunded_in_part", PAID, event(refunded_amount_minor="12000"))
    assert reason is not None
    assert "120.00 USD" in reason
    assert "100.00 USD" in reason


def test_moderation_kept_from_an_earlier_message_blocks_a_refund_without_the_flag() -> None:
    assert check("invoice_released", PAID, event(), (("moderation_required", "true"),))
    assert check("invoice_released", PAID, event(moderation_required="false"),
                 (("moderation_required", "true"),)) is None


def test_processed_books_the_processed_figure() -> None:
    after = EFFECTS["invoice_processed"](Ledger("USD"), event(processed_amount_minor="6025"))
    assert (after.authorized, after.captured) == (6025, 6025)
    with pytest.raises(LedgerRefusal):
        EFFECTS["invoice_processed"](Ledger("USD"), event(None))
    with pytest.raises(LedgerRefusal):
        EFFECTS["invoice_processed"](Ledger("USD", 10000, 10000, refunded=5000),
                                     event(processed_amount_minor="4000"))


def test_refund_figures_are_cumulative_and_never_go_down() -> None:
    part = EFFECTS["invoice_refund_in_part"](PAID, event(refunded_amount_minor="3000"))
    assert part.refunded == 3000
    again = EFFECTS["invoice_refund_in_part"](part, event(refunded_amount_minor="5000"))
    assert again.refunded == 5000  # cumulative, not 3000 + 5000
    with pytest.raises(LedgerRefusal):
        EFFECTS["invoice_refund_in_part"](again, event(refunded_amount_minor="4000"))
    with pytest.raises(LedgerRefusal):
        EFFECTS["invoice_refund_in_full"](PAID, event(refunded_amount_minor="10001"))
    with pytest.raises(LedgerRefusal):
        EFFECTS["invoice_refund_in_part"](PAID, event())
    assert EFFECTS["invoice_refund_in_full"](again, event()).refunded == 10000


def test_first_seen_refund_or_chargeback_books_the_processed_figure_first() -> None:
    refunded = EFFECTS["invoice_refund_in_full"](
        Ledger(), event(processed_amount_minor="5500", refunded_amount_minor="5500"))
    assert (refunded.currency, refunded.captured, refunded.refunded) == ("USD", 5500, 5500)
    charged = EFFECTS["invoice_charge_back_in_part"](
        Ledger(), event(processed_amount_minor="5500", charged_back_amount_minor="500"))
    assert (charged.captured, charged.charged_back) == (5500, 500)
    settled = EFFECTS["invoice_settled"](Ledger(), event(processed_amount_minor="100"))
    assert settled.captured == 100


def test_chargeback_figures_never_go_down_or_exceed_the_processed() -> None:
    partly = EFFECTS["invoice_charge_back_in_part"](PAID, event(charged_back_amount_minor="10"))
    with pytest.raises(LedgerRefusal):
        EFFECTS["invoice_charge_back_in_part"](partly, event(charged_back_amount_minor="5"))
    with pytest.raises(LedgerRefusal):
        EFFECTS["invoice_charge_back_in_full"](PAID, event(charged_back_amount_minor="20000"))
    assert EFFECTS["invoice_charge_back_in_full"](PAID, event()).charged_back == 10000


def test_nothing_booked_and_no_figure_books_nothing() -> None:
    empty = Ledger("USD")
    assert EFFECTS["invoice_refund_in_full"](empty, event(None)) == empty
    assert EFFECTS["invoice_charge_back_in_full"](empty, event(None)) == empty
