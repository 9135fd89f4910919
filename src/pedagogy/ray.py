"""Ray: one teacher as an actor, shared by many rollout workers.

:class:`RemoteTeacher` starts a Ray actor holding a copy of a teacher and
gives a handle with the teacher's API (``propose``, ``observe``,
``state_dict``, ``report``).  The handle can be passed to Ray tasks and
actors.  ``observe`` only appends to a buffer in the calling process; the
buffer goes to the actor in one call every ``flush_every`` observations, and
before ``propose`` / ``state_dict`` / ``report``, so the actor stays off the
rollout workers' hot path.  Calls from one process reach the actor in the
order they were made.  Needs the ``ray`` extra.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any, cast

import ray

from pedagogy import teachers
from pedagogy.spaces import Space, from_dict

__all__ = ["RemoteTeacher"]


class _TeacherActor:
    """The actor: a teacher rebuilt from its state, driven by batched calls."""

    def __init__(self, state: dict[str, Any]):
        self.teacher = teachers.load(state)

    def describe(self) -> dict[str, Any]:
        t = self.teacher
        return {"name": t.name, "space": t.space.to_dict(), "requires_proposed": bool(t.requires_proposed)}

    def propose(self, n: int | None) -> Any:
        return self.teacher.propose(n)

    def observe(self, tasks: list[Any], scores: list[float]) -> int:
        self.teacher.observe(tasks, scores)
        return len(tasks)

    def propose_after(self, tasks: list[Any], scores: list[float], n: int | None) -> Any:
        """Observe a batch then propose: one round trip for the common flush-then-propose."""
        if tasks:
            self.teacher.observe(tasks, scores)
        return self.teacher.propose(n)

    def state_dict(self) -> dict[str, Any]:
        return self.teacher.state_dict()

    def report(self) -> dict[str, Any]:
        return self.teacher.report()

    def counts(self) -> tuple[int, int]:
        return self.teacher.n_proposed, self.teacher.n_observed


_Actor = ray.remote(_TeacherActor)


def _unwrap(exc: BaseException) -> BaseException:
    """A teacher's ValueError raised in the actor, as a plain ValueError here."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, ValueError):
        return ValueError(str(cause))
    return exc


class RemoteTeacher:
    """A teacher living in a Ray actor; this handle has the teacher's API.

    Parameters
    ----------
    teacher : Teacher or its ``state_dict()``
        The actor starts from a copy of it (the object passed in is not
        updated afterwards).
    flush_every : int
        Buffered observations sent to the actor in one call.
    max_in_flight : int
        Unconfirmed flushes allowed before ``observe`` waits for the oldest
        (back-pressure, and errors surface within this many flushes).
    actor_options : dict, optional
        Passed to ``.options(...)`` of the actor (``name``, ``num_cpus``...).

    Notes
    -----
    Call :meth:`flush` (or use ``with handle:``) at the end of a worker so
    its last buffered observations are sent.
    """

    def __init__(
        self,
        teacher: teachers.Teacher | Mapping[str, Any],
        flush_every: int = 256,
        max_in_flight: int = 4,
        actor_options: dict[str, Any] | None = None,
    ):
        for key, v in (("flush_every", flush_every), ("max_in_flight", max_in_flight)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"RemoteTeacher: {key} must be a positive integer, got {v!r}")
        if isinstance(teacher, teachers.Teacher):
            state = teacher.state_dict()
        elif isinstance(teacher, Mapping):
            state = dict(teacher)
            teachers.load(state)  # a bad state fails here, with the loader's message
        else:
            raise ValueError(f"RemoteTeacher: needs a pedagogy Teacher or its state_dict(), got {teacher!r}")
        # Any: ray types the handle's methods as the plain methods of _TeacherActor (no ``.remote``)
        self._actor: Any = cast(Any, _Actor.options(**(actor_options or {})).remote(state))
        self._init(ray.get(self._actor.describe.remote()), flush_every, max_in_flight)

    def _init(self, desc: dict[str, Any], flush_every: int, max_in_flight: int) -> None:
        self._desc = desc
        self.name: str = desc["name"]
        self.space: Space = from_dict(desc["space"])
        self.requires_proposed: bool = desc["requires_proposed"]
        self.flush_every = flush_every
        self.max_in_flight = max_in_flight
        self._tasks: list[Any] = []
        self._scores: list[float] = []
        self._in_flight: list[Any] = []

    # A copy sent to another process shares the actor but not this process's buffer.
    def __getstate__(self) -> dict[str, Any]:
        return {"actor": self._actor, "desc": self._desc, "flush_every": self.flush_every, "max_in_flight": self.max_in_flight}

    def __setstate__(self, d: dict[str, Any]) -> None:
        self._actor = d["actor"]
        self._init(d["desc"], d["flush_every"], d["max_in_flight"])

    # ----------------------------------------------------------------- buffer
    def observe(self, task: Any, score: Any) -> None:
        """Buffer one observation, or lists of tasks and scores; sent every ``flush_every``."""
        if isinstance(score, Real) and not isinstance(score, bool):
            tasks, scores = [task], [score]
        else:
            try:
                tasks, scores = list(task), list(score)
            except TypeError:
                raise ValueError(f"RemoteTeacher({self.name}): observe needs a score or sequences of tasks and scores") from None
            if len(tasks) != len(scores):
                raise ValueError(f"RemoteTeacher({self.name}): observe got {len(tasks)} tasks but {len(scores)} scores")
        for s in scores:  # cheap checks here; the actor's teacher checks the rest
            if isinstance(s, bool) or not isinstance(s, Real) or not math.isfinite(s):
                raise ValueError(f"RemoteTeacher({self.name}): score must be a finite real number, got {s!r}")
        self._tasks.extend(tasks)
        self._scores.extend(float(s) for s in scores)
        if len(self._tasks) >= self.flush_every:
            self._send()

    def _send(self) -> None:
        if self._tasks:
            self._in_flight.append(self._actor.observe.remote(self._tasks, self._scores))
            self._tasks, self._scores = [], []
        while len(self._in_flight) > self.max_in_flight:
            self._wait(self._in_flight.pop(0))

    def _wait(self, ref: Any) -> Any:
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            raise _unwrap(exc) from None

    def flush(self) -> None:
        """Send the buffered observations and wait until the actor has applied all of them."""
        self._send()
        refs, self._in_flight = self._in_flight, []
        for ref in refs:
            self._wait(ref)

    def __enter__(self) -> RemoteTeacher:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.flush()

    # -------------------------------------------------------------- teacher API
    def propose(self, n: int | None = None) -> Any:
        """Propose one task or ``n``; buffered observations are applied first."""
        refs, self._in_flight = self._in_flight, []
        for ref in refs:
            self._wait(ref)
        tasks, scores = self._tasks, self._scores
        self._tasks, self._scores = [], []
        return self._wait(self._actor.propose_after.remote(tasks, scores, n))

    def state_dict(self) -> dict[str, Any]:
        """The actor's teacher state (after every buffered observation): ``teachers.load`` resumes it."""
        self.flush()
        return self._wait(self._actor.state_dict.remote())

    def report(self) -> dict[str, Any]:
        """The actor's teacher report (after every buffered observation)."""
        self.flush()
        return self._wait(self._actor.report.remote())

    @property
    def n_observed(self) -> int:
        """Observations the actor has applied (this process's buffer is flushed first)."""
        self.flush()
        return self._wait(self._actor.counts.remote())[1]

    @property
    def n_proposed(self) -> int:
        """Tasks the actor has proposed."""
        return self._wait(self._actor.counts.remote())[0]

    def to_teacher(self) -> teachers.Teacher:
        """A local copy of the actor's teacher, as it is now."""
        return teachers.load(self.state_dict())

    def close(self) -> None:
        """Flush, then stop the actor."""
        self.flush()
        ray.kill(self._actor)

    def __repr__(self) -> str:
        return f"RemoteTeacher({self.name!r}, {self.space!r}, flush_every={self.flush_every})"
