"""``paychart simulate``: signed provider traffic drawn from the charts, with planted faults
and what the run must end in (docs/simulate.md).

``model`` moves objects by the specs alone, ``walk`` draws families over the charts and
renders them with the adapters' ``encode``, ``faults`` plants duplicates, late and forged
messages, ``run`` interleaves everything into ``validate`` records and the expectations.
"""

from __future__ import annotations

from .faults import DEFAULT_RATES, FAULTS
from .run import Simulation, SimulationError, record_of, simulate

__all__ = ["DEFAULT_RATES", "FAULTS", "Simulation", "SimulationError", "record_of",
           "simulate"]
