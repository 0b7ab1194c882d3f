"""``paychart audit``: an auditor's pack from a recording (decided exactly as ``paychart
validate`` decides it) or from a production store's journal (read-only), for a time window.

The pack is ``audit.html`` (self-contained: inline CSS and SVG, nothing fetched): summary
with verification per provider, provenance, exceptions first, then objects grouped by the path
they took, each distinct path drawn once. Runs with many objects continue on linked
``audit-objects-N.html`` pages so no file grows without bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from ._audit_html import MAIN, PAGE_OBJECTS, render_pages, write_pages
from ._audit_model import build
from ._audit_source import AuditInput, Window, from_recording, from_run, from_store
from .charts import ChartSet
from .secrets import Secrets
from .stores.base import POSTGRES_SCHEMES
from .validate import ValidationRun

__all__ = ["REPORT_NAME", "Window", "audit_source", "render_audit", "write_audit",
           "write_input"]

REPORT_NAME = MAIN

Say = Callable[[str], None]
Progress = Callable[[int], None]


def audit_source(source: str | Path, *, charts: ChartSet | None = None,
                 secrets: Secrets | None = None, options: Iterable[str] = (),
                 window: Window | None = None, chart_files: Iterable[str | Path] = (),
                 progress: Progress | None = None,
                 allow_unverified: Iterable[str] = ()) -> AuditInput:
    """What to audit: ``sqlite:PATH`` or ``postgresql://…`` is a store's journal as recorded
    (secrets and options are those the store's backend used; options come from its entries),
    anything else a JSONL recording decided now. ``OSError`` when a recording cannot be read."""
    charts = charts or ChartSet.bundled()
    window = window or Window()
    if str(source).startswith(("sqlite:", *POSTGRES_SCHEMES)):
        return from_store(str(source), charts=charts, window=window,
                          chart_files=chart_files, progress=progress)
    return from_recording(source, charts=charts, secrets=secrets or Secrets(),
                          options=list(options), window=window, chart_files=chart_files,
                          progress=progress, allow_unverified=allow_unverified)


def write_input(audited: AuditInput, out: str | Path, *, say: Say = lambda _m: None,
                page_objects: int = PAGE_OBJECTS) -> list[Path]:
    """Write the pack of ``audited`` into ``out``; returns its pages, ``audit.html`` first."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("audit-objects-*.html"):  # pages of an earlier, larger run
        stale.unlink()
    return write_pages(build(audited), folder, say=say, page_objects=page_objects)


def write_audit(source: str | Path, out: str | Path, *, charts: ChartSet | None = None,
                secrets: Secrets | None = None, options: Iterable[str] = (),
                window: Window | None = None, page_objects: int = PAGE_OBJECTS
                ) -> tuple[Path, ValidationRun]:
    """Audit ``source`` (a recording or ``sqlite:PATH``) into ``out``; returns the path of
    ``audit.html`` and the run audited."""
    audited = audit_source(source, charts=charts, secrets=secrets, options=options,
                           window=window)
    return write_input(audited, out, page_objects=page_objects)[0], audited.run


def render_audit(run: ValidationRun, source: str, options: Iterable[str] = ()) -> str:
    """``audit.html`` of a finished run as one page (no provenance digests: the run alone
    does not say which bytes it was decided from)."""
    model = build(from_run(run, source, list(options)))
    _name, chunks = next(render_pages(model, page_objects=max(len(run.written), 1)))
    return "".join(chunks)
