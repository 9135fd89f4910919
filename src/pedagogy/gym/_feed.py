"""Main-process bookkeeping shared by the gymnasium and Stable-Baselines3 vector wrappers.

The teacher lives in the main process.  Each sub-environment (maybe in a worker
process) holds a small queue of tasks proposed ahead of time, because vector
envs reset their sub-environments themselves, without options.  :class:`TaskFeeder`
tracks how many tasks every queue still holds, decides when to top them up (one
batched ``propose`` and one round trip to the workers for all of them), and
forwards each finished episode's :class:`Outcome` to the teacher exactly once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Outcome", "TaskFeeder", "OUTCOME_KEY"]

#: the ``info`` key under which a sub-environment reports a finished episode
OUTCOME_KEY = "pedagogy_outcome"


@dataclass(frozen=True, slots=True)
class Outcome:
    """One finished episode: the task it was played on and the score for the teacher.

    ``episode`` counts the sub-environment's episodes from 1, so the main
    process can drop a report it has already forwarded.  ``planned`` is False
    when the sub-environment ran out of queued tasks and replayed its last one.
    """

    episode: int
    task: Any
    score: float
    planned: bool = True


class TaskFeeder:
    """Keep ``num_envs`` task queues filled from ``teacher`` and forward outcomes to it.

    ``depth`` tasks are queued per sub-environment; when a queue is about to
    run dry every queue is topped up at once, so refills (a round trip to all
    workers) happen about once per ``depth`` episodes of the fastest
    sub-environment, not at every episode.
    """

    def __init__(self, teacher: Any, num_envs: int, depth: int = 8):
        if not (callable(getattr(teacher, "propose", None)) and callable(getattr(teacher, "observe", None))):
            raise ValueError(f"teacher must have propose() and observe() (a pedagogy teacher or RemoteTeacher), got {teacher!r}")
        if isinstance(depth, bool) or not isinstance(depth, (int, np.integer)) or depth < 1:
            raise ValueError(f"queue depth must be a positive integer, got {depth!r}")
        self.teacher = teacher
        self.num_envs = int(num_envs)
        self.depth = int(depth)
        #: tasks each sub-environment's queue still holds (as far as the main process knows)
        self.queued = [0] * self.num_envs
        self.last_episode = [0] * self.num_envs
        self._requires_proposed = bool(getattr(teacher, "requires_proposed", False))
        #: counters for logs and tests
        self.n_forwarded = 0
        self.n_duplicates = 0
        self.n_unplanned = 0
        self.n_refills = 0

    def consumed(self, mask: Sequence[bool] | np.ndarray) -> None:
        """Sub-environments in ``mask`` have just taken one task from their queue each."""
        m = np.asarray(mask, dtype=bool)
        if m.any():  # most steps end no episode
            q = self.queued
            for i in np.flatnonzero(m).tolist():
                if q[i] > 0:
                    q[i] -= 1

    def refill(self, force: bool = False) -> list[list[Any]] | None:
        """Tasks to append to each queue, or ``None`` when every queue still has one.

        Every sub-environment may reset at its next step, so each queue must
        hold at least one task before any step; when one does not, all of them
        are topped up to ``depth`` with a single batched ``propose``.
        """
        if not force and min(self.queued) >= 1:
            return None
        need = [max(self.depth - q, 0) for q in self.queued]
        total = sum(need)
        if total == 0:
            return None
        tasks = self.teacher.propose(total)
        out: list[list[Any]] = []
        start = 0
        for k in need:
            out.append(list(tasks[start : start + k]))
            start += k
        self.queued = [q + k for q, k in zip(self.queued, need)]
        self.n_refills += 1
        return out

    def forward(self, outcomes: Iterable[tuple[int, Outcome]]) -> int:
        """Send new outcomes ``(env_index, Outcome)`` to the teacher in one batch; return how many."""
        tasks: list[Any] = []
        scores: list[float] = []
        for i, o in outcomes:
            if o.episode <= self.last_episode[i]:
                self.n_duplicates += 1
                continue
            self.last_episode[i] = o.episode
            if not o.planned:
                self.n_unplanned += 1
                if self._requires_proposed:
                    continue  # the teacher only accepts its own proposals
            tasks.append(o.task)
            scores.append(o.score)
        if tasks:
            self.teacher.observe(tasks, scores)
            self.n_forwarded += len(tasks)
        return len(tasks)

    def stats(self) -> dict[str, int]:
        """Counters: outcomes forwarded, duplicates dropped, unplanned episodes, refills."""
        return {
            "forwarded": self.n_forwarded,
            "duplicates": self.n_duplicates,
            "unplanned": self.n_unplanned,
            "refills": self.n_refills,
        }


def check_remote_sub_envs(get_attr: Any, who: str) -> None:
    """Raise a ValueError unless every sub-environment has a ``TaskWrapper(..., teacher=None)``.

    ``get_attr`` is the vector env's ``get_attr``; a teacher inside each
    worker would be a separate copy per process, so the wrapper must own it.
    """
    try:
        remote = get_attr("pedagogy_remote")
    except Exception as exc:  # AttributeError, raised in a worker for subprocess vector envs
        raise ValueError(
            f"{who}: every sub-environment must be wrapped in pedagogy.gym.TaskWrapper(env, teacher=None) "
            f"(could not read its attribute pedagogy_remote: {exc!r})"
        ) from None
    if not all(remote):
        raise ValueError(f"{who}: the sub-environments' TaskWrapper must have teacher=None; {who} owns the teacher")


def outcomes_from_vector_info(info: dict[str, Any]) -> list[tuple[int, Outcome]]:
    """Collect ``(env_index, Outcome)`` pairs from a gymnasium vector ``info`` dict.

    Outcomes sit at the top level (``NEXT_STEP``, ``DISABLED``) or under
    ``final_info`` (``SAME_STEP``, where the top level is the reset's info).
    """
    found: list[tuple[int, Outcome]] = []
    if OUTCOME_KEY not in info and "final_info" not in info:  # most steps end no episode
        return found
    for d in (info, info.get("final_info")):
        if not isinstance(d, dict) or OUTCOME_KEY not in d:
            continue
        values = d[OUTCOME_KEY]
        mask = d.get("_" + OUTCOME_KEY)
        for i in np.flatnonzero(mask) if mask is not None else range(len(values)):
            o = values[i]
            if isinstance(o, Outcome):
                found.append((int(i), o))
    return found
