"""paychart: declarative payment-provider state charts and the orchestrator that applies
API responses, callbacks and polls to them, one clear decision and journal entry per input.

>>> from paychart import ChartSet, Orchestrator, SQLiteStore
>>> engine = Orchestrator(ChartSet.bundled(), SQLiteStore("payments.sqlite"))
"""

from __future__ import annotations

from .adapter import (
    Adapter,
    AdapterContext,
    ParseResult,
    ProviderAdapter,
    RawInput,
    SecretsSchema,
    SignatureScope,
    StatusMove,
)
from .canonical import Canonical
from .chart import Chart, Edge
from .charts import ChartSet
from .conflicts import RetriesExhaustedError
from .decision import ActionCheck, AllowedAction, Decision, Outcome
from .errors import (
    DuplicateKeyError,
    InputError,
    MoneyError,
    PaychartError,
    SpecError,
    StoreError,
    UnknownChartError,
    UnknownProviderError,
    VersionConflictError,
)
from .event import Channel, CustomerAction, Event, SignatureStatus, object_key
from .journal import JournalEntry
from .ledger import Ledger, LedgerRefusal
from .loader import load_spec, parse_spec
from .money import Money
from .money_rules import MONEY_RULES
from .orchestrator import Orchestrator
from .record import ChildEffect, ObjectRecord
from .replay import replay
from .rulebook import Effect, Guard, GuardInput, RuleBook, Rules
from .secrets import Secrets
from .spec import ActionSpec, CausedBy, ChartSpec, StateSpec, TransitionSpec
from .stores import MemoryStore, SQLiteStore, Store, open_store

__all__ = [
    "MONEY_RULES",
    "ActionCheck",
    "ActionSpec",
    "Adapter",
    "AdapterContext",
    "AllowedAction",
    "Canonical",
    "CausedBy",
    "Channel",
    "Chart",
    "ChartSet",
    "ChartSpec",
    "ChildEffect",
    "CustomerAction",
    "Decision",
    "DuplicateKeyError",
    "Edge",
    "Effect",
    "Event",
    "Guard",
    "GuardInput",
    "InputError",
    "JournalEntry",
    "Ledger",
    "LedgerRefusal",
    "MemoryStore",
    "Money",
    "MoneyError",
    "ObjectRecord",
    "Orchestrator",
    "Outcome",
    "ParseResult",
    "PaychartError",
    "ProviderAdapter",
    "RawInput",
    "RetriesExhaustedError",
    "RuleBook",
    "Rules",
    "SQLiteStore",
    "Secrets",
    "SecretsSchema",
    "SignatureScope",
    "SignatureStatus",
    "SpecError",
    "StateSpec",
    "StatusMove",
    "Store",
    "StoreError",
    "TransitionSpec",
    "UnknownChartError",
    "UnknownProviderError",
    "VersionConflictError",
    "load_spec",
    "object_key",
    "open_store",
    "parse_spec",
    "replay",
]
