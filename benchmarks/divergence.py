"""How often a shuffled, duplicated delivery of an object family ends elsewhere than the
ordered one: the family property test's own walks (``tests/engine/walks.py``), drawn at
random (no shrinking, no example database), counted per family.

The property test (derandomized, 80 examples under the ci profile) says whether a family
converges on its examples; this says how rarely the known divergences show, so a change to
the fill-in mechanisms can be judged by a rate measured in the same run, not by one shrunk
example. Run: ``python benchmarks/divergence.py [--examples 2000] [FAMILY ...]``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hypothesis import Phase, given, settings
from hypothesis import strategies as st

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))  # the walks and the test charts live with the tests

from tests.engine.test_families import (  # noqa: E402
    CHARTS,
    FAMILIES,
    PROVIDER_ORDERED,
    _children,
    _deliver,
    _ends,
    _options,
)
from tests.engine.walks import family_walk, shuffled_with_duplicates  # noqa: E402


def diverging(parent_name: str, child_names: Sequence[str], examples: int) -> tuple[int, int]:
    """(diverging, tried) over ``examples`` random deliveries of one family."""
    counts = [0, 0]
    parent = CHARTS.named(parent_name)

    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate])
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        options = _options(data, parent)
        legal, model = family_walk(data, CHARTS, parent, _children(child_names), options,
                                   sequenced=parent.provider in PROVIDER_ORDERED)
        ordered = _deliver(options, legal)
        shuffled = _deliver(options, shuffled_with_duplicates(data, legal))
        counts[1] += 1
        if (_ends(shuffled, model, parent, moneyless_currency=False)
                != _ends(ordered, model, parent, moneyless_currency=False)):
            counts[0] += 1

    one()
    return counts[0], counts[1]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("families", nargs="*", help="parent+child names (default: all)")
    parser.add_argument("--examples", type=int, default=1000, help="deliveries per family")
    args = parser.parse_args(argv)
    names = {f"{parent}+{'+'.join(children)}": (parent, children)
             for parent, children in FAMILIES}
    unknown = [name for name in args.families if name not in names]
    if unknown:
        parser.error(f"unknown family {unknown[0]!r} (one of {', '.join(sorted(names))})")
    for name in args.families or sorted(names):
        parent, children = names[name]
        bad, tried = diverging(parent, children, args.examples)
        print(f"{name:40} {bad:5} diverging of {tried} ({bad / tried:.2%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
