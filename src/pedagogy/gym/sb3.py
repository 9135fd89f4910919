"""Stable-Baselines3: one teacher in the main process for a ``DummyVecEnv`` or ``SubprocVecEnv``.

SB3 vector envs reset a finished sub-environment inside ``step`` (in its
worker, without options), like gymnasium's ``SAME_STEP`` mode.  Every
sub-environment is a :class:`~pedagogy.gym.TaskWrapper` with ``teacher=None``
and a small queue of tasks proposed ahead; :class:`TaskVecEnv` keeps the
queues filled (one ``env_method`` broadcast when one runs low) and forwards
each finished episode's ``(task, score)`` from ``infos`` to the teacher
exactly once.  Needs ``stable-baselines3`` (the ``gym`` extra).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecEnv, VecEnvWrapper

from pedagogy.gym._feed import OUTCOME_KEY, Outcome, TaskFeeder, check_remote_sub_envs
from pedagogy.gym.wrappers import ScoreFn, SetTaskFn, TaskWrapper

__all__ = ["TaskVecEnv", "make_sb3_vec_env"]


class TaskVecEnv(VecEnvWrapper):
    """Feed the sub-environments of an SB3 ``venv`` with tasks from ``teacher``; forward their outcomes.

    Every sub-environment must contain ``TaskWrapper(..., teacher=None)``
    (under ``Monitor`` or other wrappers is fine; :func:`make_sb3_vec_env`
    builds it).  ``depth`` tasks are proposed ahead per sub-environment.
    """

    def __init__(self, venv: VecEnv, teacher: Any, depth: int = 8):
        super().__init__(venv)
        check_remote_sub_envs(venv.get_attr, "TaskVecEnv")
        for i in range(self.num_envs):
            venv.env_method("pedagogy_set_slot", i, indices=[i])
        self.teacher = teacher
        self.feeder = TaskFeeder(teacher, self.num_envs, depth)

    def _top_up(self) -> None:
        tasks = self.feeder.refill()
        if tasks is not None:
            self.venv.env_method("pedagogy_push_slots", {i: t for i, t in enumerate(tasks) if t})

    def reset(self) -> Any:
        self._top_up()
        obs = self.venv.reset()
        self.feeder.consumed(np.ones(self.num_envs, dtype=bool))
        self._top_up()
        return obs

    def step_async(self, actions: np.ndarray) -> None:
        self.venv.step_async(actions)

    def step_wait(self) -> Any:
        obs, rewards, dones, infos = self.venv.step_wait()
        self.feeder.consumed(dones)  # SB3 resets a finished sub-environment in the same step
        found = [(i, info[OUTCOME_KEY]) for i, info in enumerate(infos) if isinstance(info.get(OUTCOME_KEY), Outcome)]
        if found:
            self.feeder.forward(found)
        self._top_up()
        return obs, rewards, dones, infos


def make_sb3_vec_env(
    env_fn: Callable[[], gymnasium.Env],
    num_envs: int,
    teacher: Any,
    *,
    subprocess: bool = True,
    set_task: SetTaskFn | None = None,
    score: ScoreFn | None = None,
    return_bounds: tuple[float, float] | None = None,
    depth: int = 8,
    monitor: bool = True,
    start_method: str | None = None,
) -> TaskVecEnv:
    """Build a ``SubprocVecEnv`` (or ``DummyVecEnv``) of ``num_envs`` copies of ``env_fn()`` taught by ``teacher``.

    Each copy is ``Monitor(TaskWrapper(env_fn(), None, ...))`` (``monitor=False``
    drops the ``Monitor``, which SB3 uses to log episode returns).
    """
    if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"make_sb3_vec_env: num_envs must be a positive integer, got {num_envs!r}")

    def wrapped() -> gymnasium.Env:
        env: gymnasium.Env = TaskWrapper(env_fn(), None, set_task=set_task, score=score, return_bounds=return_bounds)
        if monitor:
            from stable_baselines3.common.monitor import Monitor

            env = Monitor(env)
        return env

    fns = [wrapped] * int(num_envs)
    venv = SubprocVecEnv(fns, start_method=start_method) if subprocess else DummyVecEnv(fns)
    return TaskVecEnv(venv, teacher, depth=depth)
