"""Simulated learners and the named scenarios the benchmark runs.

A learner is anything with

* ``space`` — the :mod:`pedagogy.spaces` space its tasks come from;
* ``practice(task) -> float`` — one episode / exercise / training step on
  ``task``; returns the score the teacher sees, in the scale its teachers
  expect (documented per learner);
* ``evaluate() -> dict[str, float]`` — ground-truth mastery the teacher never
  sees; always has ``"mastered_fraction"`` in [0, 1];
* optionally ``oracle_task() -> task`` — the task an all-seeing teacher, one
  that reads the learner's ground truth, would practise now.  The benchmark
  runs it as the ``oracle`` reference row (the limit in every table, never
  ranked) on every scenario whose learner implements it;
* optionally ``task_groups`` — the group (source) of every task of the
  space, in order; the benchmark gives it as ``groups=`` to teachers with
  that option (prompt-level teachers);
* optionally ``signals`` / ``use_signal(name)`` — other scores ``practice``
  can return (e.g. a group's success rate besides its mean absolute advantage); a
  scenario's ``signals`` says which teachers get which.

A :class:`Scenario` names a learner configuration together with its budgets
and its targets (:mod:`pedagogy.sim.targets`), so ``pedagogy bench`` can run
every teacher that applies on it and judge what the scenario promises.
Learners declare their constructor parameters as :mod:`pedagogy.params`
rules and check them with :meth:`Learner._check_parameters`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from numbers import Integral
from typing import Any, ClassVar

from pedagogy.params import (
    InstanceOf,
    Interval,
    ListOf,
    Nullable,
    Rule,
    Satisfies,
    validate,
)
from pedagogy.registry import Registry
from pedagogy.sim.targets import Baseline, Target, name_rule
from pedagogy.spaces import Space

__all__ = ["Learner", "Scenario", "get_scenario", "make", "register_scenario", "scenarios"]


def names_rule(what: str) -> Satisfies:
    """A list (or tuple) of names, never a bare string (``"ab"`` would be read as ``["a", "b"]``)."""
    return Satisfies(
        lambda v: isinstance(v, (list, tuple, set, frozenset)) and all(isinstance(x, str) for x in v), f"a list of {what}, not a string"
    )


#: a learner's prerequisite graph: ``None`` (its default course) or a dict skill -> prerequisite skills;
#: the graph itself (cycles, unknown skills) is checked by :class:`~pedagogy.spaces.SkillGraph`
PREREQUISITES: Rule = Nullable(InstanceOf(Mapping, "a dict skill -> list of prerequisite skills"))


class Learner(ABC):
    """Base class of simulated learners (see the module docstring).

    Every constructor argument has a rule in :attr:`parameters` (a test
    checks it), checked by :meth:`_check_parameters` before anything is built.
    """

    space: Space
    #: declared constructor parameters: name -> rule (see :mod:`pedagogy.params`)
    parameters: ClassVar[Mapping[str, Rule]] = {}
    #: the scores :meth:`practice` can be switched to with :meth:`use_signal` (none by default)
    signals: ClassVar[tuple[str, ...]] = ()

    def _error(self, message: str) -> ValueError:
        """A ``ValueError`` that names the learner class."""
        return ValueError(f"{type(self).__name__}: {message}")

    def _check_parameters(self, **values: Any) -> None:
        """Check ``values`` against :attr:`parameters`: ``<Class>: parameter 'x' must be ..., got ...``."""
        validate(values, self.parameters, type(self).__name__, word="parameter")

    @abstractmethod
    def practice(self, task: Any) -> float:
        """Practise ``task`` once; return the score the teacher observes."""

    def practice_many(self, tasks: Sequence[Any]) -> list[float]:
        """Practise several tasks in order (learners may override for speed)."""
        return [self.practice(t) for t in tasks]

    @abstractmethod
    def evaluate(self) -> dict[str, float]:
        """Ground-truth mastery; at least ``mastered_fraction`` in [0, 1]."""

    def oracle_task(self) -> Any:
        """The task an all-seeing teacher would pick now, from the learner's ground truth.

        A task of :attr:`space`; it must not change the learner (no practice,
        no random draws from the learner's generator), so the oracle's run is
        as reproducible as any teacher's.  Learners that cannot say raise
        ``NotImplementedError`` (the default); the benchmark then runs no
        oracle row for them.
        """
        raise NotImplementedError(f"{type(self).__name__} has no oracle_task()")

    def informative(self, score: float) -> bool:
        """Whether the group behind ``score`` (a :meth:`practice` result) had rewards of non-zero variance.

        What DAPO's dynamic sampling (:mod:`pedagogy.teachers.dynamic_sampling`)
        filters on; learners of group rollouts implement it, the others refuse.
        """
        raise self._error("has no informative(): its practice is not a group of rollouts, so dynamic sampling does not apply")

    def use_signal(self, signal: str) -> None:
        """Make :meth:`practice` return score ``signal`` (one of :attr:`signals`); learners without alternatives refuse."""
        raise self._error(f"has no signal {signal!r} (signals: {', '.join(self.signals) or 'none'})")


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
    targets:
        What the scenario promises (:class:`~pedagogy.sim.targets.Target`),
        judged by the benchmark; baselines they refer to run with the scenario.
    judged_budget:
        The budget the targets are set at; a shorter run reports them as not
        judged, with the reason (``None``: judged at any budget).
    signals:
        Teacher name -> the learner signal (:meth:`Learner.use_signal`) that
        teacher's runs observe; teachers not named get ``practice``'s default
        score.  Lets each teacher see the score its algorithm documents.
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
    targets: tuple[Target, ...] = ()
    judged_budget: int | None = None
    signals: Mapping[str, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        positive = Interval(Integral, 1)
        validate(
            vars(self),
            {
                "name": name_rule("a non-empty name"),
                "description": InstanceOf(str, "a string"),
                "factory": Satisfies(callable, "a callable seed -> Learner"),
                "budget_quick": positive,
                "budget_full": positive,
                "evaluations": positive,
                "batch": positive,
                "metric": InstanceOf(str, "an evaluate() key"),
                "targets": Satisfies(lambda v: isinstance(v, tuple) and all(isinstance(t, Target) for t in v), "a tuple of Target"),
                "judged_budget": Nullable(positive),
                "tags": ListOf(InstanceOf(str, "a string"), min_len=0),
                "signals": Satisfies(
                    lambda v: isinstance(v, Mapping) and all(isinstance(k, str) and isinstance(x, str) for k, x in v.items()),
                    "a dict teacher name -> signal name",
                ),
            },
            f"Scenario {self.name!r}",
            word="field",
        )
        names = [b.name for b in self.baselines]
        if len(set(names)) != len(names):
            raise ValueError(f"Scenario {self.name!r}: two different baselines are named {names[0]!r}")

    @property
    def baselines(self) -> tuple[Baseline, ...]:
        """The baselines the targets refer to, each once, in order."""
        out: list[Baseline] = []
        for t in self.targets:
            out.extend(b for b in t.baselines() if b not in out)
        return tuple(out)


_SCENARIOS: Registry[Scenario] = Registry("scenario", sort=False)


def register_scenario(scenario: Scenario) -> Scenario:
    """Add a scenario to the registry (a different scenario under a taken name is an error)."""
    if not isinstance(scenario, Scenario):
        raise TypeError(f"register_scenario needs a Scenario, got {scenario!r:.60}")
    return _SCENARIOS.register(scenario)


def scenarios() -> list[str]:
    """Names of the registered scenarios, in registration order."""
    return _SCENARIOS.names()


def get_scenario(name: str) -> Scenario:
    """The scenario registered as ``name``."""
    return _SCENARIOS.get(name)


def make(name: str, seed: int = 0) -> Learner:
    """A fresh learner of scenario ``name``."""
    return get_scenario(name).factory(seed)
