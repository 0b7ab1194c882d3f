"""``paychart audit``: a recording judged exactly as ``paychart validate`` judges it, written
as one self-contained HTML page an auditor opens without network access: the summary, every
object with its final state and canonical status, every decision not applied with its reason,
and each object's path drawn over its chart with a timeline of its inputs."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from pathlib import Path

from ._audit_html import page
from ._audit_trace import rows_of, trails
from .charts import ChartSet
from .errors import PaychartError
from .secrets import Secrets
from .validate import ValidationRun, validate_file

__all__ = ["REPORT_NAME", "render_audit", "run_audit", "write_audit"]

REPORT_NAME = "audit.html"
EXIT_OK, EXIT_FINDINGS, EXIT_UNREADABLE = 0, 1, 2


def render_audit(run: ValidationRun, source: str, options: Iterable[str] = ()) -> str:
    """The HTML report of a validate run."""
    return page(run, rows_of(run), trails(run), source, list(options))


def write_audit(path: str | Path, out: str | Path, *, charts: ChartSet | None = None,
                secrets: Secrets | None = None, options: Iterable[str] = ()
                ) -> tuple[Path, ValidationRun]:
    """Validate the recording at ``path`` and write ``out/audit.html``."""
    options = list(options)
    run = validate_file(path, charts=charts or ChartSet.bundled(), secrets=secrets or Secrets(),
                        options=options)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / REPORT_NAME
    report.write_text(render_audit(run, Path(path).name, options), encoding="utf-8")
    return report, run


def run_audit(args: argparse.Namespace) -> int:
    """Exit 0 when the recording is clean, 1 when something was rejected or invalid (the
    report is written either way, like ``paychart validate``), 2 when it cannot be read."""
    try:
        charts = ChartSet.bundled(getattr(args, "chart", None) or ())
        secrets = Secrets.load(args.secrets) if args.secrets else Secrets()
        report, run = write_audit(args.file, args.out, charts=charts, secrets=secrets,
                                  options=args.option or ())
    except (OSError, UnicodeDecodeError, PaychartError) as exc:
        print(f"paychart audit: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    summary = run.summary()
    print(f"wrote {report}: {summary['inputs']} inputs, "
          + ", ".join(f"{summary[k]} {k}" for k in list(summary)[1:]))
    return EXIT_OK if run.clean else EXIT_FINDINGS
