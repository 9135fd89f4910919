"""Gymnasium integration: environments whose task comes from a pedagogy teacher.

* :class:`TaskWrapper` — one environment; a task from the teacher at every
  reset, the episode's score back to it at the end.
* :class:`VectorTaskWrapper` / :func:`make_vector_env` — one teacher in the main
  process for a ``SyncVectorEnv`` or ``AsyncVectorEnv`` (every autoreset mode).
* :mod:`pedagogy.gym.sb3` — the same for Stable-Baselines3 ``VecEnv`` s.
* :class:`ParametricMountainCar` — a parametric environment with an
  unsolvable region, for tests and examples.

Needs the ``gym`` extra (``pip install "pedagogy[gym]"``).
"""

from __future__ import annotations

try:
    import gymnasium  # noqa: F401
except ImportError as exc:  # pragma: no cover - depends on the install
    raise ImportError('pedagogy.gym needs gymnasium >= 1.0: pip install "pedagogy[gym]"') from exc

from pedagogy.gym._feed import OUTCOME_KEY, Outcome, TaskFeeder
from pedagogy.gym.envs import ENV_ID, ParametricMountainCar, register_envs
from pedagogy.gym.vector import VectorTaskWrapper, make_vector_env
from pedagogy.gym.wrappers import TaskWrapper, normalize_return

__all__ = [
    "TaskWrapper",
    "VectorTaskWrapper",
    "make_vector_env",
    "ParametricMountainCar",
    "register_envs",
    "ENV_ID",
    "Outcome",
    "OUTCOME_KEY",
    "TaskFeeder",
    "normalize_return",
]
