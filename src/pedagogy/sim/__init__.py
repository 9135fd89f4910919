"""Simulated learners to test teachers on, and the benchmark's scenarios.

Every public module here defines learners and registers its scenarios; all
are imported so the scenario registry is complete.
"""

from __future__ import annotations

import importlib
import pkgutil

from pedagogy.sim.base import (
    Learner,
    Scenario,
    get_scenario,
    make,
    register_scenario,
    scenarios,
)
from pedagogy.sim.targets import (
    Baseline,
    BudgetToReach,
    Final,
    RatioOfFinals,
    Saving,
    Target,
)

__all__ = [
    "Baseline",
    "BudgetToReach",
    "Final",
    "Learner",
    "RatioOfFinals",
    "Saving",
    "Scenario",
    "Target",
    "get_scenario",
    "make",
    "register_scenario",
    "scenarios",
]

for _module in pkgutil.iter_modules(__path__):
    if _module.name not in ("base", "targets") and not _module.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_module.name}")
del _module
