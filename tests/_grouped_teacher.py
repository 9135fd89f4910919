"""A small teacher with a ``groups`` option, for the tests of prompt curricula (learnability-like, not a real algorithm).

It keeps one success rate per group and proposes prompts of the group whose
rate is nearest 0.5 (a group never tried first), uniformly within the group.
Registered as ``test-grouped`` inside ``with registered():``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pedagogy.params import InstanceOf, ListOf, Nullable, Param
from pedagogy.spaces import Discrete
from pedagogy.teachers.base import REGISTRY, Teacher


class GroupedTeacher(Teacher[Discrete]):
    name = "test-grouped"
    score_range = (0.0, 1.0)
    space_types = (Discrete,)
    params = {"groups": Param(None, Nullable(ListOf(InstanceOf((str, int), "a str or int label"))), "one group label per prompt")}

    def _setup(self) -> None:
        groups = self.options["groups"] or [0] * self.space.n
        if len(groups) != self.space.n:
            raise self._error(f"groups has {len(groups)} labels for {self.space.n} prompts")
        self.labels = sorted(set(groups), key=str)
        self.group_of = [self.labels.index(g) for g in groups]
        self.members = [[i for i, g in enumerate(self.group_of) if g == k] for k in range(len(self.labels))]
        self.sums = [0.0] * len(self.labels)
        self.counts = [0] * len(self.labels)

    def _propose(self, n: int) -> list[Any]:
        def gap(k: int) -> float:
            return -1.0 if self.counts[k] == 0 else abs(self.sums[k] / self.counts[k] - 0.5)

        best = min(range(len(self.labels)), key=gap)
        return [self.members[best][int(self.rng.integers(len(self.members[best])))] for _ in range(n)]

    def _observe(self, task: Any, score: float) -> None:
        self.sums[self.group_of[task]] += score
        self.counts[self.group_of[task]] += 1

    def _get_state(self) -> dict[str, Any]:
        return {"sums": self.sums, "counts": self.counts}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.sums, self.counts = list(state["sums"]), list(state["counts"])


@contextmanager
def registered() -> Iterator[str]:
    """Register ``test-grouped`` for the duration of a ``with`` block; yields its name."""
    REGISTRY.register(GroupedTeacher)
    try:
        yield GroupedTeacher.name
    finally:
        REGISTRY.unregister(GroupedTeacher.name)
