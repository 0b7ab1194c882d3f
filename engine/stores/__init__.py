"""Stores keep object records and the journal, and commit both atomically."""

from __future__ import annotations

from .base import Store, open_store
from .memory import MemoryStore
from .sqlite import SQLiteStore

__all__ = ["MemoryStore", "SQLiteStore", "Store", "open_store"]
