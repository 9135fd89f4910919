"""``lp``: bidirectional learning-progress curriculum (Kanitscheider et al. 2021, Minecraft)."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import numpy as np
from scipy.special import expit

from pedagogy.params import Boolean, Interval, Param
from pedagogy.teachers._categorical import CategoricalTeacher
from pedagogy.teachers.base import register


@register
class LearningProgressTeacher(CategoricalTeacher):
    """Learning progress from a fast and a slow moving average of each task's success.

    Kanitscheider et al., "Multi-task curriculum learning in a complex, visual,
    hard-exploration domain: Minecraft" (2021, arXiv 2106.14876), as in the
    Syllabus ``LearningProgress`` / OMNI curricula, but driven by plain episode
    outcomes (no separate evaluation pass over all tasks):

    * each observation of task ``i`` updates a fast EMA ``f_i ← a·s + (1-a)·f_i``
      and a slow EMA that tracks the fast one, ``g_i ← a·f_i + (1-a)·g_i``
      (both start at the first score; ``a = ema_alpha``); a third EMA of the raw
      score is kept for the report and for "has this task ever succeeded";
    * bias correction (``normalize=True``): the first score of a task is its
      random-policy baseline ``b_i`` (capped at 0.75, as in the reference) and the
      EMAs track ``max(s - b_i, 0) / (1 - b_i)``;
    * both EMAs go through the paper's reweighting
      ``r(p) = p (1 - θ) / (p + θ (1 - 2p))`` (``θ = p_theta``), which magnifies
      changes at low success rates; learning progress ``LP_i = |r(f_i) - r(g_i)|``
      (absolute: forgetting counts as progress too);
    * sampling weights: tasks with ``LP > 0`` or a positive success EMA are
      z-scored, passed through a sigmoid and normalised; other tasks (never seen,
      or never succeeded and flat) get 0; if no task qualifies the distribution is
      uniform; finally a uniform floor ``uniform_prob`` is mixed in so unseen tasks
      are still tried.

    Score: a success indicator or success rate in ``[0, 1]`` (scores outside are
    rejected).
    """

    name = "lp"
    description = "Learning progress |fast EMA - slow EMA| of success, z-score + sigmoid sampling (Minecraft LP)."
    paper = "Kanitscheider et al. 2021, Multi-task curriculum learning in a complex, visual, hard-exploration domain: Minecraft, arXiv 2106.14876"
    score_doc = "success indicator or success rate in [0, 1]"
    score_range = (0.0, 1.0)
    params = {
        "ema_alpha": Param(0.1, Interval(Real, 0, 1, closed="right"), "EMA rate of the fast average"),
        "p_theta": Param(0.1, Interval(Real, 0, 1, closed="neither"), "reweighting parameter theta"),
        "uniform_prob": Param(0.25, Interval(Real, 0, 1), "uniform mixture weight"),
        "normalize": Param(True, Boolean(), "rescale by the first-score baseline"),
        **CategoricalTeacher.params,
    }

    def _setup(self) -> None:
        n = self.space.n
        # Per-task scalars live in Python lists (cheap one-element updates);
        # the vectors the sampling distribution is computed from are numpy.
        self._seen = [False] * n
        self._base = [0.0] * n
        self._fast = [0.0] * n
        self._slow = [0.0] * n
        self._true = [0.0] * n
        self._lp = np.zeros(n)
        self._active = np.zeros(n, dtype=bool)  # LP > 0 or success EMA > 0 (the reference's rule)
        self._n_active = 0
        # Option values read on every update, cached as plain floats.
        self._alpha = float(self.options["ema_alpha"])
        self._theta = float(self.options["p_theta"])
        self._uniform = float(self.options["uniform_prob"])

    def _reweight(self, p: float) -> float:
        th = self._theta
        return p * (1.0 - th) / (p + th * (1.0 - 2.0 * p))

    def _weights(self) -> np.ndarray:
        n = self._lp.size
        u = self._uniform
        k = self._n_active
        if k == 0:
            return np.ones(n)
        # z-score of LP over the active tasks, sigmoid, normalise, mix in the uniform floor
        sub = self._lp if k == n else self._lp[self._active]
        d = sub - sub.sum() / k
        sd = math.sqrt(float(d.dot(d)) / k)
        w = expit(d / sd if sd > 0 else d)
        full = np.full(n, u / n)
        if k < n:
            full[self._active] += (1.0 - u) * w / w.sum()
        else:
            full += (1.0 - u) * w / w.sum()
        return full

    def _update(self, i: int, s: float) -> None:
        a = self._alpha
        if not self._seen[i]:
            self._seen[i] = True
            self._base[i] = min(s, 0.75)
            x = self._normalised(i, s)
            self._fast[i] = self._slow[i] = x
            self._true[i] = s
        else:
            x = self._normalised(i, s)
            self._fast[i] = a * x + (1.0 - a) * self._fast[i]
            self._slow[i] = a * self._fast[i] + (1.0 - a) * self._slow[i]
            self._true[i] = a * s + (1.0 - a) * self._true[i]
        self._set_lp(i)

    def _set_lp(self, i: int) -> None:
        self._lp[i] = lp = abs(self._reweight(self._fast[i]) - self._reweight(self._slow[i]))
        act = lp > 0 or self._true[i] > 0
        if act != self._active[i]:
            self._active[i] = act
            self._n_active += 1 if act else -1

    def _normalised(self, i: int, s: float) -> float:
        if not self.options["normalize"]:
            return s
        b = self._base[i]
        return max(s - b, 0.0) / (1.0 - b)

    def _get_state(self) -> dict[str, Any]:
        idx = [i for i, seen in enumerate(self._seen) if seen]
        return {
            "tasks": idx,
            "base": [self._base[i] for i in idx],
            "fast": [self._fast[i] for i in idx],
            "slow": [self._slow[i] for i in idx],
            "true": [self._true[i] for i in idx],
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._setup()
        for k, i in enumerate(int(x) for x in state["tasks"]):
            self._seen[i] = True
            self._base[i] = float(state["base"][k])
            self._fast[i] = float(state["fast"][k])
            self._slow[i] = float(state["slow"][k])
            self._true[i] = float(state["true"][k])
            self._set_lp(i)

    def _report_columns(self) -> dict[str, np.ndarray]:
        return {"learning_progress": self._lp, "success_ema": np.asarray(self._true)}

    def _report_extra(self) -> dict[str, Any]:
        return {"tasks_seen": sum(self._seen), "mean_learning_progress": float(self._lp.mean())}
