"""``paychart simulate``: the command line of the simulator (``paychart.simulate``).

Writes the traffic as ``validate`` records and the expectations as JSON; ``--post`` also
sends it to a receiver on this machine. Bad arguments are one line and exit 2.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .exit import EXIT_OK, UsageError
from .secrets import Secrets

DEFAULT_START = "2026-01-01T00:00:00+00:00"
MAX_OBJECTS = 100_000
_SPAN = re.compile(r"([0-9]{1,6})([smhd])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_RATE = re.compile(r"([0-9]{1,3}(?:\.[0-9]{1,4})?)(%?)")

EXAMPLES = """\
  paychart simulate cardlink --objects 300 --seed 1 --secrets s.toml --out day.jsonl \\
      --expect day.expect.json
  paychart simulate cardlink platform --objects 50 --seed 7 --secrets s.toml \\
      --out mix.jsonl --expect mix.expect.json --faults duplicate=10%,forged=0
  paychart validate day.jsonl --secrets s.toml --expect day.expect.json
"""


def parse_faults(text: str | None) -> dict[str, float]:
    """``duplicate=5%,late=0.1`` over the defaults; ``UsageError`` naming a bad part."""
    from .simulate import DEFAULT_RATES, FAULTS

    rates = dict(DEFAULT_RATES)
    for part in (text or "").split(","):
        if not part.strip():
            continue
        name, _, value = part.strip().partition("=")
        found = _RATE.fullmatch(value.strip())
        if name not in FAULTS:
            raise UsageError(f"unknown fault {name[:40]!r} (one of {', '.join(FAULTS)})")
        if found is None:
            raise UsageError(f"fault {name}: rate {value[:20]!r} is not like 5% or 0.05")
        rate = float(found[1]) / (100 if found[2] else 1)
        if not 0 <= rate <= 1:
            raise UsageError(f"fault {name}: rate {value} is not between 0 and 100%")
        rates[name] = rate
    return rates


def parse_span(text: str) -> timedelta:
    found = _SPAN.fullmatch(text.strip())
    if found is None or int(found[1]) == 0:
        raise UsageError(f"--span {text[:20]!r} is not like 24h, 90m, 7d")
    return timedelta(**{_UNITS[found[2]]: int(found[1])})


def parse_start(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--start {text[:40]!r} is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise UsageError("--start needs a UTC offset (2026-01-01T00:00:00+00:00)")
    return moment


def _write(path: str, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def cmd_simulate(args: argparse.Namespace) -> int:
    from ._sim_post import PostError, check_loopback, post
    from .simulate import SimulationError, simulate

    if not 0 < args.objects <= MAX_OBJECTS:
        raise UsageError(f"--objects must be between 1 and {MAX_OBJECTS}")
    if args.post is not None:
        try:
            check_loopback(args.post)
        except PostError as exc:
            raise UsageError(str(exc)) from None
    secrets = Secrets.load(args.secrets)
    tables: Mapping[str, Mapping[str, str]] = {p: secrets.for_provider(p)
                                               for p in args.providers}
    try:
        made = simulate(args.providers, objects=args.objects, seed=args.seed, secrets=tables,
                        start=parse_start(args.start), span=parse_span(args.span),
                        rates=parse_faults(args.faults), options=args.option)
    except (SimulationError, LookupError) as exc:
        raise UsageError(str(exc).strip("'\"")) from None
    _write(args.out, "".join(json.dumps(record) + "\n" for record in made.records))
    _write(args.expect, json.dumps(made.expect, indent=1) + "\n")
    planted = ", ".join(f"{k} {v}" for k, v in sorted(made.planted.items())) or "none"
    print(f"{len(made.records)} inputs for {len(made.expect['objects'])} objects written to "
          f"{args.out}; faults planted: {planted}; expectations in {args.expect}")
    if args.post is not None:
        done = post(made.records, args.post, limit=args.post_limit, rate=args.post_rate,
                    every_channel=args.post_all)
        shown = ", ".join(f"{status}: {n}" for status, n in done.statuses.items()) or "-"
        print(f"posted {done.sent} to {args.post} (HTTP statuses {shown}); "
              f"{done.failed} could not be sent")
    return EXIT_OK


def register(sub: Any, make: Any) -> None:
    """Add ``simulate`` to the subcommands; ``make`` is cli's subparser factory."""
    from .simulate import FAULTS

    p = make(sub, "simulate", "write signed provider traffic drawn from the charts, with "
             "planted faults and what it must end in", EXAMPLES)
    p.add_argument("providers", nargs="+", metavar="PROVIDER", help="providers to simulate")
    p.add_argument("--objects", type=int, default=100, metavar="N",
                   help="families (a payment with its refunds, disputes…) per provider")
    p.add_argument("--seed", type=int, default=0, metavar="S",
                   help="the same seed writes the same traffic")
    p.add_argument("--secrets", required=True, metavar="FILE",
                   help="TOML secrets to sign with (PayLink: its private_key too)")
    p.add_argument("--out", required=True, metavar="FILE.jsonl", help="records to write")
    p.add_argument("--expect", required=True, metavar="EXPECT.json",
                   help="expectations to write, for `paychart validate --expect`")
    p.add_argument("--faults", metavar="NAME=RATE,...",
                   help=f"fault rates over the defaults ({', '.join(FAULTS)}), e.g. "
                        "duplicate=10%%,forged=0")
    p.add_argument("--start", default=DEFAULT_START, metavar="ISO",
                   help=f"first moment of the traffic (default {DEFAULT_START})")
    p.add_argument("--span", default="24h", metavar="24h",
                   help="families start within this span (s, m, h, d)")
    p.add_argument("--option", action="append", default=[], metavar="NAME",
                   help="walk the override edges of this chart option too")
    p.add_argument("--post", metavar="http://127.0.0.1:PORT/PATH",
                   help="also POST the callbacks to this loopback receiver ({provider} in "
                        "the URL is each one's provider: .../webhooks/{provider} for "
                        "`paychart serve`)")
    p.add_argument("--post-all", action="store_true",
                   help="post responses and polls too (envelope in X-Paychart-* headers)")
    p.add_argument("--post-limit", type=int, default=10_000, metavar="N",
                   help="post at most N inputs (default 10000)")
    p.add_argument("--post-rate", type=float, default=50.0, metavar="PER_SECOND",
                   help="post at most this many inputs a second (default 50)")
    p.set_defaults(func=cmd_simulate)
