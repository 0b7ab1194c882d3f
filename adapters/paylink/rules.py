"""PayLink's guards and effects: none of its own.

Captures, refunds and chargebacks move their parent's ledger through the generic money rules
(``parent_effect`` in specs/paylink_*.toml); docs/PROVIDERS.md §3 asks for nothing else.
"""

from __future__ import annotations

from paychart.rulebook import Rules

RULES = Rules()
