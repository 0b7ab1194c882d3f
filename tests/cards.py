"""The Luhn check the scans for card numbers use: written here, independently of the
redaction under test, so a mistake there cannot hide itself."""

from __future__ import annotations


def luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0
