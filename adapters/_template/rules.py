"""This provider's own guards and effects, beyond the generic money rules.

Change: nothing while the generic rules (``captures_all``, ``sale``, ``refund`` …, see
``paychart.money_rules``) are enough. Otherwise decorate functions on a ``RuleBook`` named
``<provider>_…`` (names are global across providers) and export ``RULES = book.rules()``.
"""

from __future__ import annotations

from paychart.rulebook import Rules

RULES = Rules()
"""The template needs no rule of its own."""
