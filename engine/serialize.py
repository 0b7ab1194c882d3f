"""JSON shapes of events, decisions and records, shared by the CLI, the journal and stores.

One cattrs converter: datetimes as ISO 8601, money as ``{"amount", "currency"}`` in minor
units, fact pairs as JSON objects; fields at their defaults are left out of events and
decisions, which keeps journal rows small (every byte is written and synced per decision).
"""

from __future__ import annotations

import json
from datetime import datetime
from json.encoder import encode_basestring
from typing import Any, TypeVar

import cattrs
from cattrs.gen import make_dict_unstructure_fn, override

from .decision import AllowedAction, Decision
from .event import CustomerAction, Event, SignatureStatus
from .ledger import Ledger
from .money import Money

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


# -- the journal's hot path --------------------------------------------------------------------
# Every input journals its event and decision as compact JSON; building that text directly is
# several times cheaper than cattrs' unstructure and the encoder's per-call set-up. The text
# must stay byte-identical to ``_dumps(to_json(value))`` (the hash chain covers it):
# ``tests/engine/test_serialize.py`` holds the two side by side.

_dumps = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_string = encode_basestring
"""A JSON string exactly as ``_dumps`` writes it (``ensure_ascii=False``)."""


def _text(value: str | None) -> str:
    return "null" if value is None else _string(value)


def _money(money: Money | None) -> str:
    if money is None:
        return "null"
    return f'{{"amount":{money.amount},"currency":{_string(money.currency)}}}'


def _strings(values: tuple[str, ...]) -> str:
    return "[" + ",".join(map(_string, values)) + "]"


def _pairs(pairs: tuple[tuple[str, str], ...]) -> str:
    return "{" + ",".join(f"{_string(k)}:{_string(v)}" for k, v in dict(pairs).items()) + "}"


def _customer_action(action: CustomerAction) -> str:
    return (f'{{"url":{_string(action.url)},"method":{_string(action.method)},'
            f'"params":{_pairs(action.params)}}}')


def _ledger(ledger: Ledger) -> str:
    return (f'{{"currency":{_text(ledger.currency)},"authorized":{ledger.authorized},'
            f'"captured":{ledger.captured},"refunded":{ledger.refunded},'
            f'"charged_back":{ledger.charged_back}}}')


def _allowed(allowed: tuple[AllowedAction, ...]) -> str:
    return "[" + ",".join(f'{{"name":{_string(action.name)},"limit":{_money(action.limit)}}}'
                          for action in allowed) + "]"


def event_text(event: Event) -> str:
    """The event's journal cell: ``to_json(event)`` as compact JSON, fields at their
    defaults left out."""
    parts = [f'{{"provider":{_string(event.provider)},'
             f'"object_kind":{_string(event.object_kind)},'
             f'"object_id":{_string(event.object_id)},"trigger":{_string(event.trigger)},'
             f'"channel":{_string(event.channel)},"dedupe_key":{_string(event.dedupe_key)}']
    add = parts.append
    if event.state is not None:
        add(f',"state":{_string(event.state)}')
    if event.money is not None:
        add(f',"money":{_money(event.money)}')
    if event.parent_id is not None:
        add(f',"parent_id":{_string(event.parent_id)}')
    if event.sequence is not None:
        add(f',"sequence":{event.sequence}')
    if event.received_at is not None:
        add(f',"received_at":{_string(event.received_at.isoformat())}')
    if event.signature != SignatureStatus.UNCHECKED:
        add(f',"signature":{_string(event.signature)}')
    if event.customer_action is not None:
        add(f',"customer_action":{_customer_action(event.customer_action)}')
    if event.facts != ():
        add(f',"facts":{_pairs(event.facts)}')
    if event.remember != ():
        add(f',"remember":{_pairs(event.remember)}')
    if event.warnings != ():
        add(f',"warnings":{_strings(event.warnings)}')
    if not event.confirmed:
        add(',"confirmed":false')
    if event.confirm_by is not None:
        add(f',"confirm_by":{_string(event.confirm_by)}')
    if event.reference is not None:
        add(f',"reference":{_string(event.reference)}')
    if event.refusal is not None:
        add(f',"refusal":{_string(event.refusal)}')
    add("}")
    return "".join(parts)


def decision_text(decision: Decision) -> str:
    """The decision's journal cell: ``to_json(decision)`` as compact JSON, fields at their
    defaults left out."""
    parts = [f'{{"outcome":{_string(decision.outcome)},"reason":{_string(decision.reason)}']
    add = parts.append
    if decision.provider is not None:
        add(f',"provider":{_string(decision.provider)}')
    if decision.object_kind is not None:
        add(f',"object_kind":{_string(decision.object_kind)}')
    if decision.object_id is not None:
        add(f',"object_id":{_string(decision.object_id)}')
    if decision.trigger is not None:
        add(f',"trigger":{_string(decision.trigger)}')
    if decision.from_state is not None:
        add(f',"from_state":{_string(decision.from_state)}')
    if decision.to_state is not None:
        add(f',"to_state":{_string(decision.to_state)}')
    if decision.canonical is not None:
        add(f',"canonical":{_string(decision.canonical)}')
    if decision.ledger is not None:
        add(f',"ledger":{_ledger(decision.ledger)}')
    if decision.field is not None:
        add(f',"field":{_string(decision.field)}')
    if decision.history_unknown:
        add(',"history_unknown":true')
    if decision.warnings != ():
        add(f',"warnings":{_strings(decision.warnings)}')
    if decision.allowed != ():
        add(f',"allowed":{_allowed(decision.allowed)}')
    if decision.customer_action is not None:
        add(f',"customer_action":{_customer_action(decision.customer_action)}')
    if decision.reply is not None:
        add(f',"reply":{_string(decision.reply)}')
    move = decision.parent_move
    if move is not None:
        add(f',"parent_move":{{"object_id":{_string(move.object_id)},'
            f'"trigger":{_string(move.trigger)},"from_state":{_string(move.from_state)},'
            f'"to_state":{_string(move.to_state)}}}')
    if decision.facts != ():
        add(f',"facts":{_pairs(decision.facts)}')
    if not decision.confirmed:
        add(',"confirmed":false')
    if decision.confirm_by is not None:
        add(f',"confirm_by":{_string(decision.confirm_by)}')
    add("}")
    return "".join(parts)
