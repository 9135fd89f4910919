"""Task spaces: what a teacher may propose.

* :class:`Box` — continuous task parameters (``low <= x <= high``, any number of
  dimensions).  A task is a 1-D ``numpy`` float array.
* :class:`Discrete` — a finite set of named tasks (exercises, environment seeds,
  data distributions).  A task is the name the user gave (``str`` or ``int``),
  never an internal index.
* :class:`SkillGraph` — skills with prerequisites (a DAG), optionally with items
  (exercises) mapped to skills.  It is a :class:`Discrete` space over its items,
  or over its skills when no items are given.

Every space is JSON-serialisable with :meth:`Space.to_dict` and
:func:`from_dict`, compares by value and has a readable ``repr``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Generic, TypeVar, cast

import numpy as np

TaskName = str | int

__all__ = ["Space", "Box", "Discrete", "SkillGraph", "from_dict", "TaskName"]


#: the type of one task of a space
T = TypeVar("T")


class Space(Generic[T]):
    """Base class of task spaces; ``Space[T]`` holds tasks of type ``T`` (as Gymnasium's ``Space[T]``)."""

    kind: str = ""

    def contains(self, task: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int | None = None) -> Any:  # pragma: no cover
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def __contains__(self, task: Any) -> bool:
        return self.contains(task)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Space) and type(self) is type(other) and self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self.to_dict()))


def _check_n(n: int | None) -> None:
    if n is not None and (isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0):
        raise ValueError(f"sample size n must be a non-negative integer, got {n!r}")


class Box(Space[np.ndarray]):
    """A continuous box of task parameters, ``low[i] <= x[i] <= high[i]``.

    Parameters
    ----------
    low, high : sequence of float
        Bounds per dimension (same length, finite, ``low < high``).
    names : sequence of str, optional
        A name per dimension, for reports and plots.
    """

    kind = "box"

    def __init__(self, low: Sequence[float], high: Sequence[float], names: Sequence[str] | None = None):
        lo = np.asarray(low, dtype=float).reshape(-1)
        hi = np.asarray(high, dtype=float).reshape(-1)
        if lo.shape != hi.shape:
            raise ValueError(f"Box: low has {lo.size} dimensions but high has {hi.size}")
        if lo.size == 0:
            raise ValueError("Box: needs at least one dimension")
        if not (np.all(np.isfinite(lo)) and np.all(np.isfinite(hi))):
            raise ValueError("Box: bounds must be finite")
        bad = np.flatnonzero(~(lo < hi))
        if bad.size:
            i = int(bad[0])
            raise ValueError(f"Box: low[{i}]={lo[i]} is not below high[{i}]={hi[i]}")
        if names is not None:
            names = [str(x) for x in names]
            if len(names) != lo.size:
                raise ValueError(f"Box: {len(names)} names for {lo.size} dimensions")
            if len(set(names)) != len(names):
                raise ValueError("Box: dimension names must be unique")
        self.low = lo
        self.high = hi
        self.low.flags.writeable = False
        self.high.flags.writeable = False
        self.names: list[str] | None = names

    @property
    def ndim(self) -> int:
        """Number of task parameters."""
        return int(self.low.size)

    @property
    def shape(self) -> tuple[int]:
        return (self.ndim,)

    def as_task(self, task: Any) -> np.ndarray | None:
        """Return ``task`` as a float array of this space's shape, or ``None`` if it is not one."""
        try:
            x = np.asarray(task, dtype=float)
        except (TypeError, ValueError):
            return None
        if x.shape != (self.ndim,):
            return None
        return x

    def contains(self, task: Any) -> bool:
        x = self.as_task(task)
        # NaN fails both comparisons and infinities fail the finite bounds.
        return x is not None and bool(((x >= self.low) & (x <= self.high)).all())

    def sample(self, rng: np.random.Generator, n: int | None = None) -> np.ndarray:
        """Uniform sample: shape ``(ndim,)`` if ``n`` is None, else ``(n, ndim)``."""
        _check_n(n)
        size = (self.ndim,) if n is None else (int(n), self.ndim)
        return rng.uniform(self.low, self.high, size=size)

    def clip(self, task: Any) -> np.ndarray:
        """Clip a point (or an ``(n, ndim)`` array of points) into the box."""
        return np.clip(np.asarray(task, dtype=float), self.low, self.high)

    def normalize(self, task: Any) -> np.ndarray:
        """Map points to the unit cube ``[0, 1]^ndim``."""
        return (np.asarray(task, dtype=float) - self.low) / (self.high - self.low)

    def denormalize(self, unit: Any) -> np.ndarray:
        """Map points of the unit cube back into the box."""
        return self.low + np.asarray(unit, dtype=float) * (self.high - self.low)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.kind, "low": self.low.tolist(), "high": self.high.tolist()}
        if self.names is not None:
            d["names"] = list(self.names)
        return d

    def __repr__(self) -> str:
        names = f", names={self.names!r}" if self.names is not None else ""
        return f"Box(low={self.low.tolist()!r}, high={self.high.tolist()!r}{names})"


def _is_task_name(x: Any) -> bool:
    return isinstance(x, (str, int, np.integer)) and not isinstance(x, (bool, np.bool_))


class Discrete(Space[TaskName]):
    """A finite set of named tasks.

    Parameters
    ----------
    tasks : int or sequence of (str or int)
        The task names, unique; an integer ``n`` means the tasks ``0 .. n-1``.
    difficulty : sequence of float or mapping task -> float, optional
        A known difficulty per task (any real scale, higher is harder), used by
        teachers such as ``ability-matched``.
    """

    kind = "discrete"

    def __init__(self, tasks: int | Iterable[TaskName], difficulty: Sequence[float] | Mapping[TaskName, float] | None = None):
        if isinstance(tasks, (int, np.integer)) and not isinstance(tasks, bool):
            if tasks <= 0:
                raise ValueError(f"Discrete: needs at least one task, got n={tasks}")
            names: list[TaskName] = list(range(int(tasks)))
            self._range = True
        else:
            if isinstance(tasks, (str, bytes)):
                raise ValueError("Discrete: tasks must be a sequence of names or an integer count, not a string")
            names = []
            for t in cast(Iterable[TaskName], tasks):
                if not _is_task_name(t):
                    raise ValueError(f"Discrete: task names must be str or int, got {t!r} ({type(t).__name__})")
                names.append(int(t) if isinstance(t, np.integer) else t)
            if not names:
                raise ValueError("Discrete: needs at least one task")
            self._range = names == list(range(len(names)))
        # Built in C; a duplicate shows as a shorter dict (then found for the message).
        self._index: dict[TaskName, int] = dict(zip(names, range(len(names))))
        if len(self._index) != len(names):
            seen: set[TaskName] = set()
            dup = next(t for t in names if t in seen or seen.add(t))  # type: ignore[func-returns-value]
            raise ValueError(f"Discrete: task {dup!r} appears more than once")
        self.tasks: list[TaskName] = names
        self.difficulty: np.ndarray | None = None
        if difficulty is not None:
            if isinstance(difficulty, Mapping):
                missing = [t for t in names if t not in difficulty]
                extra = [t for t in difficulty if t not in self._index]
                if extra:
                    raise ValueError(f"Discrete: difficulty given for unknown task {extra[0]!r}")
                if missing:
                    raise ValueError(f"Discrete: no difficulty for task {missing[0]!r}")
                diff = np.array([float(difficulty[t]) for t in names])
            else:
                diff = np.asarray(difficulty, dtype=float).reshape(-1)
                if diff.size != len(names):
                    raise ValueError(f"Discrete: {diff.size} difficulties for {len(names)} tasks")
            if not np.all(np.isfinite(diff)):
                raise ValueError("Discrete: difficulties must be finite numbers")
            diff.flags.writeable = False
            self.difficulty = diff

    @property
    def n(self) -> int:
        """Number of tasks."""
        return len(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)

    def index(self, task: Any) -> int:
        """Internal index of ``task``; ``KeyError`` if it is not in the space."""
        if not _is_task_name(task):
            raise KeyError(task)
        return self._index[task]

    def contains(self, task: Any) -> bool:
        try:
            self.index(task)
        except (KeyError, TypeError):
            return False
        return True

    def sample(self, rng: np.random.Generator, n: int | None = None) -> Any:
        """Uniform sample of task names: one name, or a list of ``n``."""
        _check_n(n)
        if n is None:
            return self.tasks[int(rng.integers(len(self.tasks)))]
        return [self.tasks[int(i)] for i in rng.integers(len(self.tasks), size=int(n))]

    def _base_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"type": self.kind}
        if self._range:
            d["n"] = len(self.tasks)
        else:
            d["tasks"] = list(self.tasks)
        if self.difficulty is not None:
            d["difficulty"] = self.difficulty.tolist()
        return d

    def to_dict(self) -> dict[str, Any]:
        return self._base_dict()

    def __repr__(self) -> str:
        if self._range:
            body = str(len(self.tasks))
        elif len(self.tasks) <= 8:
            body = repr(self.tasks)
        else:
            body = f"[{', '.join(map(repr, self.tasks[:4]))}, ... {len(self.tasks)} tasks]"
        diff = ", difficulty=[...]" if self.difficulty is not None else ""
        return f"Discrete({body}{diff})"


class SkillGraph(Discrete):
    """Skills with prerequisites, optionally with items (exercises) mapped to skills.

    Parameters
    ----------
    prerequisites : mapping skill -> list of skills
        Every skill is a key; its value lists the skills that must be known
        first.  The graph must be acyclic and name only known skills.
    items : mapping item -> skill or list of skills, optional
        Exercises and the skills each one practises.  When given, the space's
        tasks are the items; otherwise they are the skills.
    difficulty : optional
        As for :class:`Discrete`, per task.
    """

    kind = "skill_graph"

    def __init__(
        self,
        prerequisites: Mapping[str, Sequence[str]],
        items: Mapping[TaskName, str | Sequence[str]] | None = None,
        difficulty: Sequence[float] | Mapping[TaskName, float] | None = None,
    ):
        if not isinstance(prerequisites, Mapping) or not prerequisites:
            raise ValueError("SkillGraph: prerequisites must be a non-empty mapping skill -> list of skills")
        prereq: dict[str, list[str]] = {}
        for skill, pre in prerequisites.items():
            if not isinstance(skill, str):
                raise ValueError(f"SkillGraph: skill names must be str, got {skill!r}")
            if isinstance(pre, str):
                raise ValueError(f"SkillGraph: prerequisites of {skill!r} must be a list of skills, not a string")
            pre = list(pre)
            for p in pre:
                if p not in prerequisites:
                    raise ValueError(f"SkillGraph: skill {skill!r} has unknown prerequisite {p!r}")
                if p == skill:
                    raise ValueError(f"SkillGraph: skill {skill!r} is its own prerequisite (cycle {skill} -> {skill})")
            if len(set(pre)) != len(pre):
                raise ValueError(f"SkillGraph: prerequisites of {skill!r} repeat a skill")
            prereq[skill] = pre
        self.prerequisites: dict[str, list[str]] = prereq
        self.skills: list[str] = self._topological_order(prereq)

        self.items: dict[TaskName, list[str]] | None = None
        if items is not None:
            if not isinstance(items, Mapping) or not items:
                raise ValueError("SkillGraph: items must be a non-empty mapping item -> skill(s)")
            mapped: dict[TaskName, list[str]] = {}
            for item, sk in items.items():
                sks = [sk] if isinstance(sk, str) else list(sk)
                if not sks:
                    raise ValueError(f"SkillGraph: item {item!r} practises no skill")
                for s in sks:
                    if s not in prereq:
                        raise ValueError(f"SkillGraph: item {item!r} maps to unknown skill {s!r}")
                mapped[item] = sks
            self.items = mapped
            task_names: list[TaskName] = list(mapped)
        else:
            task_names = list(self.skills)
        super().__init__(task_names, difficulty=difficulty)
        self._skill_index = {s: i for i, s in enumerate(self.skills)}

    @staticmethod
    def _topological_order(prereq: dict[str, list[str]]) -> list[str]:
        """Kahn's algorithm, stable in the given key order; names a cycle if there is one."""
        indeg = {s: len(p) for s, p in prereq.items()}
        children: dict[str, list[str]] = {s: [] for s in prereq}
        for s, pre in prereq.items():
            for p in pre:
                children[p].append(s)
        order: list[str] = []
        ready = [s for s in prereq if indeg[s] == 0]
        while ready:
            s = ready.pop(0)
            order.append(s)
            for c in children[s]:
                indeg[c] -= 1
                if indeg[c] == 0:
                    ready.append(c)
        if len(order) != len(prereq):
            left = {s for s in prereq if indeg[s] > 0}
            # Walk prerequisites inside the remainder until a skill repeats: that is a cycle.
            start = next(s for s in prereq if s in left)
            path, seen = [start], {start: 0}
            while True:
                nxt = next(p for p in prereq[path[-1]] if p in left)
                if nxt in seen:
                    cycle = path[seen[nxt] :] + [nxt]
                    break
                seen[nxt] = len(path)
                path.append(nxt)
            raise ValueError("SkillGraph: prerequisite cycle " + " -> ".join(reversed(cycle)))
        return order

    def skill_index(self, skill: str) -> int:
        """Position of ``skill`` in :attr:`skills` (topological order)."""
        return self._skill_index[skill]

    def skills_of(self, task: TaskName) -> list[str]:
        """The skills a task practises (the task itself when the tasks are skills)."""
        if self.items is None:
            if task not in self._skill_index:
                raise KeyError(task)
            return [str(task)]
        return list(self.items[task])

    def items_of(self, skill: str) -> list[TaskName]:
        """The tasks that practise ``skill``."""
        if skill not in self._skill_index:
            raise KeyError(skill)
        if self.items is None:
            return [skill]
        return [it for it, sks in self.items.items() if skill in sks]

    def to_dict(self) -> dict[str, Any]:
        # Pairs, not a JSON object: task order follows skill order, and JSON
        # tools may reorder object keys.
        d: dict[str, Any] = {"type": self.kind, "prerequisites": [[s, list(p)] for s, p in self.prerequisites.items()]}
        if self.items is not None:
            # JSON object keys must be strings; keep item names exact with a list of pairs.
            d["items"] = [[it, list(sks)] for it, sks in self.items.items()]
        if self.difficulty is not None:
            d["difficulty"] = self.difficulty.tolist()
        return d

    def __repr__(self) -> str:
        items = f", items={len(self.items)}" if self.items is not None else ""
        return f"SkillGraph(skills={len(self.skills)}{items})"


def from_dict(d: Mapping[str, Any]) -> Space:
    """Rebuild a space from :meth:`Space.to_dict` output."""
    if not isinstance(d, Mapping) or "type" not in d:
        raise ValueError(f"spaces.from_dict: expected a dict with a 'type' key, got {d!r:.80}")
    kind = d["type"]
    if kind == Box.kind:
        return Box(d["low"], d["high"], names=d.get("names"))
    if kind == Discrete.kind:
        return Discrete(d["n"] if "n" in d else d["tasks"], difficulty=d.get("difficulty"))
    if kind == SkillGraph.kind:
        items = d.get("items")
        pre = d["prerequisites"]
        return SkillGraph(
            dict(pre) if isinstance(pre, list) else pre,
            items={it: sks for it, sks in items} if items is not None else None,
            difficulty=d.get("difficulty"),
        )
    raise ValueError(f"spaces.from_dict: unknown space type {kind!r} (known: box, discrete, skill_graph)")
