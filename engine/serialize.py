"""JSON shapes of events, decisions and records, shared by the CLI, the journal and stores.

One cattrs converter: datetimes as ISO 8601, money as ``{"amount", "currency"}`` in minor
units, fact pairs as JSON objects; fields at their defaults are left out of events and
decisions, which keeps journal rows small (every byte is written and synced per decision).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from .decision import Decision
from .event import Event

T = TypeVar("T")

converter = cattrs.Converter(forbid_extra_keys=True)
converter.register_unstructure_hook(datetime, datetime.isoformat)
converter.register_structure_hook(datetime, lambda value, _: datetime.fromisoformat(value))


def _pairs_out(pairs: tuple[tuple[str, str], ...]) -> dict[str, str]:
    return dict(pairs)


def _pairs_in(value: Any, _type: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, dict):
        return tuple((str(k), str(v)) for k, v in value.items())
    return tuple((str(k), str(v)) for k, v in value)


_PAIRS = tuple[tuple[str, str], ...]
converter.register_unstructure_hook_func(lambda t: t == _PAIRS, _pairs_out)
converter.register_structure_hook_func(lambda t: t == _PAIRS, _pairs_in)
converter.register_unstructure_hook(
    Event, make_dict_unstructure_fn(Event, converter, _cattrs_omit_if_default=True,
                                    provider=override(omit_if_default=False),
                                    object_kind=override(omit_if_default=False),
                                    object_id=override(omit_if_default=False)))


def to_json(value: object) -> Any:
    """A JSON-ready structure of any paychart value."""
    return converter.unstructure(value)


def from_json(data: Any, cls: type[T]) -> T:
    """Structure JSON data into a paychart value; raises ``cattrs`` errors naming the path."""
    return converter.structure(data, cls)
converter.register_unstructure_hook(
    Decision, make_dict_unstructure_fn(Decision, converter, _cattrs_omit_if_default=True,
                                       outcome=override(omit_if_default=False),
                                       reason=override(omit_if_default=False)))
