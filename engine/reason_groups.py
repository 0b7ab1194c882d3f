"""Findings summarized by reason: how many, and the first lines of each.

A day of at-least-once delivery has duplicates and stale reports by the thousand, and every
PLATFORM callback carries the same "unconfirmed" warning: a person reads them grouped by what
they say, not one line each. Groups are filled as decisions come, so a run of a million inputs
keeps one small entry per distinct reason instead of every result that had one.
"""

from __future__ import annotations

import re

SHOWN_LINES = 8
"""Lines named per reason; the rest are counted."""

_QUOTED = re.compile(r"`[^`]*`")
_VARYING = re.compile(r"\b(?=[0-9a-f-]*\d)[0-9a-f-]{6,}\b|\d+(?:\.\d+)?")
"""Hex ids (six characters or more, with a digit) and figures."""


def generic_reason(reason: str) -> str:
    """A decision's reason without what differs per object: every quoted name (states,
    ids, edges) becomes `…`, every id and figure (sequences, amounts) …."""
    return without_figures(_QUOTED.sub("`…`", reason))


def without_figures(text: str) -> str:
    """``text`` without what differs per object: ids and figures become …; quoted names
    stay, since warnings quote the fields and calls that explain them (``hash``,
    ``GET_TRANS_STATUS``)."""
    return _VARYING.sub("…", text)


class ReasonGroups:
    """Per distinct reason, in the order first seen: a count and the first lines."""

    def __init__(self) -> None:
        self._groups: dict[str, tuple[int, list[int]]] = {}

    def add(self, reason: str, line: int) -> None:
        count, lines = self._groups.get(reason, (0, []))
        if len(lines) < SHOWN_LINES:
            lines.append(line)
        self._groups[reason] = (count + 1, lines)

    @property
    def total(self) -> int:
        return sum(count for count, _ in self._groups.values())

    def __bool__(self) -> bool:
        return bool(self._groups)

    def rows(self) -> list[tuple[str, str]]:
        """``(count ×, reason (lines …, … N more))``, the most frequent first."""
        rows = []
        for reason, (count, lines) in sorted(self._groups.items(), key=lambda kv: -kv[1][0]):
            shown = ", ".join(str(n) for n in lines)
            more = f", … {count - len(lines)} more" if count > len(lines) else ""
            rows.append((f"{count} ×", f"{reason} (lines {shown}{more})"))
        return rows

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ReasonGroups):
            return NotImplemented
        return self._groups == other._groups

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ReasonGroups({len(self._groups)} reasons, {self.total} findings)"
