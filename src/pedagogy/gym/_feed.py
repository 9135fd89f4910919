"""Main-process bookkeeping shared by the gymnasium and Stable-Baselines3 vector wrappers.

The teacher lives in the main process.  Each sub-environment (maybe in a worker
process) holds a small queue of tasks proposed ahead of time, because vector
envs reset their sub-environments themselves, without options.  :class:`TaskFeeder`
tracks how many tasks every queue still holds, decides when to top them up (one
batched ``propose`` and one round trip to the workers for all of them), and
forwards each finished episode's :class:`Outcome` to the teacher exactly once.

The wire format between the sub-environments and the main process is cheap:
:class:`~pedagogy.gym.VectorTaskWrapper` switches its sub-environments to
*tickets* (``pedagogy_compact``): an episode's reset and end put one integer
in ``info`` (``pedagogy_ticket``: the episode's number, the serial number of
its task among those sent to the sub-environment, and whether it was planned)
and a reported end one float (``pedagogy_score``), instead of the task and a
pickled :class:`Outcome`.  Plain numbers cost little to pickle in a worker and
to merge in gymnasium's ``_add_info``.  The main process, which sent the
tasks, keeps each one until its episode is over, looks every ticket's task up
(:meth:`TaskFeeder.task_of`) and puts ``info["task"]`` and
``info["pedagogy_outcome"]`` where the sub-environment would have put them,
so the vector env's ``info`` is the same as with full objects.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Outcome", "TaskFeeder", "OUTCOME_KEY"]

#: the ``info`` key under which a sub-environment reports a finished episode
OUTCOME_KEY = "pedagogy_outcome"
#: the wire format's ``info`` keys (see the module docstring); the main process removes them
TICKET_KEY = "pedagogy_ticket"
SCORE_KEY = "pedagogy_score"
_EPISODE_SHIFT = 32


def encode_ticket(episode: int, serial: int, planned: bool) -> int:
    """One integer for (episode number, serial number of the task, planned): an int64 below 2**31 episodes and tasks."""
    return (episode << _EPISODE_SHIFT) | (serial << 1) | int(planned)


def decode_ticket(ticket: int) -> tuple[int, int, bool]:
    """``(episode, serial, planned)`` from :func:`encode_ticket`'s integer."""
    t = int(ticket)
    return t >> _EPISODE_SHIFT, (t & 0xFFFFFFFF) >> 1, bool(t & 1)


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
        self._low = True  # some queue may be empty: refill() must look
        self.last_episode = [0] * self.num_envs
        # The tasks sent to each sub-environment whose episodes may not be over: _sent[i][0] has
        # serial number _base[i] (the k-th task sent to a sub-environment has serial number k).
        self._sent: list[deque[Any]] = [deque() for _ in range(self.num_envs)]
        self._base = [1] * self.num_envs
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
                if q[i] == 0:
                    self._low = True

    def refill(self, force: bool = False) -> list[list[Any]] | None:
        """Tasks to append to each queue, or ``None`` when every queue still has one.

        Every sub-environment may reset at its next step, so each queue must
        hold at least one task before any step; when one does not, all of them
        are topped up to ``depth`` with a single batched ``propose``.
        """
        if not force and not self._low:
            return None
        self._low = False
        need = [max(self.depth - q, 0) for q in self.queued]
        total = sum(need)
        if total == 0:
            return None
        tasks = self.teacher.propose(total)
        out: list[list[Any]] = []
        start = 0
        for i, k in enumerate(need):
            out.append(list(tasks[start : start + k]))
            self._sent[i].extend(out[-1])
            start += k
        self.queued = [q + k for q, k in zip(self.queued, need)]
        self.n_refills += 1
        return out

    def task_of(self, env: int, serial: int) -> Any:
        """The task with serial number ``serial`` among those sent to sub-environment ``env`` (a ticket's).

        A sub-environment plays its tasks in the order they were sent, so the
        ones before ``serial`` are over and are dropped: the main process holds
        the queue's tasks and the one in play, no more.
        """
        sent, drop = self._sent[env], serial - self._base[env]
        if drop < 0 or drop >= len(sent):
            raise RuntimeError(
                f"pedagogy.gym: sub-environment {env} played task number {serial}, but the tasks it may still play are "
                f"numbers {self._base[env]} to {self._base[env] + len(sent) - 1}; were tasks queued to it by another route?"
            )
        for _ in range(drop):
            sent.popleft()
        self._base[env] = serial
        return sent[0]

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


def put_info(info: dict[str, Any], key: str, value: Any, env: int, num_envs: int) -> None:
    """``info[key][env] = value`` and ``info["_" + key][env] = True``, with the arrays gymnasium's vector ``_add_info`` makes."""
    array = info.get(key)
    if array is None:
        if type(value) in (int, float, bool) or isinstance(value, np.number):
            array = np.zeros(num_envs, dtype=type(value))
        elif isinstance(value, np.ndarray):
            array = np.zeros((num_envs, *value.shape), dtype=value.dtype)
        else:
            array = np.full(num_envs, fill_value=None, dtype=object)
        info[key] = array
    array[env] = value
    mask = info.get("_" + key)
    if mask is None:
        mask = info["_" + key] = np.zeros(num_envs, dtype=np.bool_)
    mask[env] = True


def read_vector_info(info: dict[str, Any], feeder: TaskFeeder) -> list[tuple[int, Outcome]]:
    """Collect ``(env_index, Outcome)`` pairs from a gymnasium vector ``info`` dict, decoding its tickets in place.

    Outcomes sit at the top level (``NEXT_STEP``, ``DISABLED``) or under
    ``final_info`` (``SAME_STEP``, where the top level is the reset's info).
    Each ticket is replaced by ``info["task"]`` (and, at a reported end,
    ``info["pedagogy_outcome"]``), as the sub-environment would have put them.
    """
    found: list[tuple[int, Outcome]] = []
    if TICKET_KEY not in info and OUTCOME_KEY not in info and "final_info" not in info:  # most steps end no episode
        return found
    for d in (info.get("final_info"), info):  # SAME_STEP: the episode that ended, then the one that began
        if not isinstance(d, dict):
            continue
        if OUTCOME_KEY in d:  # full objects: from a sub-environment that had no ticket for its task
            values = d[OUTCOME_KEY]
            mask = d.get("_" + OUTCOME_KEY)
            for i in np.flatnonzero(mask) if mask is not None else range(len(values)):
                o = values[i]
                if isinstance(o, Outcome):
                    found.append((int(i), o))
        if TICKET_KEY in d:
            tickets, has = d.pop(TICKET_KEY), d.pop("_" + TICKET_KEY)
            scores, scored = d.pop(SCORE_KEY, None), d.pop("_" + SCORE_KEY, None)
            n = len(has)
            for i in has.nonzero()[0].tolist():
                episode, serial, planned = decode_ticket(tickets[i])
                task = feeder.task_of(i, serial)
                put_info(d, "task", task, i, n)
                if scored is not None and scored[i]:
                    o = Outcome(episode, task, float(scores[i]), planned)
                    put_info(d, OUTCOME_KEY, o, i, n)
                    found.append((i, o))
    return found
