"""The ``paychart`` command: list and check charts, parse one input, validate recordings,
replay or list a store, draw diagrams and write the audit pack.

This is the only module with argparse, printing to the terminal and exit statuses (those are
defined in ``exit.py``): 0 success/clean, 1 findings (invalid spec, rejected or invalid
inputs, replay differences), 2 the command was used wrongly or its input could not be read,
3 paychart itself failed. No error reaches the user as a traceback: each is one line on
stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import NoReturn

from . import _cli_commands as commands
from . import _cli_janitor, _cli_migrate, _cli_serve, _cli_simulate, _cli_tail
from .errors import PaychartError
from .event import Channel
from .exit import EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, UsageError, where_failed
from .inputs import RECORD_FORMAT

__all__ = ["build_parser", "main"]

_FORMAT_HELP = "text for people (default) or json for machines"
_CHART_HELP = "also load this chart spec file (repeatable)"
_SECRETS_HELP = ("TOML secrets file, one table per provider, checked against each provider's "
                 "keys; a provider without a table has its callbacks unverified")
_ALLOW_HELP = ("accept unverified callbacks of this provider (no secret given) in a clean "
               "verdict (repeatable)")
_OPTION_HELP = "enable an override option a chart declares (repeatable; see `paychart charts`)"


class _ArgumentError(UsageError):
    """An argument argparse refused, with the (sub)command it was given to."""

    def __init__(self, prog: str, message: str) -> None:
        self.prog = prog
        super().__init__(f"{message} (see `{prog} --help`)")


class _Parser(argparse.ArgumentParser):
    """Usage mistakes become one line and exit 2, not a usage dump."""

    def error(self, message: str) -> NoReturn:
        raise _ArgumentError(self.prog, message)


def _version() -> str:
    try:
        return version("paychart")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown"


def _sub(sub: argparse._SubParsersAction[_Parser], name: str, help_text: str,
         examples: str) -> _Parser:
    return sub.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:],
                          epilog="examples:\n" + examples,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def _add_charts(p: _Parser) -> None:
    p.add_argument("--chart", action="append", default=[], metavar="PATH", help=_CHART_HELP)


def _add_run_inputs(p: _Parser, *, verdict: bool = True) -> None:
    p.add_argument("--secrets", metavar="FILE", help=_SECRETS_HELP)
    if verdict:
        p.add_argument("--allow-unverified", action="append", default=[], metavar="PROVIDER",
                       help=_ALLOW_HELP)
    p.add_argument("--option", action="append", default=[], metavar="NAME", help=_OPTION_HELP)
    _add_charts(p)


def _add_charts_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _sub(sub, "charts", "list the loaded charts: provider, object, states, transitions",
             "  paychart charts\n  paychart charts --format json\n")
    p.add_argument("--format", choices=("text", "json"), default="text", help=_FORMAT_HELP)
    _add_charts(p)
    p.set_defaults(func=commands.cmd_charts)

    p = _sub(sub, "check", "check chart spec files (default: the bundled ones)",
             "  paychart check\n  paychart check my_chart.toml other.toml\n")
    p.add_argument("paths", nargs="*", metavar="PATH", help="chart spec files (TOML)")
    p.set_defaults(func=commands.cmd_check)

    p = _sub(sub, "parse", "print the normalized event(s) of one raw input",
             "  paychart parse cardlink body.json --channel callback --secrets secrets.toml\n"
             "  paychart parse paylink resp.json --channel response --operation capture "
             "--ref T-1\n")
    p.add_argument("provider", help="provider name (as `paychart charts` lists them)")
    p.add_argument("file", help="the raw body exactly as received")
    p.add_argument("--channel", choices=[c.value for c in Channel], default="callback",
                   help="how the input arrived (default: callback)")
    p.add_argument("--header", action="append", default=[], metavar="NAME:VALUE",
                   help="an HTTP header of the input (repeatable)")
    p.add_argument("--secrets", metavar="FILE", help=_SECRETS_HELP)
    p.add_argument("--ref", metavar="ID", help="provider object id when the body lacks it")
    p.add_argument("--operation", metavar="OP", help="merchant call a response answers")
    p.set_defaults(func=commands.cmd_parse)


def _add_run_commands(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = _sub(sub, "validate", "decide every input of a JSONL recording and report",
             "  paychart validate day.jsonl --secrets secrets.toml\n"
             "  paychart validate day.jsonl --store sqlite:day.sqlite --format json\n\n"
             + RECORD_FORMAT + "\n\nexit status: 0 clean, 1 something rejected or invalid, an\n"
             "  order anomaly (paid twice, amount or currency mismatch, open after paid), or\n"
             "  callbacks UNVERIFIED (a provider with no secrets, unless --allow-unverified),\n"
             "  2 unreadable or empty recording, a bad secrets file or argument, 3 paychart\n"
             "  failed on an input (reported with its line number; every other line is\n"
             "  still decided)\n")
    p.add_argument("file", metavar="FILE.jsonl", help="the recording, one JSON object a line")
    p.add_argument("--store", metavar="STORE",
                   help="keep the journal in sqlite:PATH (default memory:, kept nowhere)")
    p.add_argument("--format", choices=("text", "json"), default="text", help=_FORMAT_HELP)
    p.add_argument("--expect", metavar="EXPECT.json", help="check the run against these "
                   "expectations (`paychart simulate`); exit 1 when any fails")
    _add_run_inputs(p)
    p.set_defaults(func=commands.cmd_validate)

    p = _sub(sub, "audit", "write an HTML audit pack of a recording or of a store",
             "  paychart audit day.jsonl --secrets secrets.toml --out audit/\n"
             "  paychart audit sqlite:prod.sqlite --since 2026-11-20T00:00:00+00:00 "
             "--until 2026-11-21T00:00:00+00:00 --out audit/\n")
    p.add_argument("file", metavar="FILE.jsonl|STORE",
                   help="a recording (as for validate) or sqlite:PATH, read-only")
    p.add_argument("--out", metavar="DIR", required=True,
                   help="folder to write audit.html (and further object pages) into")
    p.add_argument("--since", metavar="TIME",
                   help="only inputs received at or after this ISO time")
    p.add_argument("--until", metavar="TIME", help="only inputs received before this ISO time")
    _add_run_inputs(p)
    p.set_defaults(func=commands.cmd_audit)

    p = _sub(sub, "replay", "rebuild every object from a store's journal and compare",
             "  paychart replay sqlite:day.sqlite\n"
             "  paychart replay sqlite:day.sqlite --format json\n")
    p.add_argument("store", metavar="sqlite:PATH", help="the store to replay")
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help=_FORMAT_HELP + ': json is {"entries", "objects", "differences"}')
    _add_charts(p)
    p.set_defaults(func=commands.cmd_replay)

    from . import _cli_verify  # here, not at the top: one self-contained hunk per subcommand

    _cli_verify.add_parser(_sub(sub, "verify", _cli_verify.HELP, _cli_verify.EXAMPLES))

    p = _sub(sub, "objects", "list a store's objects: state, canonical status, ledger",
             "  paychart objects sqlite:day.sqlite\n"
             "  paychart objects sqlite:day.sqlite --format json\n"
             "  paychart objects sqlite:day.sqlite --order ORDER-1234\n")
    p.add_argument("store", metavar="sqlite:PATH", help="the store to list")
    p.add_argument("--format", choices=("text", "json"), default="text", help=_FORMAT_HELP)
    p.add_argument("--order", metavar="REF", help="show one order: every attempt with this "
                   "merchant reference, across providers (exit 1 if it has anomalies or "
                   "is not found)")
    _add_charts(p)
    p.set_defaults(func=commands.cmd_objects)

    p = _sub(sub, "diagram", "draw charts (Mermaid, DOT, SVG) or one object's path",
             "  paychart diagram cardlink_payment --format dot\n"
             "  paychart diagram --out diagrams\n"
             "  paychart diagram cardlink_payment --trace day.jsonl --object TOKEN\n")
    p.add_argument("charts", nargs="*", metavar="CHART",
                   help="chart names to draw (default: every loaded chart)")
    p.add_argument("--format", choices=("mermaid", "dot"),
                   help="printed format (default: mermaid)")
    p.add_argument("--out", metavar="DIR",
                   help="write .mmd, .dot and (with Graphviz) .svg files into DIR")
    p.add_argument("--trace", metavar="FILE.jsonl",
                   help="draw the path one object took in this recording (needs --object)")
    p.add_argument("--object", metavar="ID", help="object id or store key to trace")
    _add_run_inputs(p, verdict=False)
    p.set_defaults(func=commands.cmd_diagram)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="paychart",
        description="Decide what payment-provider callbacks, responses and polls mean, "
                    "against declarative state charts.",
        epilog="examples:\n  paychart charts\n  paychart validate day.jsonl --secrets s.toml\n"
               "  paychart COMMAND --help\n\nexit status: 0 ok, 1 findings, "
               "2 usage or unreadable input, 3 internal error",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"paychart {_version()}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)
    _add_charts_commands(sub)
    _add_run_commands(sub)
    _cli_janitor.add_parser(_sub(sub, "janitor", _cli_janitor.HELP, _cli_janitor.EXAMPLES))
    _cli_serve.register(sub, _sub)
    _cli_tail.register(sub, _sub)
    _cli_simulate.register(sub, _sub)
    _cli_migrate.register(sub, _sub)
    return parser


def _say(line: str) -> None:
    """One line on stderr, whatever its encoding can show."""
    stream = sys.stderr
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        stream.write(line.encode(encoding, "backslashreplace").decode(encoding) + "\n")
        stream.flush()
    except (OSError, ValueError):  # stderr closed too: nothing left to tell
        pass


def _silence_stdout() -> None:
    """After a closed pipe, point stdout at /dev/null so the final flush cannot fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # not a real file (tests capture it)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit status (``paychart.cli:main`` is the script)."""
    name = "paychart"
    try:
        args = build_parser().parse_args(argv)
        name = f"paychart {args.command}"
        status: int = args.func(args)
        sys.stdout.flush()
    except SystemExit as done:  # --help and --version
        return done.code if isinstance(done.code, int) else EXIT_OK
    except BrokenPipeError:  # output piped into `head`: the reader had enough
        _silence_stdout()
        return EXIT_OK
    except UnicodeEncodeError as exc:
        _say(f"{name}: the output encoding {exc.encoding} cannot show "
             f"{exc.object[exc.start:exc.end]!a}; set PYTHONIOENCODING=utf-8")
        return EXIT_USAGE
    except OSError as exc:
        where = f" {exc.filename}:" if exc.filename else ""
        _say(f"{name}:{where} {exc.strerror or exc}")
        return EXIT_USAGE
    except _ArgumentError as exc:
        _say(f"{exc.prog}: {exc}")
        return EXIT_USAGE
    except PaychartError as exc:
        _say(f"{name}: {exc}")
        return EXIT_USAGE
    except Exception as exc:  # a bug of ours: say where, never dump a traceback on users
        _say(f"{name}: internal error: {where_failed(exc)} (please report it)")
        return EXIT_INTERNAL
    return status


if __name__ == "__main__":
    sys.exit(main())
