"""Simulated learners and the named scenarios the benchmark runs.

A learner is anything with

* ``space`` — the :mod:`pedagogy.spaces` space its tasks come from;
* ``practice(task) -> float`` — one episode / exercise / training step on
  ``task``; returns the score the teacher sees, in the scale its teachers
  expect (documented per learner);
* ``evaluate() -> dict[str, float]`` — ground-truth mastery the teacher never
  sees; always has ``"mastered_fraction"`` in [0, 1].

A :class:`Scenario` names a learner configuration together with its budgets,
so ``pedagogy bench`` can run every teacher that applies on it.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pedagogy.spaces import Space

__all__ = ["Learner", "Scenario", "register_scenario", "get_scenario", "scenarios", "make"]


class Learner(ABC):
    """Base class of simulated learners (see the module docstring)."""

    space: Space

    @abstractmethod
    def practice(self, task: Any) -> float:
        """Practise ``task`` once; return the score the teacher observes."""

    def practice_many(self, tasks: Sequence[Any]) -> list[float]:
        """Practise several tasks in order (learners may override for speed)."""
        return [self.practice(t) for t in tasks]

    @abstractmethod
    def evaluate(self) -> dict[str, float]:
        """Ground-truth mastery; at least ``mastered_fraction`` in [0, 1]."""


@dataclass(frozen=True)
class Scenario:
    """A named benchmark scenario.

    Parameters
    ----------
    name, description:
        Registry name and one line for reports.
    factory:
        ``factory(seed) -> Learner``: a fresh, seeded learner.
    budget_quick, budget_full:
        Practice calls per run in the ``quick`` and ``full`` suites.
    evaluations:
        How many times ``evaluate()`` is called along a run (evenly spaced).
    metric:
        The ``evaluate()`` key the leaderboard ranks by.
    batch:
        Tasks proposed per ``propose(batch)`` call (e.g. a training batch).
    lower_is_better:
        Whether the metric improves downwards.
    """

    name: str
    description: str
    factory: Callable[[int], Learner]
    budget_quick: int
    budget_full: int
    evaluations: int = 20
    metric: str = "mastered_fraction"
    batch: int = 1
    lower_is_better: bool = False
    tags: tuple[str, ...] = field(default_factory=tuple)


_SCENARIOS: dict[str, Scenario] = {}


def register_scenario(scenario: Scenario) -> Scenario:
    """Add a scenario to the registry."""
    if scenario.name in _SCENARIOS:
        raise ValueError(f"scenario {scenario.name!r} is already registered")
    _SCENARIOS[scenario.name] = scenario
    return scenario


def scenarios() -> list[str]:
    """Names of the registered scenarios, in registration order."""
    return list(_SCENARIOS)


def get_scenario(name: str) -> Scenario:
    """The scenario registered as ``name``."""
    try:
        return _SCENARIOS[name]
    except KeyError:
        raise ValueError(f"unknown scenario {name!r}; known scenarios: {', '.join(_SCENARIOS)}") from None


def make(name: str, seed: int = 0) -> Learner:
    """A fresh learner of scenario ``name``."""
    return get_scenario(name).factory(seed)
