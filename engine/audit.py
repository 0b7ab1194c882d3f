"""``paychart audit``: a recording judged exactly as ``paychart validate`` judges it, written
as one self-contained HTML page an auditor opens without network access: the summary, every
object with its final state and canonical status, every decision not applied with its reason,
and each object's path drawn over its chart with a timeline of its inputs."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from ._audit_html import page
from ._audit_trace import rows_of, trails
from .charts import ChartSet
from .secrets import Secrets
from .validate import ValidationRun, validate_file

__all__ = ["REPORT_NAME", "render_audit", "write_audit", "write_run"]

REPORT_NAME = "audit.html"


def render_audit(run: ValidationRun, source: str, options: Iterable[str] = ()) -> str:
    """The HTML report of a validate run."""
    return page(run, rows_of(run), trails(run), source, list(options))


def write_audit(path: str | Path, out: str | Path, *, charts: ChartSet | None = None,
                secrets: Secrets | None = None, options: Iterable[str] = ()
                ) -> tuple[Path, ValidationRun]:
    """Validate the recording at ``path`` and write ``out/audit.html``; ``OSError`` when the
    recording cannot be read or the report cannot be written."""
    options = list(options)
    run = validate_file(path, charts=charts or ChartSet.bundled(), secrets=secrets or Secrets(),
                        options=options)
    return write_run(run, Path(path).name, out, options), run


def write_run(run: ValidationRun, source: str, out: str | Path,
              options: Iterable[str] = ()) -> Path:
    """Write the audit of a finished run as ``out/audit.html``."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    report = folder / REPORT_NAME
    report.write_text(render_audit(run, source, options), encoding="utf-8")
    return report
