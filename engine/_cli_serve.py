"""``paychart serve``: the webhook receiver (``paychart.asgi``) under uvicorn.

The arguments are checked here, in the command's own process, so that a bad store or
secrets file is one line and exit 2, not a crash in every worker. Workers are separate
processes (uvicorn imports ``app_from_environment`` in each): they learn the store, the
secrets file, the extra chart files and the options from the environment, and each opens the
store on its own (SQLite's file, or a PostgreSQL pool per worker: its ``max_connections``
size the worker's thread pool).
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import _cli_commands as commands
from .exit import EXIT_OK, UsageError
from .secrets import Secrets

ENV_STORE = "PAYCHART_SERVE_STORE"
ENV_SECRETS = "PAYCHART_SERVE_SECRETS"
ENV_CHARTS = "PAYCHART_SERVE_CHARTS"
ENV_OPTIONS = "PAYCHART_SERVE_OPTIONS"
"""JSON lists: the chart spec files (absolute paths) and override options of every worker."""
ENV_OPERATOR_TOKEN = "PAYCHART_OPERATOR_TOKEN"  # noqa: S105 - a variable name, not a secret
"""Enables the operator routes (never a command-line argument: ``ps`` shows those)."""

INSTALL_HINT = "pip install 'paychart[server]'"

EXAMPLES = ("  paychart serve --store sqlite:payments.sqlite --secrets secrets.toml\n"
            "  paychart serve --store sqlite:payments.sqlite --secrets secrets.toml "
            "--host 0.0.0.0 --port 8080 --workers 4\n"
            "  paychart serve --store postgresql://paychart@db:5432/payments --secrets "
            "secrets.toml --workers 4 \\\n"
            "      --option enable_change_final_status --chart my_chart.toml\n\n"
            "routes: POST /webhooks/PROVIDER for every provider, GET /healthz; with\n"
            f"  {ENV_OPERATOR_TOKEN} set, GET /objects/PROVIDER/KIND/ID, GET /orders/REF\n"
            "  and GET /metrics\n"
            "  behind Authorization: Bearer <token>\n")


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 1-65535, got {text!r}")
    return int(text)


def _workers(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"workers must be a whole number ≥ 1, got {text!r}")
    return int(text)


def register(sub: argparse._SubParsersAction[Any],
             make: Callable[..., argparse.ArgumentParser]) -> None:
    """Add ``serve`` to the subcommands (``make`` is ``cli._sub``)."""
    p = make(sub, "serve", "receive provider callbacks over HTTP: decide, journal, answer",
             EXAMPLES)
    p.add_argument("--store", required=True, metavar="STORE",
                   help="journal into sqlite:PATH or postgresql://USER@HOST:PORT/DB "
                   "(memory: keeps nothing, one worker only)")
    p.add_argument("--secrets", required=True, metavar="FILE",
                   help="TOML secrets file: every provider with a table must verify")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                   "127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port (default: 8000)")
    p.add_argument("--workers", type=_workers, default=1, metavar="N",
                   help="worker processes (default: 1)")
    p.add_argument("--option", action="append", default=[], metavar="NAME",
                   help="enable an override option a chart declares (repeatable; see "
                   "`paychart charts`)")
    p.add_argument("--chart", action="append", default=[], metavar="PATH",
                   help="also load this chart spec file (repeatable)")
    p.set_defaults(func=cmd_serve)


def _uvicorn() -> Any:
    try:
        import starlette  # noqa: F401 - only checks it is installed
        import uvicorn
    except ImportError as exc:
        raise UsageError(f"serve needs {exc.name or 'starlette'}: {INSTALL_HINT}") from None
    return uvicorn


def cmd_serve(args: argparse.Namespace) -> int:
    from .charts import ChartSet
    from .validate import check_options

    uvicorn = _uvicorn()
    Secrets.load(args.secrets)
    check_options(ChartSet.bundled(args.chart), args.option)
    if args.store in ("memory", "memory:") and args.workers > 1:
        raise UsageError("a memory: store lives in one process: give sqlite:PATH for "
                         "--workers above 1")
    commands.open_store(args.store).close()
    os.environ[ENV_STORE] = args.store
    os.environ[ENV_SECRETS] = str(Path(args.secrets).resolve())
    os.environ[ENV_CHARTS] = json.dumps([str(Path(path).resolve()) for path in args.chart])
    os.environ[ENV_OPTIONS] = json.dumps(args.option)
    uvicorn.run("paychart._cli_serve:app_from_environment", factory=True, host=args.host,
                port=args.port, workers=args.workers, server_header=False,
                log_level="info")
    return EXIT_OK


def app_from_environment() -> Any:
    """The app one worker serves (uvicorn's factory), configured by ``cmd_serve``."""
    from .asgi import create_app
    from .charts import ChartSet
    from .orchestrator import Orchestrator

    store = commands.open_store(os.environ[ENV_STORE])
    secrets = Secrets.load(os.environ[ENV_SECRETS])
    token = os.environ.get(ENV_OPERATOR_TOKEN) or None
    charts = ChartSet.bundled(json.loads(os.environ.get(ENV_CHARTS, "[]")))
    options = json.loads(os.environ.get(ENV_OPTIONS, "[]"))
    return create_app(Orchestrator(charts, store, options=options), secrets,
                      operator_token=token)
