"""Per-object money figures, the effects that move them and the canonical-status refinement."""

from __future__ import annotations

import attrs

from .canonical import Canonical
from .money import Money


class LedgerRefusal(Exception):
    """A ledger effect that would break the ledger invariants; the message has the figures."""


@attrs.frozen(slots=True)
class Ledger:
    """Authorized ≥ captured ≥ refunded, charged back ≤ captured; one currency per object."""

    currency: str | None = None
    authorized: int = 0
    captured: int = 0
    refunded: int = 0
    charged_back: int = 0

    @property
    def capturable(self) -> int:
        return self.authorized - self.captured

    @property
    def refundable(self) -> int:
        return self.captured - self.refunded

    @property
    def disputable(self) -> int:
        return self.captured - self.charged_back

    def figure(self, name: str) -> int:
        """A figure by name, as chart specs refer to them (``refundable``…)."""
        value = getattr(self, name)
        assert isinstance(value, int)
        return value

    def money(self, figure: str) -> Money | None:
        return Money(self.figure(figure), self.currency) if self.currency else None

    def holds_invariants(self) -> bool:
        return (0 <= self.refunded <= self.captured <= self.authorized
                and 0 <= self.charged_back <= self.captured)

    def describe(self) -> str:
        """The figures as money when the currency is known: ``authorized 68.03 USD, …``."""
        def shown(amount: int) -> str:
            return str(Money(amount, self.currency)) if self.currency else str(amount)
        return (f"authorized {shown(self.authorized)}, captured {shown(self.captured)}, "
                f"refunded {shown(self.refunded)}, charged back {shown(self.charged_back)}")


LEDGER_FIGURES = ("authorized", "captured", "refunded", "charged_back",
                  "capturable", "refundable", "disputable")
EMPTY_LEDGER = Ledger()


def refine(canonical: Canonical, ledger: Ledger) -> Canonical:
    """The object's canonical status: its state's, refined by what the ledger shows."""
    if canonical is Canonical.SUCCEEDED or canonical is Canonical.PARTIALLY_REFUNDED:
        if ledger.charged_back > 0:
            return Canonical.DISPUTED
        if ledger.captured > 0 and ledger.refunded >= ledger.captured:
            return Canonical.REFUNDED
        if ledger.refunded > 0:
            return Canonical.PARTIALLY_REFUNDED
    return canonical

