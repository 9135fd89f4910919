"""``TaskWrapper``: a gymnasium environment whose task comes from a pedagogy teacher.

At every reset the wrapper takes a task (from its own teacher, or from the
queue a vector wrapper in the main process keeps filled), applies it to the
environment, and at the episode's end reports ``(task, score)``: to its
teacher directly, and in ``info["pedagogy_outcome"]`` for a vector wrapper to
forward.  The current task is in ``info["task"]`` of the reset and of the
episode's last step.  Inside :class:`~pedagogy.gym.VectorTaskWrapper` the
sub-environments send a *ticket* (two numbers) instead of the task and the
outcome, and the vector wrapper puts both back in the vector env's ``info``
(see :mod:`pedagogy.gym._feed`).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol, SupportsFloat, cast

import gymnasium

from pedagogy.gym._feed import OUTCOME_KEY, SCORE_KEY, TICKET_KEY, Outcome, encode_ticket

__all__ = ["TaskWrapper", "normalize_return"]

ScoreFn = Callable[[float, dict[str, Any]], float]
SetTaskFn = Callable[[gymnasium.Env, Any], None]


class _TaskEnv(Protocol):
    """An environment that takes tasks (e.g. :class:`~pedagogy.gym.ParametricMountainCar`); ``gymnasium.Env`` has no ``set_task``."""

    def set_task(self, task: Any) -> None: ...


def normalize_return(episode_return: float, bounds: tuple[float, float]) -> float:
    """Map a return linearly from ``bounds`` = (worst, best) to [0, 1], clipped."""
    lo, hi = bounds
    return float(min(1.0, max(0.0, (episode_return - lo) / (hi - lo))))


def _check_bounds(bounds: Any) -> tuple[float, float] | None:
    if bounds is None:
        return None
    try:
        lo, hi = (float(b) for b in bounds)
    except (TypeError, ValueError):
        raise ValueError(f"TaskWrapper: return_bounds must be a pair (worst, best) of numbers, got {bounds!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"TaskWrapper: return_bounds must be finite with worst < best, got {bounds!r}")
    return lo, hi


class TaskWrapper(gymnasium.Wrapper):
    """Give an environment its task from a teacher; report each episode's score back.

    Parameters
    ----------
    env : gymnasium.Env
        The environment; it must accept a task with ``set_task`` or have
        ``env.unwrapped.set_task(task)``.
    teacher : Teacher, RemoteTeacher or None
        Anything with ``propose()`` / ``observe(task, score)``.  ``None`` inside
        a vector env: :class:`~pedagogy.gym.VectorTaskWrapper` (main process)
        owns the teacher and feeds this wrapper's task queue.
    set_task : callable ``(env, task) -> None``, optional
        How to apply a task; default ``env.unwrapped.set_task(task)``.
    score : callable ``(episode_return, info) -> float``, optional
        The teacher's score for an episode from its return and the last
        step's ``info``; default the return, normalised by ``return_bounds``.
    return_bounds : (worst, best), optional
        Normalise the default score to [0, 1]; ignored when ``score`` is given.

    Notes
    -----
    ``reset(options={"task": t})`` plays ``t`` instead (evaluation); such an
    episode is not reported.  An episode cut short by a reset is not reported
    either: it has no score.
    """

    def __init__(
        self,
        env: gymnasium.Env,
        teacher: Any = None,
        set_task: SetTaskFn | None = None,
        score: ScoreFn | None = None,
        return_bounds: tuple[float, float] | None = None,
    ):
        super().__init__(env)
        if teacher is not None and not (callable(getattr(teacher, "propose", None)) and callable(getattr(teacher, "observe", None))):
            raise ValueError(f"TaskWrapper: teacher must have propose() and observe(), got {teacher!r}")
        if set_task is None and not callable(getattr(env.unwrapped, "set_task", None)):
            raise ValueError(f"TaskWrapper: {type(env.unwrapped).__name__} has no set_task(task) method; pass set_task=(env, task) -> None")
        if set_task is not None and not callable(set_task):
            raise ValueError(f"TaskWrapper: set_task must be callable (env, task) -> None, got {set_task!r}")
        if score is not None and not callable(score):
            raise ValueError(f"TaskWrapper: score must be callable (episode_return, info) -> float, got {score!r}")
        self.teacher = teacher
        self._set_task = set_task
        self._score = score
        self._bounds = _check_bounds(return_bounds)
        self._queue: deque[Any] = deque()
        self.task: Any = None
        self.episode_return = 0.0
        self._running = False
        self._report = False
        self._planned = True
        self._slot: int | None = None
        self._compact = False
        self._serial = 0  # tasks taken from the queue so far
        self._ticket: int | None = None  # the serial number of the task in play, if it came from the queue
        #: episodes started by this wrapper (the id of the current one)
        self.episodes = 0

    # ------------------------------------------------- the vector wrapper's side
    @property
    def pedagogy_remote(self) -> bool:
        """True when tasks come from a vector wrapper's queue (no local teacher)."""
        return self.teacher is None

    @property
    def pedagogy_queue(self) -> list[Any]:
        """The tasks queued for the next resets (read); assigning a list appends it."""
        return list(self._queue)

    @pedagogy_queue.setter
    def pedagogy_queue(self, tasks: list[Any]) -> None:
        # A setter rather than a method so that gymnasium's set_attr(name, values)
        # delivers a different list to every sub-environment in one round trip.
        self._queue.extend(tasks)

    @property
    def pedagogy_compact(self) -> bool:
        """True when this wrapper sends tickets instead of tasks and outcomes (set by the vector wrapper)."""
        return self._compact

    @pedagogy_compact.setter
    def pedagogy_compact(self, on: bool) -> None:
        if self._queue or (on and self.teacher is not None):
            raise RuntimeError("TaskWrapper: pedagogy_compact is for a wrapper with teacher=None, set before any task is queued")
        self._compact, self._serial = bool(on), 0

    def pedagogy_set_slot(self, slot: int) -> None:
        """Remember this sub-environment's index in its vector env (for :meth:`pedagogy_push_slots`)."""
        self._slot = int(slot)

    def pedagogy_push_slots(self, tasks_by_slot: dict[int, list[Any]]) -> None:
        """Append this sub-environment's share of ``tasks_by_slot``.

        Stable-Baselines3's ``env_method`` sends the same arguments to every
        worker, so one broadcast carries the tasks of all of them.
        """
        if self._slot is None:
            raise RuntimeError("TaskWrapper: pedagogy_push_slots before pedagogy_set_slot")
        self._queue.extend(tasks_by_slot.get(self._slot, ()))

    # --------------------------------------------------------------- the episode
    def _next_task(self) -> tuple[Any, bool]:
        if self._queue:
            self._serial += 1
            self._ticket = self._serial
            return self._queue.popleft(), True
        if self.teacher is not None:
            self._ticket = None
            return self.teacher.propose(), True
        if self.task is not None:
            return self.task, False  # queue ran dry: replay the last task, flagged
        raise RuntimeError(
            "TaskWrapper: no task queued and no teacher; with teacher=None wrap the vector env in "
            "pedagogy.gym.VectorTaskWrapper (or pedagogy.gym.sb3.TaskVecEnv), or pass options={'task': ...}"
        )

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        if options and "task" in options:
            options = dict(options)
            task, self._report, self._planned, self._ticket = options.pop("task"), False, True, None
        else:
            task, self._planned = self._next_task()
            self._report = True
        if self._set_task is not None:
            self._set_task(self.env, task)
        else:
            cast(_TaskEnv, self.env.unwrapped).set_task(task)
        self.task = task
        self.episode_return = 0.0
        self.episodes += 1
        self._running = True
        obs, info = self.env.reset(seed=seed, options=options)
        if self._compact and self._ticket is not None:
            info[TICKET_KEY] = encode_ticket(self.episodes, self._ticket, self._planned)
        else:
            info["task"] = task
        return obs, info

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        out = self.env.step(action)
        self.episode_return += float(out[1])
        if not ((out[2] or out[3]) and self._running):
            return out  # most steps: nothing to add
        obs, reward, terminated, truncated, info = out
        self._running = False
        if self._compact and self._ticket is not None:
            # the task and the outcome as two numbers; the vector wrapper puts them back in its info
            info[TICKET_KEY] = encode_ticket(self.episodes, self._ticket, self._planned)
            if self._report:
                if self._score is not None:  # a score function may read info["task"]
                    info["task"] = self.task
                    info[SCORE_KEY] = self.episode_score(self.episode_return, info)
                    del info["task"]
                else:
                    info[SCORE_KEY] = self.episode_score(self.episode_return, info)
            return obs, reward, terminated, truncated, info
        info["task"] = self.task
        if self._report:
            s = self.episode_score(self.episode_return, info)
            info[OUTCOME_KEY] = Outcome(self.episodes, self.task, s, self._planned)
            if self.teacher is not None:
                self.teacher.observe(self.task, s)
        return obs, reward, terminated, truncated, info

    def episode_score(self, episode_return: float, info: dict[str, Any]) -> float:
        """The teacher's score of an episode (see ``score`` and ``return_bounds``)."""
        if self._score is not None:
            return float(self._score(episode_return, info))
        if self._bounds is not None:
            return normalize_return(episode_return, self._bounds)
        return float(episode_return)
