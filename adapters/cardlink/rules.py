"""CARDLINK needs no guards or effects of its own: the generic money rules cover its charts
(refunds bounded by what is still refundable, the full-refund guard)."""

from __future__ import annotations

from paychart.rulebook import Rules

RULES = Rules()
