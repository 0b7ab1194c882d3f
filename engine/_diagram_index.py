"""``diagrams/README.md``: the auditors' index, one section per chart, readable without code."""

from __future__ import annotations

from collections.abc import Sequence

from ._diagram_render import edge_label, to_mermaid, wait_lines
from .chart import Chart
from .checks import unwatched_warnings
from .spec import StateSpec


def _cell(text: str | None) -> str:
    """A Markdown table cell: pipes escaped, line breaks flattened, empty shown as a dash."""
    if not text:
        return "–"
    return " ".join(text.replace("|", "\\|").split())


def _table(header: Sequence[str], rows: Sequence[Sequence[str | None]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _anchor(name: str) -> str:
    return name.lower().replace(" ", "-")


def chart_section(chart: Chart, svg: bool) -> list[str]:
    spec = chart.spec
    lines = [f"## {chart.name}", "",
             f"**{spec.description}**", "",
             f"- provider: `{spec.provider}`, object: `{spec.object}`"
             + (f", child of `{spec.parent}`" if spec.parent else ""),
             f"- initial state: `{spec.initial}`",
             f"- documentary source: {_cell(spec.source)}",
             f"- files: [`{chart.name}.mmd`]({chart.name}.mmd), "
             f"[`{chart.name}.dot`]({chart.name}.dot)"
             + (f", [`{chart.name}.svg`]({chart.name}.svg)" if svg else ""), ""]
    if svg:
        lines += [f"![{chart.name} lifecycle]({chart.name}.svg)", ""]
    lines += ["<details><summary>Mermaid (renders on code hosts)</summary>", "",
              "```mermaid", to_mermaid(chart).rstrip(), "```", "", "</details>", "",
              "### States", ""]
    lines += _table(["state", "canonical status", "final", "lossy", "blocks parent",
                     "description"],
                    [(f"`{name}`" + (" (initial)" if name == spec.initial else ""),
                      s.canonical.value, "yes" if s.final else "no",
                      "yes" if s.lossy else "no", "yes" if s.blocks_parent else "no",
                      s.description + (f" — {s.notes}" if s.notes else ""))
                     for name, s in spec.states.items()])
    waiting = [(name, s) for name, s in spec.states.items() if s.waits]
    if waiting:
        lines += ["", "### Timers and polls", "",
                  "What `paychart janitor` lists or fires for an object waiting in the state "
                  "(a poll's waits run from entering the state, then from each query; the last "
                  "repeats).", ""]
        lines += _table(["state", "timer", "poll", "documentary source"],
                        [(f"`{name}`", *_waits(s), s.wait_source) for name, s in waiting])
    unwatched = unwatched_warnings(spec)
    if unwatched:
        lines += ["", "Waiting on the provider with neither a timer nor a poll (see "
                  "docs/PROVIDERS.md for why): "
                  + ", ".join(w.split(" ", 1)[0] for w in unwatched) + "."]
    lines += ["", "### Transitions", ""]
    lines += _table(["trigger", "from", "to", "caused by", "guard", "effect", "override",
                     "parent", "documentary source"],
                    [(f"`{t.trigger}`", ", ".join(f"`{o}`" for o in t.origins),
                      f"`{t.target}`", t.caused_by.value, t.guard, t.effect,
                      f"`{t.override}` (dashed)" if t.override else None,
                      _parent(t.parent_effect, t.parent_trigger),
                      t.source + (f" — {t.notes}" if t.notes else ""))
                     for t in spec.transitions])
    if spec.actions:
        lines += ["", "### Merchant actions", ""]
        lines += _table(["action", "allowed from", "limited by", "description"],
                        [(f"`{a.name}`", ", ".join(f"`{o}`" for o in a.origins), a.limit,
                          a.description) for a in spec.actions])
    if spec.options:
        lines += ["", "### Override options", ""]
        lines += _table(["option", "what enabling it means", "edges"],
                        [(f"`{name}`", meaning,
                          ", ".join(edge_label(e, sep=" ") for e in chart.edges
                                    if e.override == name))
                         for name, meaning in spec.options.items()])
    if spec.notes:
        lines += ["", "### Decisions and notes", ""]
        lines += [f"- {' '.join(note.split())}" for note in spec.notes]
    return [*lines, ""]


def _waits(state: StateSpec) -> tuple[str | None, str | None]:
    """(timer, poll) cells of the state's row."""
    lines = wait_lines(state)
    timer = next((line for line in lines if line.startswith("timer ")), None)
    poll = next((line for line in lines if line.startswith("poll ")), None)
    return timer, poll


def _parent(effect: str | None, trigger: str | None) -> str | None:
    parts = ([f"effect `{effect}`"] if effect else []) + (
        [f"trigger `{trigger}`"] if trigger else [])
    return ", ".join(parts) or None


def index(charts: Sequence[Chart], svg: bool) -> str:
    """The whole README: how to read the diagrams, a table of contents, then each chart."""
    lines = ["# Payment lifecycle diagrams", "",
             "Generated by `paychart diagram --out diagrams` from the chart specs in `specs/`; "
             "do not edit by hand (a test fails when this folder differs from what the "
             "command generates).", "",
             "How to read a diagram:", "",
             "- a box is a provider state, with its canonical status in «guillemets»; a "
             "double border (SVG) or an arrow to `[*]` (Mermaid) marks a final state;",
             "- an arrow is a transition labelled `trigger (caused by) [guard] / effect`; its "
             "colour in the SVG says who causes it: provider blue, customer green, merchant "
             "orange, issuer purple, timer grey;",
             "- grey lines in a box (`timer expire at expires_at or after 24h`, `poll status "
             "after 5m 15m 1h`) are the timeout and the status-query schedule of an object "
             "waiting there, listed per chart under \"Timers and polls\";",
             "- a dashed arrow labelled `override: OPTION` is legal only when the merchant "
             "enabled that option (`paychart validate --option OPTION`); otherwise it is "
             "recorded as a violation;",
             "- the recorded path of one payment is drawn by `paychart diagram CHART --trace "
             "FILE.jsonl --object ID` and, for every object of a recording, by `paychart "
             "audit FILE.jsonl --out DIR`.", ""]
    if not svg:
        lines += ["SVG files were not generated: Graphviz `dot` was not installed.", ""]
    lines += ["| chart | provider | object | states | transitions |",
              "|---|---|---|---|---|"]
    lines += [f"| [{c.name}](#{_anchor(c.name)}) | {c.provider} | {c.object_kind} | "
              f"{len(c.spec.states)} | {len(c.spec.transitions)} |" for c in charts]
    lines.append("")
    for chart in charts:
        lines += chart_section(chart, svg)
    return "\n".join(lines).rstrip() + "\n"
