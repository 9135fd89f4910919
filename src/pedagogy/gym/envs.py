"""A parametric environment for tests, docs and examples: MountainCar whose physics is the task.

``ParametricMountainCar`` is gymnasium's continuous MountainCar with two task
parameters: the engine ``power`` and the ``goal_position``.  The track ends in
a wall at x = 0.6, so every goal beyond it (a sixth of the default task box)
can never be reached by any policy: a learning-progress teacher should learn
to stop proposing it.  Nothing is registered with gymnasium at import;
:func:`register_envs` does it on request.
"""

from __future__ import annotations

from typing import Any

import gymnasium
import numpy as np
from gymnasium.envs.classic_control.continuous_mountain_car import Continuous_MountainCarEnv

from pedagogy.spaces import Box

__all__ = ["ParametricMountainCar", "register_envs", "ENV_ID"]

ENV_ID = "pedagogy/ParametricMountainCar-v0"


class ParametricMountainCar(Continuous_MountainCarEnv):
    """Continuous MountainCar with the task ``(power, goal_position)``.

    ``set_task(task)`` applies a task (taken at the next ``reset``; the default
    task is gymnasium's: power 0.0015, goal 0.45).  Episodes are truncated
    after ``max_episode_steps``; the last step's ``info["is_success"]`` says
    whether the goal was reached.  Goals past ``max_position`` (0.6, the wall)
    are unreachable.
    """

    #: the task box: power, goal position (goals above 0.6 are unreachable)
    TASK_LOW = (0.0005, 0.1)
    TASK_HIGH = (0.0025, 0.7)

    def __init__(self, render_mode: str | None = None, max_episode_steps: int = 999):
        super().__init__(render_mode=render_mode)
        if isinstance(max_episode_steps, bool) or not isinstance(max_episode_steps, (int, np.integer)) or max_episode_steps < 1:
            raise ValueError(f"ParametricMountainCar: max_episode_steps must be a positive integer, got {max_episode_steps!r}")
        self.max_episode_steps = int(max_episode_steps)
        self._task = np.array([self.power, self.goal_position], dtype=float)
        self._steps = 0

    @classmethod
    def task_space(cls) -> Box:
        """The pedagogy task space of this environment."""
        return Box(cls.TASK_LOW, cls.TASK_HIGH, names=["power", "goal_position"])

    @property
    def task(self) -> np.ndarray:
        """The task the environment plays (from the last ``set_task``)."""
        return self._task.copy()

    def set_task(self, task: Any) -> None:
        """Set ``(power, goal_position)``; values outside the task box are a ValueError."""
        x = np.asarray(task, dtype=float).reshape(-1)
        if x.shape != (2,) or not np.all(np.isfinite(x)):
            raise ValueError(f"ParametricMountainCar: a task is (power, goal_position), got {task!r}")
        if not (self.TASK_LOW[0] <= x[0] <= self.TASK_HIGH[0] and self.TASK_LOW[1] <= x[1] <= self.TASK_HIGH[1]):
            raise ValueError(f"ParametricMountainCar: task {x.tolist()} is outside the box {self.TASK_LOW}..{self.TASK_HIGH}")
        self._task = x

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        self.power, self.goal_position = float(self._task[0]), float(self._task[1])
        self._steps = 0
        return super().reset(seed=seed, options=options)

    def step(self, action: np.ndarray) -> tuple[np.ndarray, float, bool, bool, dict[str, Any]]:
        obs, reward, terminated, _, info = super().step(action)
        self._steps += 1
        truncated = not terminated and self._steps >= self.max_episode_steps
        if terminated or truncated:
            info["is_success"] = bool(terminated)
        return obs, float(reward), terminated, truncated, info


def register_envs() -> None:
    """Register ``pedagogy/ParametricMountainCar-v0`` with gymnasium (idempotent)."""
    if ENV_ID not in gymnasium.registry:
        gymnasium.register(ENV_ID, entry_point="pedagogy.gym.envs:ParametricMountainCar")
