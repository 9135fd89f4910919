"""``dump``: distribution-level curriculum by UCB over expected absolute advantage (DUMP, Wang et al. 2025)."""

from __future__ import annotations

import math
from collections import deque
from numbers import Integral, Real
from typing import Any

import numpy as np

from pedagogy.params import Interval, Param
from pedagogy.teachers._categorical import CategoricalTeacher, softmax
from pedagogy.teachers.base import register


@register
class DumpTeacher(CategoricalTeacher):
    """DUMP: UCB over each distribution's expected absolute advantage, sampled by a softmax.

    Wang et al., "DUMP: Automated Distribution-Level Curriculum Learning for
    RL-based LLM Post-training" (2025).  Each task of the
    :class:`~pedagogy.spaces.Discrete` space is a data *distribution*.  For
    each one the teacher keeps a sliding window of the most recent absolute
    advantages of its samples; their mean is the distribution's expected
    absolute advantage (its learnability).  Distribution ``j`` gets the UCB
    score::

        UCB_j = mean_j + c * sqrt(2 * ln(N + 1) / (n_j + 1))

    where ``n_j`` counts every sample ever observed from ``j`` and ``N`` is the
    total over all distributions (the ``+ 1`` terms follow the reference code,
    so unseen distributions get a finite, large bonus and a zero mean).  Tasks
    are drawn from ``softmax(UCB / temperature)``.  ``propose(n)`` (one
    training batch) is the main use.

    Score: the absolute advantage of one sample (e.g. ``|A|`` of a GRPO/PPO
    rollout, or the mean ``|A|`` of a prompt's rollout group); any finite
    number ``>= 0``, negative values are rejected.
    """

    name = "dump"
    description = "DUMP: UCB on windowed mean |advantage| per distribution, softmax sampling (LLM post-training)."
    paper = "Wang et al. 2025, DUMP: Automated Distribution-Level Curriculum Learning for RL-based LLM Post-training"
    score_doc = "absolute advantage of a sample (finite, >= 0)"
    score_range = (0.0, None)
    params = {
        "window": Param(300, Interval(Integral, 1), "sliding-window length per distribution"),
        "c": Param(1.0, Interval(Real, 0), "weight of the UCB exploration bonus"),
        "temperature": Param(0.1, Interval(Real, 0, closed="neither"), "softmax temperature over UCB scores"),
        **CategoricalTeacher.params,
    }

    def _setup(self) -> None:
        n = self.space.n
        self._win = int(self.options["window"])
        self._windows: dict[int, deque[float]] = {}
        self._sums = np.zeros(n)  # running sum of each window (kept in state for exact resume)
        self._means = np.zeros(n)
        self._counts = np.zeros(n)  # all-time samples per distribution (float for vector maths)
        self._total = 0

    # ------------------------------------------------------------ internals
    def _ucb(self) -> np.ndarray:
        bonus = np.sqrt(2.0 * math.log(self._total + 1) / (self._counts + 1.0))
        return self._means + float(self.options["c"]) * bonus

    def _weights(self) -> np.ndarray:
        return softmax(self._ucb(), float(self.options["temperature"]))

    def _update(self, task: int, score: float) -> None:
        win = self._windows.get(task)
        if win is None:
            win = self._windows[task] = deque()
        win.append(score)
        s = self._sums[task] + score
        if len(win) > self._win:
            s -= win.popleft()
        if len(win) == self._win and self._counts[task] % self._win == 0:
            # Once per window turnover, recompute the sum exactly so float drift cannot accumulate.
            s = math.fsum(win)
        self._sums[task] = s
        self._means[task] = max(s, 0.0) / len(win)
        self._counts[task] += 1
        self._total += 1

    # ---------------------------------------------------------------- state
    def _get_state(self) -> dict[str, Any]:
        keys = sorted(self._windows)
        return {
            "tasks": keys,
            "windows": [list(self._windows[k]) for k in keys],
            "sums": [float(self._sums[k]) for k in keys],
            "counts": [int(self._counts[k]) for k in keys],
            "total": self._total,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._setup()
        for k, w, s, c in zip(state["tasks"], state["windows"], state["sums"], state["counts"]):
            k = int(k)
            self._windows[k] = deque(float(x) for x in w)
            self._sums[k] = float(s)
            self._counts[k] = int(c)
            self._means[k] = max(float(s), 0.0) / len(w) if w else 0.0
        self._total = int(state["total"])

    def _report_columns(self) -> dict[str, np.ndarray]:
        return {"mean_abs_advantage": self._means, "ucb": self._ucb(), "samples": self._counts}

    def _report_extra(self) -> dict[str, Any]:
        return {"total_samples": self._total, "distributions_seen": len(self._windows)}
