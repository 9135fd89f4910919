"""The family of teachers that draw tasks from a categorical distribution over a ``Discrete`` space.

``lp``, ``tscl``, ``dump`` and ``sec`` differ only in how they score tasks and
turn the scores into sampling weights.  :class:`CategoricalTeacher` owns
everything else — the cached cumulative distribution, the draw, the cache
invalidation after every observation, and the top-k report — so a teacher of
this family writes one hook, :meth:`~CategoricalTeacher._weights` (as
Syllabus's curricula write ``_sample_distribution``), plus its update rule.

Private module: it registers no teacher.
"""

from __future__ import annotations

from numbers import Integral
from typing import Any

import numpy as np

from pedagogy.params import Interval, Param
from pedagogy.spaces import Discrete
from pedagogy.teachers.base import Teacher

__all__ = ["CategoricalTeacher", "draw_from_cdf", "softmax", "top_k"]


def draw_from_cdf(rng: np.random.Generator, cdf: np.ndarray, n: int) -> list[int]:
    """Draw ``n`` indices from an (unnormalised) cumulative weight array.

    One uniform draw and one binary search per index: O(n log k), no O(k)
    work, so a cached ``cdf`` makes repeated proposals cheap.
    """
    if n == 1:  # the common single proposal, without array round-trips (same random stream)
        i = int(cdf.searchsorted(rng.random() * cdf[-1], side="right"))
        return [min(i, cdf.size - 1)]
    u = rng.random(n) * cdf[-1]
    idx = np.searchsorted(cdf, u, side="right")
    # u < cdf[-1] always, but guard against the float edge u == cdf[-1].
    np.minimum(idx, cdf.size - 1, out=idx)
    return idx.tolist()


def softmax(values: np.ndarray, temperature: float) -> np.ndarray:
    """Unnormalised Boltzmann weights ``exp((values - max) / temperature)`` (the largest is 1)."""
    return np.exp((values - values.max()) / temperature)


def top_k(names: list[Any], columns: dict[str, np.ndarray], key: np.ndarray, k: int) -> list[dict[str, Any]]:
    """The ``k`` tasks with the largest ``key`` as small dicts (for reports on large spaces)."""
    k = min(k, key.size)
    if k < key.size:
        part = np.argpartition(-key, k - 1)[:k]
        idx = part[np.argsort(-key[part], kind="stable")]
    else:
        idx = np.argsort(-key, kind="stable")
    out = []
    for i in idx.tolist():
        row: dict[str, Any] = {"task": names[i]}
        for col, arr in columns.items():
            row[col] = float(arr[i])
        out.append(row)
    return out


class CategoricalTeacher(Teacher[Discrete]):
    """Base class: tasks drawn from ``p ∝ _weights()``, recomputed lazily after observations.

    Subclasses implement :meth:`_weights` and :meth:`_update` (one validated
    observation on an internal task index; override :meth:`_update_many` for a
    batch rule such as SEC's one TD step per category), and may add report
    columns with :meth:`_report_columns` / :meth:`_report_extra`.
    """

    space_types = (Discrete,)
    params = {"report_top": Param(20, Interval(Integral, 1), "tasks listed by report()")}

    _cdf: np.ndarray | None = None

    # ------------------------------------------------------------ hooks
    def _weights(self) -> np.ndarray:
        """Non-negative sampling weights, one per task, not all zero (they need not sum to 1)."""
        raise NotImplementedError

    def _update(self, task: int, score: float) -> None:
        raise NotImplementedError

    def _update_many(self, tasks: list[int], scores: list[float]) -> None:
        for t, s in zip(tasks, scores):
            self._update(t, s)

    def _report_columns(self) -> dict[str, np.ndarray]:
        return {}

    def _report_extra(self) -> dict[str, Any]:
        return {}

    # ------------------------------------------------------ distribution
    def _cumulative(self) -> np.ndarray:
        if self._cdf is None:
            cdf = np.cumsum(self._weights(), dtype=float)
            if not cdf[-1] > 0:
                raise RuntimeError(f"teacher '{self.name}': sampling weights are all zero")
            self._cdf = cdf
        return self._cdf

    def probabilities(self) -> np.ndarray:
        """The distribution of the next proposal (one probability per task)."""
        cdf = self._cumulative()
        return np.diff(cdf, prepend=0.0) / cdf[-1]

    def _restore(self, state: Any) -> None:
        super()._restore(state)
        self._cdf = None  # the loaded values define a new distribution

    # ---------------------------------------------------- Teacher hooks
    def _propose(self, n: int) -> list[Any]:
        return draw_from_cdf(self.rng, self._cumulative(), n)

    def _observe(self, task: Any, score: float) -> None:
        self._update(task, score)
        self._cdf = None

    def _observe_many(self, tasks: list[Any], scores: list[float]) -> None:
        self._update_many(tasks, scores)
        self._cdf = None

    def _report(self) -> dict[str, Any]:
        p = self.probabilities()
        rows = top_k(self.space.tasks, {**self._report_columns(), "probability": p}, p, int(self.options["report_top"]))
        return {**self._report_extra(), "top": rows}
