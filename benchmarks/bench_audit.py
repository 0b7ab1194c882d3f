"""How long ``paychart audit`` takes and how big its pack is, at 11,880 and 100,000 inputs.

The inputs are days of CARDLINK traffic from ``examples/make_cardlink_day.py``, one day after
another (its generator continues its seeded random stream, so every day has fresh tokens),
cut at the number of inputs asked for. Informational: always exits 0.

    python benchmarks/bench_audit.py                    # 11,880 and 100,000 inputs
    python benchmarks/bench_audit.py --inputs 11880     # one size
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples/make_cardlink_day.py"
SECRETS = ROOT / "examples/cardlink_secrets.toml"


def scaled_day(inputs: int, out: Path) -> Path:
    """``inputs`` lines of CARDLINK traffic in ``out``: consecutive generated days."""
    spec = importlib.util.spec_from_file_location("make_cardlink_day", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    written, day = 0, 0
    with out.open("w", encoding="utf-8") as stream:
        while written < inputs:
            for line in module.build():
                if written == inputs:
                    break
                at = datetime.fromisoformat(line["received_at"]) + timedelta(days=day)
                stream.write(json.dumps({**line, "received_at": at.isoformat()},
                                        ensure_ascii=False) + "\n")
                written += 1
            day += 1
    return out


def measure(inputs: int, folder: Path) -> None:
    from paychart import audit
    from paychart.secrets import Secrets

    recording = scaled_day(inputs, folder / f"day-{inputs}.jsonl")
    out = folder / f"audit-{inputs}"
    started = time.perf_counter()
    audited = audit.audit_source(recording, secrets=Secrets.load(SECRETS))
    pages = audit.write_input(audited, out)
    took = time.perf_counter() - started
    sizes = [p.stat().st_size for p in pages]
    print(f"{inputs:>7} inputs, {len(audited.run.written)} objects: {took:6.1f} s, "
          f"{len(pages)} page(s), {sum(sizes) / 1e6:.1f} MB in all, largest "
          f"{max(sizes) / 1e6:.1f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--inputs", type=int, action="append",
                        help="inputs to audit (repeatable; default 11880 and 100000)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for inputs in args.inputs or [11880, 100000]:
            measure(inputs, Path(folder))


if __name__ == "__main__":
    main()
