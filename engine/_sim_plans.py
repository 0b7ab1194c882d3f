"""What the simulator must know of each provider beyond its charts: which objects start a
family, which children it may grow and how a child is opened, the facts an object is created
with, the provider's clock (the ``sequence`` its bodies carry) and its currencies.

Everything else (edges, guards, amounts, wire forms) comes from the charts and the adapters.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

import attrs

from paychart.chart import Edge
from paychart.event import Channel
from paychart.ledger import Ledger

Facts = Callable[[random.Random], dict[str, str]]
Clock = Callable[[datetime], int | None]
Figures = Callable[[Edge, Ledger, int, random.Random], tuple[tuple[str, str], ...]]
"""(edge, ledger before it, the object's amount, rng) → the figure facts its message reports."""


def _none(_rng: random.Random) -> dict[str, str]:
    return {}


@attrs.frozen
class Child:
    """A child chart a family may grow: ``opening`` is the (trigger, state) of the merchant
    call that creates it when no edge leaves nothing (a CARDLINK dispute is opened pending);
    ``same_id`` when the child is keyed by its parent's id."""

    chart: str
    chance: float
    opening: tuple[str, str] | None = None
    same_id: bool = False


@attrs.frozen
class Root:
    chart: str
    weight: float
    facts: Facts = _none
    children: tuple[Child, ...] = ()
    channels: tuple[Channel, ...] = (Channel.CALLBACK, Channel.POLL)
    """Channels of the provider's own reports, in preference (the first 80% of the time)."""


@attrs.frozen
class Plan:
    provider: str
    roots: tuple[Root, ...]
    clock: Clock
    currencies: tuple[str, ...] = ("EUR", "USD")
    batches: bool = False
    """Whether one callback may carry several resources (payment invoices)."""
    ids: str = "{hex}"
    figures: Figures | None = None


def _epoch_seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _digits(moment: datetime) -> int:
    return int(moment.astimezone(UTC).strftime("%Y%m%d%H%M%S"))


def _no_clock(_moment: datetime) -> None:
    return None


def _two_stage(rng: random.Random) -> dict[str, str]:
    return {"two_stage": "true"} if rng.random() < 0.3 else {}


def _test_mode(rng: random.Random) -> dict[str, str]:
    return {"test_mode": "true" if rng.random() < 0.5 else "false"}


def _charge_type(rng: random.Random) -> dict[str, str]:
    return {"type": "authorization" if rng.random() < 0.4 else "payment", "test": "true"}


def _payer(rng: random.Random) -> dict[str, str]:
    return {"payer_email": f"payer{rng.randrange(10**6)}@example.com",
            "card_first6": "411111", "card_last4": f"{rng.randrange(10**4):04d}"}


def _merchant_order(rng: random.Random) -> dict[str, str]:
    return {"merchant_transaction_id": f"order-{rng.randrange(10**8)}"}


def _part(rng: random.Random, low: int, high: int) -> int:
    """A figure strictly between ``low`` and ``high`` (``high`` itself when there is none)."""
    return rng.randrange(low + 1, high) if high - low > 1 else high


def _invoice_figures(edge: Edge, ledger: Ledger, amount: int, rng: random.Random
                     ) -> tuple[tuple[str, str], ...]:
    """A payment invoice reports cumulative figures: the edge's own one is drawn so that its
    guard holds (all of it for ``…_in_full``, a part for ``…_in_part``), the others are the
    ledger's as they stand."""
    figures = {"processed_amount_minor": ledger.captured, "refunded_amount_minor":
               ledger.refunded, "charged_back_amount_minor": ledger.charged_back}
    guard = edge.guard_name or ""
    captured = ledger.captured or amount
    if guard.startswith("invoice_processed"):
        figures["processed_amount_minor"] = (amount if guard.endswith("full")
                                             else _part(rng, 0, amount))
    elif guard.startswith("invoice_refunded"):
        figures["refunded_amount_minor"] = (captured if guard.endswith("full")
                                            else _part(rng, ledger.refunded, captured))
    elif guard.startswith("invoice_charged_back"):
        figures["charged_back_amount_minor"] = (captured if guard.endswith("full")
                                                else _part(rng, 0, captured))
    return (("amount_minor", str(amount)),
            *((name, str(value)) for name, value in figures.items() if value))


PLANS: Mapping[str, Plan] = {
    "cardlink": Plan("cardlink", (
        Root("cardlink_payment", 0.85, _two_stage, (
            Child("cardlink_refund", 0.5), Child("cardlink_refund", 0.2),
            Child("cardlink_dispute", 0.15, opening=("open", "pending"), same_id=True))),
        Root("cardlink_payout", 0.15)), _no_clock),
    "invoices": Plan("invoices", (Root("invoices_payment_invoice", 1.0, _test_mode),),
                     _epoch_seconds, ("USD", "EUR"), batches=True, ids="cpi_{hex}",
                     figures=_invoice_figures),
    "paylink": Plan("paylink", (
        Root("paylink_transaction", 0.8, _charge_type, (
            Child("paylink_capture", 0.6), Child("paylink_void", 0.2),
            Child("paylink_refund", 0.5), Child("paylink_chargeback", 0.1))),
        Root("paylink_checkout", 0.2, _charge_type, channels=(Channel.RESPONSE, Channel.POLL))),
        _epoch_ms),
    "platform": Plan("platform", (Root("platform_transaction", 0.85, _payer),
                                  Root("platform_payout", 0.15, _payer)), _digits),
    "transaction_services": Plan("transaction_services", (
        Root("transaction_services_payment", 0.85, _merchant_order),
        Root("transaction_services_payout", 0.15, _merchant_order)), _epoch_seconds),
}
"""Every bundled provider's plan."""
