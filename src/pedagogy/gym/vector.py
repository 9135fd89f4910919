"""``VectorTaskWrapper``: one teacher in the main process for a gymnasium vector env.

Gymnasium 1.x vector envs reset their sub-environments themselves (inside
``step``, in the worker, without options), so a task cannot be handed over at
reset time.  Instead every sub-environment's :class:`~pedagogy.gym.TaskWrapper`
keeps a small queue of tasks proposed ahead; this wrapper keeps the queues
filled (``set_attr``, one round trip to all workers when one queue runs low)
and forwards each finished episode's ``(task, score)`` from ``info`` to the
teacher exactly once.  The sub-environments report with *tickets*, two plain
numbers per episode instead of the task and a pickled outcome; this wrapper
looks the task up and puts ``info["task"]`` and ``info["pedagogy_outcome"]``
back (see :mod:`pedagogy.gym._feed`).  Works with ``SyncVectorEnv`` and ``AsyncVectorEnv`` in
the ``NEXT_STEP``, ``SAME_STEP`` and ``DISABLED`` autoreset modes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

import gymnasium
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv, VectorWrapper

from pedagogy.gym._feed import TaskFeeder, check_remote_sub_envs, read_vector_info
from pedagogy.gym.wrappers import ScoreFn, SetTaskFn, TaskWrapper

__all__ = ["VectorTaskWrapper", "make_vector_env"]


class _SubEnvAccess(Protocol):
    """What ``SyncVectorEnv`` and ``AsyncVectorEnv`` have that gymnasium's ``VectorEnv`` type does not declare."""

    def get_attr(self, name: str) -> tuple[Any, ...]: ...

    def set_attr(self, name: str, values: Any) -> None: ...

    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]: ...


def _sub_envs(env: VectorEnv) -> _SubEnvAccess:
    """``env.unwrapped`` (a ``SyncVectorEnv`` or ``AsyncVectorEnv``), typed with its sub-environment access."""
    return cast(_SubEnvAccess, env.unwrapped)


def _autoreset_mode(env: VectorEnv) -> AutoresetMode:
    mode = env.metadata.get("autoreset_mode", AutoresetMode.NEXT_STEP)
    return AutoresetMode(mode) if not isinstance(mode, AutoresetMode) else mode


class VectorTaskWrapper(VectorWrapper):
    """Feed the sub-environments of ``env`` with tasks from ``teacher``; forward their outcomes.

    Every sub-environment must be wrapped in ``TaskWrapper(..., teacher=None)``
    (:func:`make_vector_env` does that).  ``depth`` tasks are proposed ahead
    per sub-environment.  With ``overlap`` (``AsyncVectorEnv`` only) the
    outcomes of a step reach the teacher during the next step, while the
    workers compute it; :meth:`flush` (also done by ``reset`` and ``close``)
    forwards them at once.  :attr:`feeder` has counters (``feeder.stats()``).
    """

    def __init__(self, env: VectorEnv, teacher: Any, depth: int = 8, overlap: bool = True):
        super().__init__(env)
        check_remote_sub_envs(_sub_envs(env).get_attr, "VectorTaskWrapper")
        self.teacher = teacher
        self.feeder = TaskFeeder(teacher, self.num_envs, depth)
        _sub_envs(env).set_attr("pedagogy_compact", True)  # tickets: the feeder numbers the tasks it sends from here
        self.autoreset_mode = _autoreset_mode(env)
        self._next_step = self.autoreset_mode == AutoresetMode.NEXT_STEP
        self._same_step = self.autoreset_mode == AutoresetMode.SAME_STEP
        self._any_autoreset = False
        self._autoreset = np.zeros(self.num_envs, dtype=bool)
        # With an AsyncVectorEnv the teacher learns from a step's outcomes while
        # the workers run the next step, off the critical path.
        self._overlap = bool(overlap) and isinstance(env, gymnasium.vector.AsyncVectorEnv)
        self._backlog: list[Any] = []

    def flush(self) -> None:
        """Forward the outcomes still held back (``overlap``) to the teacher now."""
        if self._backlog:
            found, self._backlog = self._backlog, []
            self.feeder.forward(found)

    def close(self, **kwargs: Any) -> None:
        self.flush()
        super().close(**kwargs)

    def _top_up(self) -> None:
        tasks = self.feeder.refill()
        if tasks is not None:
            _sub_envs(self.env).set_attr("pedagogy_queue", tasks)

    # gymnasium's VectorWrapper does not forward these; they reach the sub-environments.
    def call(self, name: str, *args: Any, **kwargs: Any) -> tuple[Any, ...]:
        """``call`` on the underlying vector env (a method or attribute of every sub-environment)."""
        return _sub_envs(self.env).call(name, *args, **kwargs)

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """``get_attr`` on the underlying vector env."""
        return _sub_envs(self.env).get_attr(name)

    def set_attr(self, name: str, values: Any) -> None:
        """``set_attr`` on the underlying vector env."""
        _sub_envs(self.env).set_attr(name, values)

    def reset(self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        mask = np.ones(self.num_envs, dtype=bool)
        if options is not None and "reset_mask" in options:
            mask = np.asarray(options["reset_mask"], dtype=bool)
            options = dict(options)  # the vector env pops reset_mask from the dict it is given
        self.flush()
        self._top_up()
        # Sync/AsyncVectorEnv take a list of seeds too; the VectorEnv type declares ``int | None`` only
        obs, info = self.env.reset(seed=seed, options=options)  # type: ignore[arg-type]
        self.feeder.consumed(mask)
        read_vector_info(info, self.feeder)  # the reset's tickets: info["task"]
        self._autoreset[mask] = False
        self._any_autoreset = bool(self._autoreset.any())
        self._top_up()
        return obs, info

    def step(self, actions: Any) -> tuple[Any, Any, Any, Any, dict[str, Any]]:
        if self._overlap:
            async_env = cast(gymnasium.vector.AsyncVectorEnv, self.env)  # _overlap: self.env is one
            async_env.step_async(actions)
            self.flush()  # the previous step's outcomes, while the workers step
            obs, rewards, terminations, truncations, info = async_env.step_wait()
        else:
            obs, rewards, terminations, truncations, info = self.env.step(actions)
        done = terminations | truncations
        if self._next_step:
            if self._any_autoreset:
                self.feeder.consumed(self._autoreset)  # these reset during this step
            self._autoreset = done
            self._any_autoreset = bool(done.any())
        elif self._same_step:
            self.feeder.consumed(done)
        found = read_vector_info(info, self.feeder)
        if found:
            if self._overlap:
                self._backlog.extend(found)
            else:
                self.feeder.forward(found)
        self._top_up()
        return obs, rewards, terminations, truncations, info


def make_vector_env(
    env_fn: Callable[[], gymnasium.Env],
    num_envs: int,
    teacher: Any,
    *,
    vectorization_mode: str = "async",
    autoreset_mode: AutoresetMode | str = AutoresetMode.NEXT_STEP,
    set_task: SetTaskFn | None = None,
    score: ScoreFn | None = None,
    return_bounds: tuple[float, float] | None = None,
    depth: int = 8,
    overlap: bool = True,
    **vector_kwargs: Any,
) -> VectorTaskWrapper:
    """Build a Sync/AsyncVectorEnv of ``num_envs`` copies of ``env_fn()``, all taught by ``teacher``.

    Each copy is wrapped in ``TaskWrapper(env, None, set_task, score,
    return_bounds)`` inside its worker; the result is a :class:`VectorTaskWrapper`.
    ``vector_kwargs`` go to the vector env (``shared_memory``, ``context``...).
    """
    if vectorization_mode not in ("async", "sync"):
        raise ValueError(f"make_vector_env: vectorization_mode must be 'async' or 'sync', got {vectorization_mode!r}")
    if isinstance(num_envs, bool) or not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
        raise ValueError(f"make_vector_env: num_envs must be a positive integer, got {num_envs!r}")
    mode = AutoresetMode(autoreset_mode)

    def wrapped() -> gymnasium.Env:
        return TaskWrapper(env_fn(), None, set_task=set_task, score=score, return_bounds=return_bounds)

    cls = gymnasium.vector.AsyncVectorEnv if vectorization_mode == "async" else gymnasium.vector.SyncVectorEnv
    venv = cls([wrapped] * int(num_envs), autoreset_mode=mode, **vector_kwargs)
    return VectorTaskWrapper(venv, teacher, depth=depth, overlap=overlap)
