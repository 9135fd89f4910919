"""Shared test helpers: a space for each teacher and a tiny two-region learner."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from pedagogy import spaces, teachers
from pedagogy.spaces import Box, Discrete, SkillGraph

BOX2 = spaces.Box([0.0, 0.0], [1.0, 1.0], names=["a", "b"])
DISCRETE = spaces.Discrete([f"task{i}" for i in range(12)])
GRAPH = spaces.SkillGraph({"add": [], "sub": ["add"], "mul": ["add"], "div": ["mul", "sub"]})


def space_for(name: str) -> spaces.Space:
    """A space the teacher accepts: a 2-D box if it can, else a named discrete set, else a skill graph."""
    cls = teachers.get(name)
    if any(issubclass(Box, t) for t in cls.space_types):
        return BOX2
    if any(issubclass(Discrete, t) and t is not SkillGraph for t in cls.space_types):
        return DISCRETE
    return GRAPH


def all_spaces_for(name: str) -> list[spaces.Space]:
    """Every test space the teacher accepts."""
    cls = teachers.get(name)
    return [s for s in (BOX2, DISCRETE, GRAPH) if isinstance(s, cls.space_types)]


class TwoRegionLearner:
    """A tiny learner: tasks in the learnable region improve with practice, the rest never do.

    ``learnable(task) -> bool`` splits the space.  Each learnable *cell* (a
    discrete task, or a cell of a 4x4 grid over the first two box dimensions)
    has a success probability that rises by ``rate * (1 - p)`` each time it is
    practised; unlearnable cells stay at 0.  :meth:`score` returns the success
    probability plus Gaussian noise (a reward-like score in about [0, 1]);
    :meth:`success` returns a 0/1 outcome drawn with that probability (an
    answer's correctness, an episode's success); :meth:`abs_advantage` returns the mean absolute group-normalised advantage
    of ``group`` Bernoulli rollouts (the signal of DUMP / SEC).
    """

    def __init__(self, learnable: Callable[[Any], bool], rate: float = 0.02, noise: float = 0.05, seed: int = 0):
        self.learnable = learnable
        self.rate = rate
        self.noise = noise
        self.rng = np.random.default_rng(seed)
        self.p: dict[Any, float] = {}

    def _cell(self, task: Any) -> Any:
        if isinstance(task, np.ndarray):
            return tuple(np.minimum((task[:2] * 4).astype(int), 3).tolist())
        return task

    def _practise(self, task: Any) -> float:
        cell = self._cell(task)
        p = self.p.get(cell, 0.0)
        if self.learnable(task):
            self.p[cell] = p + self.rate * (1.0 - p)
        return p

    def score(self, task: Any) -> float:
        p = self._practise(task)
        return float(np.clip(p + self.noise * self.rng.standard_normal(), 0.0, 1.0))

    def success(self, task: Any) -> float:
        p = self._practise(task)
        return float(self.rng.random() < p)

    def abs_advantage(self, task: Any, group: int = 8) -> float:
        p = self._practise(task)
        r = (self.rng.random(group) < p).astype(float)
        sd = r.std()
        return 0.0 if sd == 0 else float(np.mean(np.abs((r - r.mean()) / sd)))


def drive(teacher: teachers.Teacher, score: Callable[[Any], float], cycles: int, batch: int = 1) -> list[Any]:
    """Run propose/observe cycles; return every proposed task in order."""
    seen: list[Any] = []
    for _ in range(cycles):
        if batch == 1:
            task = teacher.propose()
            teacher.observe(task, score(task))
            seen.append(task)
        else:
            tasks = teacher.propose(batch)
            teacher.observe(tasks, [score(t) for t in tasks])
            seen.extend(tasks)
    return seen
