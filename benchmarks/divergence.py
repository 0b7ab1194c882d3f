"""How often a shuffled, duplicated delivery of an object family ends elsewhere than the
ordered one: the family property test's own walks (``tests/engine/walks.py``), drawn from a
seed (no shrinking, no example database), counted per family.

The property test (derandomized, 80 examples under the ci profile) says whether a family
converges on its examples; this says how rarely divergences show over many more. Every
delivery is drawn before any is decided, so one seed gives every version of the engine the
same deliveries: two versions compare delivery by delivery, and the numbers printed name
the deliveries that diverge. Run:
``python benchmarks/divergence.py [--examples 2000] [--seed N] [FAMILY ...]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the walks and the test charts live with the tests

from paychart import Event  # noqa: E402
from tests.engine.test_families import (  # noqa: E402
    CHARTS,
    FAMILIES,
    PROVIDER_ORDERED,
    _children,
    _deliver,
    _ends,
    _options,
)
from tests.engine.walks import FamilyModel, family_walk, shuffled_with_duplicates  # noqa: E402


def drawn(parent_name: str, child_names: Sequence[str], examples: int,
          seed: int) -> list[tuple[tuple[str, ...], list[Event], list[Event], FamilyModel]]:
    """``examples`` ordered walks with their shuffled deliveries, drawn from ``seed`` before
    any is delivered: the same seed gives the same deliveries to every version of the
    engine, so two versions compare example by example."""
    parent = CHARTS.named(parent_name)
    made: list[tuple[tuple[str, ...], list[Event], list[Event], FamilyModel]] = []

    @hypothesis_seed(seed)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        options = _options(data, parent)
        legal, model = family_walk(data, CHARTS, parent, _children(child_names), options,
                                   sequenced=parent.provider in PROVIDER_ORDERED)
        made.append((options, legal, shuffled_with_duplicates(data, legal), model))

    one()
    return made


def diverging(parent_name: str, child_names: Sequence[str], examples: int,
              seed: int) -> tuple[list[int], int]:
    """(numbers of the diverging deliveries, deliveries tried) of one family."""
    parent = CHARTS.named(parent_name)
    bad: list[int] = []
    deliveries = drawn(parent_name, child_names, examples, seed)
    for number, (options, legal, shuffled, model) in enumerate(deliveries):
        if (_ends(_deliver(options, shuffled), model, parent, moneyless_currency=False)
                != _ends(_deliver(options, legal), model, parent, moneyless_currency=False)):
            bad.append(number)
    return bad, len(deliveries)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", help="parent+child names (default: all)")
    parser.add_argument("--examples", type=int, default=1000, help="deliveries per family")
    parser.add_argument("--seed", type=int, default=0, help="the draws' seed (default 0)")
    args = parser.parse_args(argv)
    names = {f"{parent}+{'+'.join(children)}": (parent, children)
             for parent, children in FAMILIES}
    unknown = [name for name in args.families if name not in names]
    if unknown:
        parser.error(f"unknown family {unknown[0]!r} (one of {', '.join(sorted(names))})")
    for name in args.families or sorted(names):
        parent, children = names[name]
        bad, tried = diverging(parent, children, args.examples, args.seed)
        shown = ", ".join(map(str, bad[:12])) + (" …" if len(bad) > 12 else "")
        print(f"{name:40} {len(bad):5} diverging of {tried} ({len(bad) / tried:.2%})"
              + (f"  deliveries {shown}" if bad else ""), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
