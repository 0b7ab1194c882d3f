"""``paychart simulate``: signed provider traffic drawn from the charts, with planted faults
and what the run must end in (docs/simulate.md).

``_sim_model`` moves objects by the specs alone, ``_sim_walk`` draws families over the
charts (``_sim_plans`` says what else each provider needs) and renders them with the
adapters' ``encode``, ``_sim_faults`` plants duplicates, late and forged messages,
``_sim_run`` interleaves everything into ``validate`` records and the expectations, and
``_sim_post`` sends them to a loopback receiver.
"""

from __future__ import annotations

from ._sim_faults import DEFAULT_RATES, FAULTS
from ._sim_run import Simulation, SimulationError, record_of, simulate

__all__ = ["DEFAULT_RATES", "FAULTS", "Simulation", "SimulationError", "record_of",
           "simulate"]
