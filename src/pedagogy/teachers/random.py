"""``random``: uniform sampling over the task space, the baseline every teacher is compared with."""

from __future__ import annotations

from typing import Any

import numpy as np

from pedagogy.spaces import Box, Discrete
from pedagogy.teachers.base import Teacher, register


@register
class RandomTeacher(Teacher[Box | Discrete]):
    """Uniform random curriculum.

    Proposes tasks uniformly over a :class:`~pedagogy.spaces.Box` or a
    :class:`~pedagogy.spaces.Discrete` space (a ``SkillGraph`` included) and
    ignores the scores it is given (any finite real number is accepted).  This
    is the "Random" baseline of Portelas et al. (2019) and of TeachMyAgent
    (Romac et al., 2021).
    """

    name = "random"
    description = "Uniform sampling over the space: the baseline."
    paper = "baseline (Portelas et al. 2019; Romac et al. 2021, TeachMyAgent)"
    score_doc = "any finite real number (ignored)"
    large_discrete = True
    space_types = (Box, Discrete)

    def _setup(self) -> None:
        pass

    def _propose(self, n: int) -> list[Any]:
        space = self.space
        if isinstance(space, Discrete):
            # floor(u * n) is uniform on 0..n-1 and avoids Generator.integers' slow small-call path.
            return (self.rng.random(n) * space.n).astype(np.int64).tolist()
        return list(space.sample(self.rng, n))

    def _observe(self, task: Any, score: float) -> None:
        pass

    def _get_state(self) -> dict[str, Any]:
        return {}

    def _set_state(self, state: dict[str, Any]) -> None:
        pass
