"""The audit pack as HTML through Jinja2 templates (autoescaped): ``audit.html`` with the
summary, provenance, exceptions and the first objects, then ``audit-objects-N.html`` pages
when a run has more objects than one page should hold. Everything is inline (CSS, SVG, a few
lines of script) and pages link only to each other, so the pack opens from an archive."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from importlib import resources
from pathlib import Path

import attrs
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from ._audit_model import AuditModel, PathGroup, anchor
from ._audit_trace import Row, Trail
from ._diagram_dot import to_dot
from ._diagram_render import CAUSE_COLORS
from .diagrams import GraphvizMissing, render_svg
from .ledger import Ledger
from .money import Money

MAIN = "audit.html"
PAGE_OBJECTS = 5000
"""Objects per page: about 8 MB of HTML, which a browser still opens at once."""

Say = Callable[[str], None]


@attrs.frozen
class _Part:
    group: PathGroup
    trails: tuple[Trail, ...]
    first: bool


@attrs.frozen
class _Page:
    number: int
    file: str
    parts: tuple[_Part, ...]


def _pages(model: AuditModel, size: int) -> list[_Page]:
    """Objects in path order, cut into pages; a path's diagram goes where its first object
    is."""
    flat = [(group, trail) for group in model.groups for trail in group.trails]
    pages = []
    for number, start in enumerate(range(0, max(len(flat), 1), size), 1):
        chunk = flat[start:start + size]
        parts: list[_Part] = []
        for group, trail in chunk:
            if parts and parts[-1].group is group:
                parts[-1] = attrs.evolve(parts[-1], trails=(*parts[-1].trails, trail))
            else:
                parts.append(_Part(group, (trail,), trail is group.trails[0]))
        pages.append(_Page(number, MAIN if number == 1 else f"audit-objects-{number}.html",
                           tuple(parts)))
    return pages


def _svg(dot: str) -> str:
    try:
        svg = render_svg(dot)
    except GraphvizMissing as exc:
        return f'<p class="warn">Diagram not drawn: {escape(exc)}.</p><pre>{escape(dot)}</pre>'
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    return re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)


def _svgs(model: AuditModel, say: Say) -> dict[str, Markup]:
    """Each distinct path drawn once, two ``dot`` processes at a time."""
    say(f"drawing {len(model.groups)} distinct paths…")
    dots = [to_dot(g.trails[0].chart, g.highlight) for g in model.groups]
    with ThreadPoolExecutor(max_workers=2) as pool:
        drawn = list(pool.map(_svg, dots))
    return {g.anchor: Markup(svg) for g, svg in zip(model.groups, drawn, strict=True)}  # noqa: S704


def _when(at: datetime | None) -> str:
    return at.isoformat() if at else "unknown"


def _figures(ledger: Ledger) -> str:
    """The ledger in short: ``auth 5.00 / capt 5.00 / refd 0.00 / cb 0.00 USD``."""
    def shown(amount: int) -> str:
        return str(Money(amount, ledger.currency)).rsplit(" ", 1)[0] if ledger.currency \
            else str(amount)
    return (f"auth {shown(ledger.authorized)} / capt {shown(ledger.captured)} / "
            f"refd {shown(ledger.refunded)} / cb {shown(ledger.charged_back)}"
            + (f" {ledger.currency}" if ledger.currency else ""))


def _child_move(trail: Trail, row: Row) -> str:
    for step in trail.highlight.steps:
        if step.number == row.step:
            return f"{step.origin} → {step.target}"
    return ""


def _unknown_object(row: Row) -> str:
    d = row.decision
    return " ".join(p for p in (d.provider, d.object_kind, d.object_id) if p) or \
        "(unidentified input)"


def _environment() -> Environment:
    env = Environment(loader=PackageLoader("paychart", "templates"), autoescape=True,
                      undefined=StrictUndefined, trim_blocks=False, lstrip_blocks=False)
    env.filters.update(anchor=anchor, when=_when, figures=_figures, child_move=_child_move,
                       unknown_object=_unknown_object)
    return env


def render_pages(model: AuditModel, *, say: Say = lambda _m: None,
                 page_objects: int = PAGE_OBJECTS) -> Iterator[tuple[str, Iterator[str]]]:
    """Every page of the pack as (file name, its text in chunks), ``audit.html`` first."""
    pages = _pages(model, page_objects)
    page_of = {anchor(trail.key): page.file for page in pages for part in page.parts
               for trail in part.trails}
    page_of.update({part.group.anchor: page.file for page in pages for part in page.parts
                    if part.first})
    svgs = _svgs(model, say)
    env = _environment()
    css = resources.files("paychart").joinpath("templates/audit.css").read_text("utf-8")
    common = {"model": model, "prov": model.source.provenance, "css": Markup(css),  # noqa: S704
              "colours": [(c.value, v) for c, v in CAUSE_COLORS.items()], "svgs": svgs,
              "pages": pages, "summary": model.run.summary(), "orders": model.orders, "main": MAIN}
    for page in pages:
        def link(target: str, here: str = page.file) -> str:
            where = page_of.get(target, MAIN)
            return f"#{target}" if where == here else f"{where}#{target}"
        say(f"writing page {page.number} of {len(pages)}…")
        template = env.get_template("audit.html.j2" if page.number == 1
                                    else "objects_page.html.j2")
        yield page.file, template.generate(**common, page=page, link=link)


def write_pages(model: AuditModel, out: Path, *, say: Say = lambda _m: None,
                page_objects: int = PAGE_OBJECTS) -> list[Path]:
    """Write every page of the pack into ``out``; returns their paths, ``audit.html`` first."""
    written = []
    for name, chunks in render_pages(model, say=say, page_objects=page_objects):
        path = out / name
        with path.open("w", encoding="utf-8") as stream:
            stream.writelines(chunks)
        written.append(path)
    return written
