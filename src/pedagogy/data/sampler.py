"""``CurriculumSampler``: a torch ``Sampler`` whose batches come from the groups a teacher picks.

The dataset's rows belong to groups (a data source, a difficulty level, a
skill).  For every batch the teacher proposes groups (one per example, or one
per batch), and rows are drawn from each group in a shuffled order that is
renewed when the group is used up.  ``observe`` feeds per-example signals
back (a loss, an accuracy, an absolute advantage).  The sampler runs in the main
process, so a ``DataLoader`` with workers is fine; ``state_dict`` /
``load_state_dict`` resume the curriculum exactly, batches already handed to
the ``DataLoader`` but never observed included.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
from torch.utils.data import Sampler

from pedagogy import spaces, teachers
from pedagogy.teachers.base import to_jsonable

__all__ = ["CurriculumSampler", "group_labels", "prompt_signal"]


def prompt_signal(rewards: Sequence[float], kind: str = "abs_advantage") -> float | None:
    """One prompt's signal for the teacher from its responses' rewards (RL post-training loops).

    ``"abs_advantage"``: ``mean(|r - mean|) / (std + 1e-4)``, std with Bessel's
    correction (0 for a single response): GRPO's advantage, as DUMP and SEC
    use it; ``"mean_reward"``: the mean reward (a success rate for 0/1
    rewards, for ``lp``, ``tscl``, ``sec-lp``); ``"success_rate"``: the mean
    of the rewards clipped to [0, 1], a success rate whatever the reward's
    scale (for prompt-level teachers, which take a rate in [0, 1]).  NaN
    rewards (unscorable completions) are left out; ``None`` when none is left.
    """
    r = np.asarray([x for x in rewards if x == x], dtype=np.float64)
    if r.size == 0:
        return None
    if kind == "mean_reward":
        return float(r.mean())
    if kind == "success_rate":
        return float(np.clip(r, 0.0, 1.0).mean())
    std = float(r.std(ddof=1)) if r.size > 1 else 0.0
    return float((np.abs(r - r.mean()) / (std + 1e-4)).mean())


STATE_FORMAT = "pedagogy.curriculum_sampler/1"


def _label(x: Any) -> Any:
    """A group label as a plain ``str`` or ``int`` (what a Discrete space takes)."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, bool) or not isinstance(x, (str, int)):
        raise ValueError(f"CurriculumSampler: group labels must be str or int, got {x!r} ({type(x).__name__})")
    return x


def group_labels(groups: Any, dataset: Any = None) -> list[Any]:
    """The group label of every row: from a sequence/array, or a column name of ``dataset``.

    ``dataset`` may be a Hugging Face ``datasets.Dataset`` or a pandas
    ``DataFrame`` (anything with ``dataset[column]`` giving the column).
    """
    if isinstance(groups, str):
        if dataset is None:
            raise ValueError(f"CurriculumSampler: groups={groups!r} is a column name, so pass dataset= (a datasets.Dataset or a DataFrame)")
        try:
            column = dataset[groups]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"CurriculumSampler: dataset has no column {groups!r} ({exc})") from None
        groups = column.tolist() if hasattr(column, "tolist") else list(column)
    elif isinstance(groups, np.ndarray):
        groups = groups.tolist()
    else:
        try:
            groups = list(groups)
        except TypeError:
            raise ValueError(f"CurriculumSampler: groups must be a sequence of labels or a column name, got {groups!r}") from None
    if not groups:
        raise ValueError("CurriculumSampler: the dataset has no rows")
    return [_label(g) for g in groups]


class CurriculumSampler(Sampler[int]):
    """Yield row indices, ``batch_size`` at a time, from the groups ``teacher`` proposes.

    Parameters
    ----------
    groups : sequence of labels, array, a column name (with ``dataset=``), or an int
        The group of every row.  An int ``n`` makes the curriculum
        prompt-level: each of the ``n`` rows is a task of its own, the
        teacher's space is ``Discrete(n)`` (the row indices) and a proposal
        is a row.
    teacher : Teacher or str
        A teacher on ``Discrete`` of the group labels, or a teacher name
        (``"dump"``, ``"sec"``, ``"lp"``...) built on the sorted labels with
        ``seed`` and ``teacher_options``.
    batch_size : int
        Indices per batch (give the ``DataLoader`` the same ``batch_size``).
    num_batches : int, optional
        Batches per iteration (epoch); default ``ceil(rows / batch_size)``.
    per_batch : bool
        False (default): the teacher proposes a group for every example, so a
        batch mixes groups.  True: one group per batch.
    seed : int
        Seeds the within-group shuffles (and the teacher, when given by name).

    With workers a ``DataLoader`` asks for batches ahead of training, so the
    teacher chooses a few batches before it has seen the last signals.
    """

    def __init__(
        self,
        groups: Any,
        teacher: teachers.Teacher | str,
        batch_size: int,
        *,
        dataset: Any = None,
        num_batches: int | None = None,
        per_batch: bool = False,
        seed: int = 0,
        teacher_options: Mapping[str, Any] | None = None,
    ):
        self.prompt_level = isinstance(groups, (int, np.integer)) and not isinstance(groups, bool)
        if self.prompt_level:
            if int(groups) < 1:
                raise ValueError(f"CurriculumSampler: a prompt-level curriculum needs at least one row, got groups={groups!r}")
            labels: list[Any] = list(range(int(groups)))
        else:
            labels = group_labels(groups, dataset)
        for key, v in (("batch_size", batch_size), ("num_batches", num_batches), ("seed", seed)):
            if v is None and key == "num_batches":
                continue
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < (0 if key == "seed" else 1):
                raise ValueError(f"CurriculumSampler: {key} must be a {'non-negative' if key == 'seed' else 'positive'} integer, got {v!r}")
        names = labels if self.prompt_level else sorted(set(labels), key=lambda x: (isinstance(x, str), x))
        if isinstance(teacher, str):
            space = spaces.Discrete(len(labels)) if self.prompt_level else spaces.Discrete(names)
            teacher = teachers.make(teacher, space, seed=int(seed), **dict(teacher_options or {}))
        elif not isinstance(teacher, teachers.Teacher):
            raise ValueError(f"CurriculumSampler: teacher must be a pedagogy Teacher or a teacher name, got {teacher!r}")
        elif teacher_options:
            raise ValueError("CurriculumSampler: teacher_options only apply when the teacher is given by name")
        space = teacher.space
        if not isinstance(space, spaces.Discrete):
            raise ValueError(f"CurriculumSampler: the teacher needs a Discrete space of the group labels, got {space!r}")
        if self.prompt_level:
            if list(space.tasks) != labels:
                raise ValueError(
                    f"CurriculumSampler: a prompt-level teacher needs the space Discrete({len(labels)}) (tasks: the row indices), got {space!r}"
                )
        else:
            missing = [g for g in names if g not in space]
            if missing:
                raise ValueError(f"CurriculumSampler: group {missing[0]!r} of the dataset is not a task of the teacher's space {space!r}")
            known = set(names)
            empty = [t for t in space.tasks if t not in known]
            if empty:
                raise ValueError(f"CurriculumSampler: the teacher's task {empty[0]!r} has no rows in the dataset")
        self.teacher = teacher
        self.batch_size = int(batch_size)
        self.num_batches = int(num_batches) if num_batches is not None else -(-len(labels) // self.batch_size)
        self.per_batch = bool(per_batch)
        self.seed = int(seed)
        self._labels = labels
        self._labels_are_ints = any(isinstance(g, int) for g in names)
        rows: dict[Any, list[int]] = {} if self.prompt_level else {g: [] for g in names}
        if not self.prompt_level:
            for i, x in enumerate(labels):
                rows[x].append(i)
        self._rows: dict[Any, np.ndarray] = {g: np.asarray(r, dtype=np.int64) for g, r in rows.items()}
        self._rng = np.random.default_rng(self.seed)
        self._order: dict[Any, list[int]] = {}  # the current shuffled pass over each group's rows
        self._cursor: dict[Any, int] = {}
        self._pending: deque[list[int]] = deque()  # handed out, not yet known to be trained on
        self._replay: list[list[int]] = []  # pending batches of a resumed run, handed out first
        self._done_in_epoch = 0  # batches of this iteration known to be trained on
        self._resumed = False
        self.epoch = 0

    def __len__(self) -> int:
        return self.num_batches * self.batch_size

    # ----------------------------------------------------------------- drawing
    def _draw(self, group: Any, k: int) -> list[int]:
        if self.prompt_level:
            return [int(group)] * k  # the task is the row
        out: list[int] = []
        while len(out) < k:
            order = self._order.get(group)
            if order is None or self._cursor[group] >= len(order):
                order = self._rng.permutation(self._rows[group]).tolist()
                self._order[group], self._cursor[group] = order, 0
            c = self._cursor[group]
            take = order[c : c + k - len(out)]
            self._cursor[group] = c + len(take)
            out.extend(take)
        return out

    def next_batch(self) -> list[int]:
        """Draw one batch of row indices from the groups the teacher proposes now."""
        if self.per_batch:
            return self._draw(self.teacher.propose(), self.batch_size)
        return self.draw(self.batch_size)

    def draw(self, n: int) -> list[int]:
        """``n`` rows from the teacher's proposals now, outside the iteration (refills, e.g. dynamic sampling)."""
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"CurriculumSampler.draw: n must be a positive integer, got {n!r}")
        chosen = self.teacher.propose(int(n))
        counts: dict[Any, int] = {}
        for g in chosen:
            counts[g] = counts.get(g, 0) + 1
        drawn = {g: iter(self._draw(g, k)) for g, k in counts.items()}
        return [next(drawn[g]) for g in chosen]

    def batches(self) -> Iterator[list[int]]:
        """One iteration's batches (what ``__iter__`` flattens)."""
        if self._resumed:
            self._resumed = False
            replay, self._replay = self._replay, []
        else:
            replay = []
            self._pending.clear()
            self._done_in_epoch = 0
        left = self.num_batches - self._done_in_epoch
        for batch in replay[:left]:
            self._pending.append(batch)
            yield list(batch)
        for _ in range(left - min(len(replay), left)):
            batch = self.next_batch()
            self._pending.append(batch)
            yield list(batch)
        self.epoch += 1

    def __iter__(self) -> Iterator[int]:
        for batch in self.batches():
            yield from batch

    # ---------------------------------------------------------------- feedback
    def group_of(self, index: int) -> Any:
        """The group label of row ``index``."""
        return self._labels[index]

    def observe(self, keys: Sequence[Any], signals: Sequence[float], by: str = "auto") -> None:
        """Report per-example ``signals`` for rows (``by="index"``) or groups (``by="group"``).

        ``by="auto"`` reads ``keys`` as row indices when they are all integers
        and the labels are not (then it must be said).  Observing a batch's
        indices also marks it, and every batch handed out before it, as
        trained on (what :meth:`state_dict` relies on).
        """
        if by not in ("auto", "index", "group"):
            raise ValueError(f"CurriculumSampler.observe: by must be 'auto', 'index' or 'group', got {by!r}")
        keys = keys.tolist() if hasattr(keys, "tolist") else list(keys)
        signals = signals.tolist() if hasattr(signals, "tolist") else list(signals)
        if len(keys) != len(signals):
            raise ValueError(f"CurriculumSampler.observe: {len(keys)} keys but {len(signals)} signals")
        if not keys:
            return
        if by == "auto" and self.prompt_level:
            by = "index"  # the tasks are the row indices: both readings agree
        if by == "auto":
            all_ints = all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in keys)
            if all_ints and self._labels_are_ints:
                raise ValueError("CurriculumSampler.observe: the group labels are integers too; say by='index' or by='group'")
            by = "index" if all_ints else "group"
        if by == "index":
            n = len(self._labels)
            bad = [k for k in keys if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k < n]
            if bad:
                raise ValueError(f"CurriculumSampler.observe: row index {bad[0]!r} is not in range({n})")
            groups = [self._labels[int(k)] for k in keys]
        else:
            groups = keys
        self.teacher.observe(groups, signals)  # validates everything before any change
        if by == "index":
            self._mark_trained({int(k) for k in keys})

    def _mark_trained(self, rows: set[int]) -> None:
        last = -1
        for i, batch in enumerate(self._pending):
            if rows.intersection(batch):
                last = i
                break
        for _ in range(last + 1):
            self._pending.popleft()
            self._done_in_epoch += 1

    # ------------------------------------------------------------------ resume
    def state_dict(self) -> dict[str, Any]:
        """Plain JSON data to resume exactly: teacher, shuffles, position, unobserved batches."""
        return {
            "format": STATE_FORMAT,
            "teacher": self.teacher.state_dict(),
            "rng": to_jsonable(self._rng.bit_generator.state),
            "order": [[g, o, self._cursor[g]] for g, o in self._order.items()],
            "pending": [list(b) for b in self._pending],
            "done_in_epoch": self._done_in_epoch,
            "epoch": self.epoch,
            "batch_size": self.batch_size,
            "num_batches": self.num_batches,
            "per_batch": self.per_batch,
            "rows": len(self._labels),
        }

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Resume from :meth:`state_dict`: the next iteration continues the interrupted one.

        Batches handed out after the last observed one are handed out again
        first (they were prefetched, never trained on).
        """
        if not isinstance(state, Mapping) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"CurriculumSampler.load_state_dict: not a sampler state (expected format {STATE_FORMAT!r})")
        for key in ("batch_size", "num_batches", "per_batch", "rows"):
            mine = getattr(self, key) if key != "rows" else len(self._labels)
            if state[key] != mine:
                raise ValueError(f"CurriculumSampler.load_state_dict: the state has {key}={state[key]!r}, this sampler {mine!r}")
        teacher = teachers.load(state["teacher"])
        if teacher.space != self.teacher.space:
            raise ValueError("CurriculumSampler.load_state_dict: the state's teacher has another space")
        self.teacher = teacher
        self._rng.bit_generator.state = dict(state["rng"])
        self._order = {g: list(o) for g, o, _ in state["order"]}
        self._cursor = {g: int(c) for g, _, c in state["order"]}
        self._replay = [list(b) for b in state["pending"]]
        self._pending = deque()
        self._done_in_epoch = int(state["done_in_epoch"])
        self.epoch = int(state["epoch"])
        self._resumed = True
