"""Discrete tasks with prerequisites, learned by a model in training.

:class:`SkillsLearner` is in the style of the "addition with more digits"
task of Teacher-Student Curriculum Learning (Matiisen, Oliver, Cohen,
Schulman, arXiv 1707.00183): a network learns many sub-tasks, a harder one
can only be learned once the easier ones it builds on are, and the teacher sees
the accuracy measured on a small batch of the task it chose.  The scenario
``skills`` is registered at the bottom.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, Rule
from pedagogy.sim.base import PREREQUISITES, Learner, Scenario, names_rule, register_scenario
from pedagogy.sim.graphs import random_graph
from pedagogy.sim.split import draw_with, register_variants
from pedagogy.spaces import SkillGraph

__all__ = ["SKILLS_GRAPH", "SkillsLearner"]


_OPEN_UNIT = Interval(Real, 0, 1, closed="right")


class SkillsLearner(Learner):
    """A model learning tasks whose prerequisites must be learned first.

    What it models: supervised or RL training on a set of sub-tasks (e.g.
    additions of 1..9 digits in TSCL, Matiisen et al. 2017) where practice on a
    task only helps once the skills it builds on are in place, tasks learn at
    different speeds, some tasks cannot be learned at all (label noise), and
    what is not practised is slowly forgotten.

    Dynamics (one :meth:`practice` call = one training step on one task):

    * Each task ``i`` has a competence ``c_i`` in [0, 1], its success
      probability; it starts at 0.
    * A task is *open* while every prerequisite is *known*, ``c >= known``
      (default 0.5: more often right than wrong).  A lower bar than mastery
      keeps the gate from flickering shut the moment a just-mastered
      prerequisite starts to be forgotten.
      Practising an open task moves its competence towards 1:
      ``c += rate_i * (1 - c)``.  Practising a closed task changes nothing.
    * ``rate_i = rate * jitter_i`` where ``jitter_i`` is log-normal
      (``sigma=rate_spread``), drawn from the seed: tasks learn at different
      speeds.  Tasks listed in ``unlearnable`` have rate 0.
    * ``forgetting``: after every step, each task not practised keeps a
      ``1 - forgetting`` share of its competence (exponential decay, applied
      lazily so practice is O(1)).  Forgetting can close a task again.
    * A task is *mastered* while ``c >= threshold``.

    Score (what the teacher sees): the accuracy on a batch of ``trials``
    fresh samples of the task after the step, ``Binomial(trials, c) / trials``
    (TSCL's teacher observes a validation accuracy); ``trials=1`` gives a
    single Bernoulli success.

    :meth:`oracle_task`: the first learnable task in topological order that
    is open and not mastered; when there is none, the learnable task with the
    lowest competence (review: under forgetting it is the one that will fall
    below mastery first).

    :meth:`evaluate`: ``mastered_fraction`` (mastered / all tasks, the
    unlearnable ones included), ``mastered_learnable_fraction`` and
    ``mean_competence`` (mean ``c`` over all tasks).

    Parameters
    ----------
    prerequisites:
        Mapping task -> list of prerequisite tasks (a DAG); default
        :data:`SKILLS_GRAPH`.
    rate:
        Base learning rate per step (default 0.02: ~80 steps from 0 to 0.8).
    rate_spread:
        Standard deviation of the log of the per-task rate jitter (default 0.5).
    unlearnable:
        Tasks that never improve (default: none).
    forgetting:
        Per-step decay share of unpractised tasks (default 0).
    known:
        Competence at which a task opens the tasks that build on it (default 0.5).
    threshold:
        Competence at which a task counts as mastered (default 0.8).
    trials:
        Samples behind each score (default 10).
    seed:
        Seed of the rate jitter and the score sampling.
    """

    space: SkillGraph

    parameters: ClassVar[Mapping[str, Rule]] = {
        "prerequisites": PREREQUISITES,
        "rate": _OPEN_UNIT,
        "rate_spread": Interval(Real, 0, 5),
        "unlearnable": names_rule("task names"),
        "forgetting": Interval(Real, 0, 1),
        "known": _OPEN_UNIT,
        "threshold": _OPEN_UNIT,
        "trials": Interval(Integral, 1),
        "seed": Interval(Integral, 0),
    }

    def __init__(
        self,
        prerequisites: Mapping[str, Sequence[str]] | None = None,
        rate: float = 0.02,
        rate_spread: float = 0.5,
        unlearnable: Sequence[str] = (),
        forgetting: float = 0.0,
        known: float = 0.5,
        threshold: float = 0.8,
        trials: int = 10,
        seed: int = 0,
    ):
        self._check_parameters(
            prerequisites=prerequisites,
            rate=rate,
            rate_spread=rate_spread,
            unlearnable=unlearnable,
            forgetting=forgetting,
            known=known,
            threshold=threshold,
            trials=trials,
            seed=seed,
        )
        try:
            self.space = SkillGraph(SKILLS_GRAPH if prerequisites is None else prerequisites)
        except ValueError as e:
            raise self._error(f"bad prerequisites: {e}") from None
        if self.space.items is not None:  # pragma: no cover - SkillGraph built without items
            raise self._error("tasks must be the skills themselves")
        unknown = [t for t in unlearnable if t not in self.space]
        if unknown:
            raise self._error(f"unlearnable names unknown task {unknown[0]!r}")
        self.rate, self.rate_spread, self.forgetting = float(rate), float(rate_spread), float(forgetting)
        self.known, self.threshold = float(known), float(threshold)
        self.trials = int(trials)
        self.seed = int(seed)
        self.rng = np.random.default_rng(seed)

        tasks = self.space.skills  # the tasks are the skills
        self.unlearnable = frozenset(unlearnable)
        jitter = np.exp(self.rate_spread * self.rng.standard_normal(len(tasks)))
        rates = np.minimum(self.rate * jitter, 1.0)
        self._rate: list[float] = [0.0 if t in self.unlearnable else float(r) for t, r in zip(tasks, rates)]
        self._prereq: list[list[int]] = [[self.space.index(p) for p in self.space.prerequisites[t]] for t in tasks]
        self._comp: list[float] = [0.0] * len(tasks)
        self._last: list[int] = [0] * len(tasks)
        self.steps = 0
        self._keep = 1.0 - self.forgetting

    def _competence_now(self, i: int, t: int) -> float:
        c = self._comp[i]
        if self.forgetting and c > 0.0 and t > self._last[i]:
            c *= self._keep ** (t - self._last[i])
        return c

    def is_open(self, task: str) -> bool:
        """Whether practising ``task`` can raise its competence now."""
        i = self.space.index(task)
        return all(self._competence_now(j, self.steps) >= self.known for j in self._prereq[i])

    def competence(self) -> dict[str, float]:
        """Current competence (success probability) of every task."""
        return {t: self._competence_now(i, self.steps) for i, t in enumerate(self.space.skills)}

    def practice(self, task: Any) -> float:
        """One training step on ``task`` (a task name); returns the batch accuracy after it."""
        try:
            i = self.space.index(task)
        except (KeyError, TypeError):
            raise self._error(f"unknown task {task!r}") from None
        t = self.steps
        c = self._competence_now(i, t)
        if all(self._competence_now(j, t) >= self.known for j in self._prereq[i]):
            c += self._rate[i] * (1.0 - c)
        self.steps = t + 1
        self._comp[i] = c
        self._last[i] = t + 1
        return float(self.rng.binomial(self.trials, c)) / self.trials

    def oracle_task(self) -> str:
        """The task an all-seeing teacher practises now (see the class docstring)."""
        t = self.steps
        comp = [self._competence_now(i, t) for i in range(len(self._comp))]
        learnable = [i for i, r in enumerate(self._rate) if r > 0.0]
        for i in learnable:  # space.tasks are in topological order
            if comp[i] < self.threshold and all(comp[j] >= self.known for j in self._prereq[i]):
                return str(self.space.tasks[i])
        pool = learnable or list(range(len(comp)))
        return str(self.space.tasks[min(pool, key=lambda i: (comp[i], i))])

    def evaluate(self) -> dict[str, float]:
        """Ground truth: see the class docstring."""
        comp = np.array([self._competence_now(i, self.steps) for i in range(len(self._comp))])
        mastered = int(np.count_nonzero(comp >= self.threshold))
        n_learnable = len(comp) - len(self.unlearnable)
        return {
            "mastered_fraction": mastered / len(comp),
            "mastered_learnable_fraction": mastered / n_learnable if n_learnable else 0.0,
            "mean_competence": float(comp.mean()),
        }

    def __repr__(self) -> str:
        return f"SkillsLearner(tasks={len(self._comp)}, unlearnable={len(self.unlearnable)}, forgetting={self.forgetting})"


#: The ``skills`` scenario's graph: additions of 1..6 digits in a chain (as in
#: TSCL), subtraction building on addition, multiplication building on both,
#: and two tasks with pure label noise that no amount of practice learns.
SKILLS_GRAPH: dict[str, list[str]] = {
    "add1": [],
    "add2": ["add1"],
    "add3": ["add2"],
    "add4": ["add3"],
    "add5": ["add4"],
    "add6": ["add5"],
    "sub1": ["add1"],
    "sub2": ["sub1", "add2"],
    "sub3": ["sub2", "add3"],
    "sub4": ["sub3", "add4"],
    "mul1": ["add2"],
    "mul2": ["mul1", "add3"],
    "mul3": ["mul2", "sub2"],
    "noise1": [],
    "noise2": ["add1"],
}
SKILLS_UNLEARNABLE = ("noise1", "noise2")


def _skills(seed: int) -> SkillsLearner:
    return SkillsLearner(SKILLS_GRAPH, unlearnable=SKILLS_UNLEARNABLE, forgetting=1e-4, seed=seed)


register_scenario(
    Scenario(
        name="skills",
        description="15 tasks (TSCL-style additions, subtractions, multiplications) with prerequisites, 2 unlearnable, slow forgetting",
        factory=_skills,
        budget_quick=3000,
        budget_full=10000,
        evaluations=20,
        metric="mastered_learnable_fraction",
        tags=("discrete", "skill_graph"),
    )
)


# ------------------------------------------------------------------ variants
def _draw_skills(rng: np.random.Generator) -> dict[str, Any]:
    """Another task graph (10-16 learnable tasks plus 1-3 unlearnable ones nothing depends on), other rates and forgetting."""
    graph = random_graph(rng, int(rng.integers(10, 17)), prefix="t")
    names = list(graph)
    noise = [f"noise{i + 1}" for i in range(int(rng.integers(1, 4)))]
    for name in noise:
        graph[name] = [] if rng.random() < 0.5 else [names[int(rng.integers(len(names)))]]
    return {
        "prerequisites": graph,
        "unlearnable": noise,
        "rate": round(float(0.02 * np.exp(rng.uniform(-0.4, 0.4))), 5),
        "rate_spread": round(float(rng.uniform(0.2, 0.8)), 3),
        "forgetting": round(float(rng.uniform(0.0, 3e-4)), 6),
    }


def _describe_skills(p: dict[str, Any]) -> str:
    g = p["prerequisites"]
    return (
        f"{len(g) - len(p['unlearnable'])} learnable + {len(p['unlearnable'])} unlearnable tasks, "
        f"{sum(len(v) for v in g.values())} prerequisite links; rate {p['rate']:g}, spread {p['rate_spread']:g}, forgetting {p['forgetting']:g}"
    )


register_variants("skills", draw_with(SkillsLearner, _draw_skills, _describe_skills))
