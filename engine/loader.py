"""Load chart specs from TOML: tomllib, then cattrs into the frozen model, then static checks.

Errors name the file, the key path and, for unknown keys, the line, because a chart author's
first mistake is usually a typo.
"""

from __future__ import annotations

import enum
import re
import tomllib
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import cattrs
from cattrs.gen import make_dict_structure_fn, override
from cattrs.v import format_exception

from .adapter import Adapter, AdapterContext, RawInput
from .canonical import Canonical
from .checks import check_spec
from .errors import SpecError, UnknownProviderError
from .event import Channel
from .rulebook import Rules
from .spec import ActionSpec, CausedBy, ChartSpec, TransitionSpec

_converter = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)


def _tuple_of_str(value: Any, _type: object) -> tuple[str, ...]:
    """``from = "x"`` and ``from = ["x", "y"]`` are both accepted."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError(f"expected a string or a list of strings, got {value!r}")


def _strict_str(value: Any, _type: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _strict_bool(value: Any, _type: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"expected true or false, got {value!r}")
    return value


_converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _tuple_of_str)
def _strict_enum(value: Any, type_: type[enum.Enum]) -> enum.Enum:
    try:
        return type_(value)
    except ValueError:
        allowed = ", ".join(str(member.value) for member in type_)
        raise ValueError(f"{value!r} is not one of: {allowed}") from None


_converter.register_structure_hook(str, _strict_str)
_converter.register_structure_hook(bool, _strict_bool)
for _enum in (Canonical, CausedBy):  # more specific than the str hook (they subclass str)
    _converter.register_structure_hook(_enum, _strict_enum)
_converter.register_structure_hook(
    TransitionSpec,
    make_dict_structure_fn(
        TransitionSpec, _converter, _cattrs_forbid_extra_keys=True,
        origins=override(rename="from"), target=override(rename="to"),
        caused_by=override(rename="by"),
    ),
)
_converter.register_structure_hook(
    ActionSpec,
    make_dict_structure_fn(ActionSpec, _converter, _cattrs_forbid_extra_keys=True,
                           origins=override(rename="from")),
)


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(\[\[?\s*)?([\w.\"]*\.)?\"?{re.escape(key)}\"?\s*(=|\]|\.)")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.search(line):
            return number
    return None


_TOML_NAMES = {"origins": "from", "target": "to", "caused_by": "by"}


def _format(exc: BaseException, type_: Any) -> str:
    """Our own hooks' messages say what was expected; keep them over cattrs' generic one."""
    if isinstance(exc, ValueError) and not isinstance(exc, cattrs.BaseValidationError):
        return f"invalid value: {exc}"
    return format_exception(exc, type_)


def _describe(error: cattrs.BaseValidationError, text: str) -> tuple[str, ...]:
    findings = []
    for raw_message in cattrs.transform_error(error, path="$", format_exception=_format):
        message = re.sub(r"\['([^']*)'\]", r".\1", raw_message)
        message = re.sub(r"\.(origins|target|caused_by)\b",
                         lambda m: "." + _TOML_NAMES[m[1]], message)
        found = re.match(r"extra fields found \((?P<keys>[^)]*)\) @ (?P<path>.*)", message)
        if found is None:
            findings.append(message)
            continue
        for key in (k.strip() for k in found["keys"].split(",")):
            line = _line_of(text, key)
            where = f" (line {line})" if line else ""
            findings.append(f"unknown key `{key}` at {found['path']}{where}")
    return tuple(findings)


def parse_spec(text: str, file: str, rules: Rules | None = None) -> ChartSpec:
    """Structure one spec from TOML text; raises ``SpecError`` with every finding.

    Guard and effect names are checked against ``rules``, by default the generic money rules
    plus those of every available provider."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(file, (f"not valid TOML: {exc}",)) from None
    try:
        spec = _converter.structure(raw, ChartSpec)
    except cattrs.BaseValidationError as exc:
        raise SpecError(file, _describe(exc, text)) from None
    if rules is None:
        from .providers import default_rules  # providers import adapters: only when asked
        rules = default_rules()
    findings = check_spec(spec, rules) or query_findings(spec)
    if findings:
        raise SpecError(file, findings)
    return spec


def unparsed_query(adapter: Adapter, query: str) -> str | None:
    """Why ``adapter`` cannot parse the answer of the status query ``query`` (``None``: it
    can). An adapter exporting ``poll_operations`` is taken at its word; otherwise it must
    have a poll parser that does not refuse the operation name (probed with an empty answer,
    whose other faults do not matter here)."""
    known = getattr(adapter, "poll_operations", None)
    if known is not None:
        return None if query in known else f"not one of {', '.join(sorted(known))}"
    probe = adapter.parse(RawInput(adapter.provider, Channel.POLL, b"{}", operation=query),
                          AdapterContext())
    error = probe.error
    if error is not None and error.field in ("channel", "operation"):
        return error.reason
    return None


def query_findings(spec: ChartSpec) -> tuple[str, ...]:
    """Each state's poll ``query`` must be an operation the provider's adapter parses the
    answer of: a poll whose answer cannot be read would only fill the journal with
    ``invalid`` entries."""
    queries = [(name, state.query) for name, state in spec.states.items() if state.query]
    if not queries:
        return ()
    from .providers import get_adapter  # providers import adapters: only when asked
    try:
        adapter = get_adapter(spec.provider)
    except UnknownProviderError:
        return tuple(f"query `{query}` at states.{name}.query: no adapter for provider "
                     f"`{spec.provider}` parses its answer" for name, query in queries)
    return tuple(f"query `{query}` at states.{name}.query: the {spec.provider} adapter "
                 f"cannot parse its answer ({why})" for name, query in queries
                 if (why := unparsed_query(adapter, query)) is not None)


def load_spec(path: str | Path, rules: Rules | None = None) -> ChartSpec:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpecError(str(path), (f"cannot read: {exc.strerror}",)) from None
    return parse_spec(text, str(path), rules)


def bundled_spec_texts() -> Iterable[tuple[str, str]]:
    """(file name, text) of every chart shipped in ``paychart.specs``, sorted by name."""
    files = sorted((f for f in resources.files("paychart.specs").iterdir()
                    if f.name.endswith(".toml")), key=lambda f: f.name)
    for file in files:
        yield file.name, file.read_text(encoding="utf-8")


def bundled_specs(rules: Rules | None = None) -> tuple[ChartSpec, ...]:
    return tuple(parse_spec(text, f"specs/{name}", rules) for name, text in bundled_spec_texts())
