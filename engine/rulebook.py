"""Guards and effects as values: the specs name them, a ``Rules`` supplies the code.

A guard answers ``None`` when the edge may be taken, otherwise the reason with the figures
("refund 500 exceeds refundable 300 USD"). An effect returns the ledger after the edge and
raises ``LedgerRefusal`` (which the orchestrator reports as ``rejected``) when the edge would
break a ledger invariant, so a chart cannot corrupt money even if it forgets a guard.

Nothing registers by import side effect: a provider package builds its ``Rules`` with a
``RuleBook`` and hands them over explicitly; a ``ChartSet`` is compiled against the union of
the generic money rules and the rules of the providers it serves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from types import MappingProxyType

import attrs

from .event import Event
from .ledger import Ledger


@attrs.frozen(slots=True)
class GuardInput:
    """What a guard may look at: the ledger before the edge, the event and kept facts."""

    ledger: Ledger
    event: Event
    remembered: tuple[tuple[str, str], ...] = ()


Guard = Callable[[GuardInput], str | None]
Effect = Callable[[Ledger, Event], Ledger]


def _frozen(value: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(value))


@attrs.frozen
class Rules:
    """Named guards and effects. ``merged`` refuses a name defined twice: two providers (or a
    provider and the generic rules) must never silently shadow each other's money rule."""

    guards: Mapping[str, Guard] = attrs.field(factory=dict, converter=_frozen)
    effects: Mapping[str, Effect] = attrs.field(factory=dict, converter=_frozen)

    def merged(self, *others: Rules) -> Rules:
        guards, effects = dict(self.guards), dict(self.effects)
        for other in others:
            for mine, theirs, kind in ((guards, other.guards, "guard"),
                                       (effects, other.effects, "effect")):
                for name, func in theirs.items():
                    if name in mine and mine[name] is not func:
                        raise ValueError(f"{kind} {name!r} is defined twice")
                    mine[name] = func  # type: ignore[assignment]
        return Rules(guards, effects)

    @classmethod
    def union(cls, rules: Iterable[Rules]) -> Rules:
        return cls().merged(*rules)


class RuleBook:
    """Collects one module's guards and effects with decorators, then hands out ``Rules``.

    >>> book = RuleBook()
    >>> @book.guard("never")
    ... def _never(g: GuardInput) -> str | None:
    ...     return "never allowed"
    >>> sorted(book.rules().guards)
    ['never']
    """

    def __init__(self) -> None:
        self._guards: dict[str, Guard] = {}
        self._effects: dict[str, Effect] = {}

    def guard(self, name: str) -> Callable[[Guard], Guard]:
        def add(func: Guard) -> Guard:
            if name in self._guards:
                raise ValueError(f"guard {name!r} defined twice")
            self._guards[name] = func
            return func
        return add

    def effect(self, name: str) -> Callable[[Effect], Effect]:
        def add(func: Effect) -> Effect:
            if name in self._effects:
                raise ValueError(f"effect {name!r} defined twice")
            self._effects[name] = func
            return func
        return add

    def rules(self) -> Rules:
        return Rules(self._guards, self._effects)
