"""The chart spec model: what a TOML file under ``specs/`` declares, as frozen values.

TOML keys that are Python keywords or too terse are renamed by the loader: ``from`` →
``origins``, ``to`` → ``target``, ``by`` → ``caused_by``.
"""

from __future__ import annotations

import enum
import re
from datetime import timedelta

import attrs

from .canonical import Canonical


class CausedBy(enum.StrEnum):
    """Who makes an edge happen; auditors read it off every diagram."""

    PROVIDER = "provider"
    CUSTOMER = "customer"
    MERCHANT = "merchant"
    ISSUER = "issuer"
    TIMER = "timer"


@attrs.frozen
class StateSpec:
    """One provider state and the canonical status it maps to."""

    canonical: Canonical
    description: str
    final: bool = False
    lossy: bool = False
    """The canonical status loses information the provider state has."""
    blocks_parent: bool = False
    """While a child object is in this state, its parent's status may not change."""
    notes: str = ""
    after: str | None = None
    """Timeout (``"24h"``) from entering the state, after which ``timer`` fires."""
    deadline: str | None = None
    """Event field holding the instant ``timer`` fires at (``expires_at``); outranks
    ``after`` when the object's entering input carried it."""
    timer: str | None = None
    """Trigger the timeout fires (channel ``timer``); it needs an edge from this state."""
    poll: tuple[str, ...] = ()
    """Waits before each status query (``["5m", "1h", "1d"]``, the last one repeats), the
    first from entering the state, each next one from the previous query."""
    query: str | None = None
    """The provider's status query a poll makes (an operation its adapter parses)."""
    wait_source: str = ""
    """Where the documentation supports the timer and the poll (a seed section)."""

    @property
    def waits(self) -> bool:
        """Whether the state declares a timer or a poll (the janitor watches it)."""
        return self.timer is not None or bool(self.poll)


_DURATION = re.compile(r"^([1-9][0-9]{0,5})(s|m|h|d)$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def duration(text: str) -> timedelta:
    """``"90s"``, ``"5m"``, ``"24h"``, ``"7d"``: one positive number and one unit, so that a
    chart reads the same to an auditor as to the janitor; ``ValueError`` otherwise."""
    found = _DURATION.match(text)
    if found is None:
        raise ValueError(f"duration {text!r} is not a positive number followed by one of "
                         "s, m, h, d (e.g. \"15m\", \"24h\")")
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


@attrs.frozen
class TransitionSpec:
    """One edge (or one edge per origin state) of the chart."""

    trigger: str
    origins: tuple[str, ...]
    target: str
    caused_by: CausedBy
    source: str
    """Where the documentation supports this edge (a source document in `docs/sources/`, a
    `docs/PROVIDERS.md` decision)."""
    guard: str | None = None
    effect: str | None = None
    override: str | None = None
    """Option that must be enabled for this edge; without it the edge is a recorded violation."""
    parent_effect: str | None = None
    """Ledger effect applied to the parent object, in the same commit, when this edge is taken."""
    parent_trigger: str | None = None
    """Trigger fired on the parent's chart after this edge, when the parent has a legal edge."""
    notes: str = ""


@attrs.frozen
class ActionSpec:
    """A merchant call the backend may make on the object in some states."""

    name: str
    origins: tuple[str, ...]
    limit: str | None = None
    """Ledger figure bounding the action's amount (``refundable``, ``capturable``)."""
    description: str = ""


@attrs.frozen
class ChartSpec:
    """A provider object's documented lifecycle."""

    name: str
    provider: str
    object: str
    initial: str
    source: str
    description: str
    states: dict[str, StateSpec]
    transitions: tuple[TransitionSpec, ...]
    actions: tuple[ActionSpec, ...] = ()
    parent: str | None = None
    """Object kind of the parent (``payment`` for a refund), same provider."""
    options: dict[str, str] = attrs.Factory(dict)
    """Override options this chart knows, with what enabling them means."""
    notes: tuple[str, ...] = ()

    @property
    def finals(self) -> frozenset[str]:
        return frozenset(name for name, state in self.states.items() if state.final)
