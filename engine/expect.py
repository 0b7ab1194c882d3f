"""``paychart validate --expect``: a run checked against what its traffic must end in.

``EXPECT.json`` (written by ``paychart simulate``) holds, per object, the final state,
canonical status and ledger, and per input line the outcomes each of its decisions may get
(one, or several where two are defensible), with the fault planted there. Each difference is
one failure naming the object or line, what was expected and what the run decided.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs

from .errors import PaychartError
from .exit import EXIT_FINDINGS, EXIT_INTERNAL, EXIT_OK
from .validate import ValidationRun

_LEDGER = ("currency", "authorized", "captured", "refunded", "charged_back")


class ExpectError(PaychartError):
    """An expectations file that cannot be read or is not of the simulator's shape."""


@attrs.frozen
class Expectations:
    """How a run met its expectations: each failure as a small JSON-ready mapping."""

    checked: int
    failures: tuple[Mapping[str, Any], ...] = ()

    @property
    def failed(self) -> int:
        return len(self.failures)

    def text_line(self) -> str:
        """The report's line: counts, and the first failures in a few words."""
        shown = "; ".join(_said(f) for f in self.failures[:3])
        more = f" (and {self.failed - 3} more)" if self.failed > 3 else ""
        return (f"expectations: {self.checked} checked, {self.failed} failed"
                + (f": {shown}{more}" if shown else ""))

    def status(self, run_status: int) -> int:
        """The exit status with expectations: they are the verdict (planted faults are meant
        to be rejected or invalid), except that paychart failing still says so."""
        if run_status == EXIT_INTERNAL:
            return EXIT_INTERNAL
        return EXIT_FINDINGS if self.failed else EXIT_OK

    def as_json(self) -> dict[str, Any]:
        return {"checked": self.checked, "failed": self.failed,
                "failures": [dict(f) for f in self.failures]}


def _said(failure: Mapping[str, Any]) -> str:
    where = (f"object {failure['object']}" if "object" in failure
             else f"line {failure.get('line')} ({failure.get('fault') or 'normal'})")
    return f"{where}: expected {failure.get('expected')}, got {failure.get('got')}"


def load_expect(path: str | Path) -> dict[str, Any]:
    """The expectations of ``path``; ``ExpectError`` (one line) when unreadable."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError) as exc:
        raise ExpectError(f"cannot read expectations {path}: {type(exc).__name__}") from None
    if not isinstance(data, dict) or not isinstance(data.get("objects", {}), dict) or \
            not isinstance(data.get("inputs", []), list):
        raise ExpectError(f"{path} is not an expectations file (objects, inputs)")
    return data


def _ledger(record_ledger: object) -> dict[str, Any]:
    return {name: getattr(record_ledger, name) for name in _LEDGER}


def check(run: ValidationRun, expect: Mapping[str, Any]) -> Expectations:
    """Every expected object and input line of ``expect`` against ``run``."""
    failures: list[dict[str, Any]] = []
    written = {record.key: record for record in run.written}
    objects: Mapping[str, Any] = expect.get("objects", {})
    for key, wanted in objects.items():
        record = written.get(key)
        if record is None:
            failures.append({"object": key, "expected": wanted, "got": None})
            continue
        got = {"state": record.state, "canonical": run.canonical(record),
               "ledger": _ledger(record.ledger)}
        if got != {name: wanted.get(name) for name in got}:
            failures.append({"object": key, "expected": wanted, "got": got})
    outcomes: dict[int, list[str]] = defaultdict(list)
    for result in run.results:
        outcomes[result.line].append(result.decision.outcome.value)
    inputs: list[Mapping[str, Any]] = expect.get("inputs", [])
    for item in inputs:
        line, allowed = item.get("line"), item.get("outcomes", [])
        got_line = outcomes.get(line if isinstance(line, int) else -1, [])
        if not got_line or any(outcome not in allowed for outcome in got_line):
            failures.append({"line": line, "fault": item.get("fault"), "expected": allowed,
                             "got": got_line})
    return Expectations(len(objects) + len(inputs), tuple(failures))
