"""Shared test helpers: the engine's test charts, every chart under test, event builders."""

from __future__ import annotations

from pathlib import Path

from paychart import Channel, ChartSet, Event, Money
from paychart.loader import bundled_specs, load_spec

CHARTS_DIR = Path(__file__).parent / "charts"
SHOP_FILES = [CHARTS_DIR / f"shop_{name}.toml" for name in ("payment", "refund", "dispute")]


def shop_charts() -> ChartSet:
    return ChartSet.from_paths(SHOP_FILES)


def all_charts() -> ChartSet:
    """Every bundled chart plus the engine's test charts: what property tests run over."""
    return ChartSet([*bundled_specs(), *(load_spec(p) for p in SHOP_FILES)])


def event(object_id: str, trigger: str, state: str | None = None, *, kind: str = "payment",
          amount: int | None = None, currency: str = "EUR", channel: Channel = Channel.CALLBACK,
          key: str | None = None, parent: str | None = None, sequence: int | None = None,
          provider: str = "shop", **extra: object) -> Event:
    """An event of the shop charts; the dedupe key defaults to everything that identifies it."""
    money = Money(amount, currency) if amount is not None else None
    return Event(provider, kind, object_id, trigger, channel,
                 key or f"{kind}:{object_id}:{trigger}:{state}:{amount}:{sequence}",
                 state=state, money=money, parent_id=parent, sequence=sequence,
                 **extra)  # type: ignore[arg-type]
