"""A tiny environment for first examples: :func:`run_episode` and the :class:`ToyAgent` it trains.

The README's and the site's first snippet uses it so that it runs as pasted::

    from pedagogy.sim.toy import ToyAgent, run_episode

    agent = ToyAgent(seed=0)                      # its task space: agent.space
    episode_return = run_episode(agent, [0.1, 0.2])

The "environment" is a 2-D box of obstacle courses (``stump_height`` and
``gap_width`` in [0, 1]); the "agent" is a :class:`~pedagogy.sim.grid.GridLearner`
of 6 x 6 regions that unlock from the easy corner (low stumps, narrow gaps),
as in the toy environment of ALP-GMM (Portelas et al., CoRL 2019): 15
episodes master an unlocked region, and the return carries a little noise.
Replace both with your own environment and learner: a teacher only ever sees
the task and the episode's return.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pedagogy.sim.grid import GridLearner
from pedagogy.spaces import Box

__all__ = ["ToyAgent", "run_episode"]


class ToyAgent:
    """A learner whose competence grows where it practises, easy corner first.

    Parameters
    ----------
    seed : int
        Seeds the noise of the returns: the same seed and tasks give the same returns.
    """

    def __init__(self, seed: int = 0) -> None:
        self.space = Box([0.0, 0.0], [1.0, 1.0], names=["stump_height", "gap_width"])
        self._learner = GridLearner(dims=2, cubes_per_dim=6, increment=5.0, noise=0.05, seed=seed)

    def play(self, task: Sequence[float] | Any) -> float:
        """One episode on ``task``: practice, and the episode's return in [0, 1]."""
        if not self.space.contains(task):
            raise ValueError(f"ToyAgent: task {task!r} is not in {self.space!r}")
        return float(self._learner.practice(task))

    def evaluate(self) -> dict[str, float]:
        """Ground truth the teacher never sees: ``mastered_fraction`` of the 36 regions, and more."""
        return self._learner.evaluate()


def run_episode(agent: ToyAgent, task: Sequence[float] | Any) -> float:
    """Play one episode of ``task`` with ``agent`` and return its return (in [0, 1], higher is better)."""
    return agent.play(task)
