"""The set of compiled charts an orchestrator works with, looked up by provider and object."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from .chart import Chart
from .checks import check_spec
from .errors import SpecError, UnknownChartError
from .loader import bundled_specs, load_spec
from .rulebook import Rules
from .spec import ChartSpec


class ChartSet:
    """Charts by (provider, object kind), with parent/child links checked across charts.

    ``rules`` supplies the guards and effects the specs name; by default the generic money
    rules plus those of every available provider package.
    """

    def __init__(self, specs: Iterable[ChartSpec], rules: Rules | None = None) -> None:
        if rules is None:
            from .providers import default_rules  # providers import adapters: only when asked
            rules = default_rules()
        self.rules = rules
        self._by_kind: dict[tuple[str, str], Chart] = {}
        self._by_name: dict[str, Chart] = {}
        for spec in specs:
            findings = check_spec(spec, rules)
            if findings:
                raise SpecError(spec.name, findings)
            chart = Chart(spec, rules)
            if chart.name in self._by_name or (spec.provider, spec.object) in self._by_kind:
                raise SpecError(spec.name, (f"chart `{spec.name}` for {spec.provider}/"
                                            f"{spec.object} is defined twice",))
            self._by_kind[(spec.provider, spec.object)] = chart
            self._by_name[chart.name] = chart
        self._check_links()
        self.blocking_children: dict[str, tuple[Chart, ...]] = {
            parent.name: tuple(c for c in self if c.blocking_states and
                               self.parent_of(c) is parent)
            for parent in self}

    @classmethod
    def bundled(cls, extra: Iterable[str | Path] = (), rules: Rules | None = None) -> ChartSet:
        """Every chart shipped under ``specs/``, plus spec files given by path."""
        return cls([*bundled_specs(rules), *(load_spec(path, rules) for path in extra)], rules)

    @classmethod
    def from_paths(cls, paths: Iterable[str | Path], rules: Rules | None = None) -> ChartSet:
        return cls((load_spec(path, rules) for path in paths), rules)

    def _check_links(self) -> None:
        for chart in self:
            parent = chart.spec.parent
            if parent is None:
                continue
            parent_chart = self._by_kind.get((chart.provider, parent))
            if parent_chart is None:
                raise SpecError(chart.name, (f"parent `{parent}` has no chart for provider "
                                             f"`{chart.provider}`",))
            for i, t in enumerate(chart.spec.transitions):
                if t.parent_trigger and t.parent_trigger not in parent_chart.triggers:
                    raise SpecError(chart.name, (
                        f"parent trigger `{t.parent_trigger}` at transitions[{i}] is not a "
                        f"trigger of `{parent_chart.name}`",))

    def __iter__(self) -> Iterator[Chart]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def get(self, provider: str, object_kind: str) -> Chart:
        try:
            return self._by_kind[(provider, object_kind)]
        except KeyError:
            raise UnknownChartError(provider, object_kind) from None

    def find(self, provider: str, object_kind: str) -> Chart | None:
        return self._by_kind.get((provider, object_kind))

    def named(self, name: str) -> Chart:
        try:
            return self._by_name[name]
        except KeyError:
            raise UnknownChartError("?", name) from None

    def parent_of(self, chart: Chart) -> Chart | None:
        parent = chart.spec.parent
        return None if parent is None else self._by_kind.get((chart.provider, parent))
