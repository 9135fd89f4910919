"""``lp``: bidirectional learning-progress curriculum (Kanitscheider et al. 2021, Minecraft)."""

from __future__ import annotations

from typing import Any

import numpy as np

from pedagogy.spaces import Discrete
from pedagogy.teachers._discrete import draw_from_cdf, top_k
from pedagogy.teachers.base import Teacher, register


@register
class LearningProgressTeacher(Teacher):
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

    The distribution is cached and recomputed only after an ``observe``.

    Score: a success indicator or success rate in ``[0, 1]`` (scores outside are
    rejected).

    Parameters
    ----------
    ema_alpha : float, default 0.1
        EMA rate of the fast average (the slow average tracks the fast one at the
        same rate), reference default.
    p_theta : float, default 0.1
        Reweighting parameter θ in ``(0, 1)`` (paper/reference default).
    uniform_prob : float, default 0.25
        Uniform mixture weight (reference default of the online variant).
    normalize : bool, default True
        Subtract and rescale by the first-score baseline (reference default).
    report_top : int, default 20
        How many tasks ``report()`` lists.
    """

    name = "lp"
    description = "Learning progress |fast EMA - slow EMA| of success, z-score + sigmoid sampling (Minecraft LP)."
    paper = "Kanitscheider et al. 2021, Multi-task curriculum learning in a complex, visual, hard-exploration domain: Minecraft, arXiv 2106.14876"
    score_doc = "success indicator or success rate in [0, 1]"
    space_types = (Discrete,)
    score_range = (0.0, 1.0)
    defaults: dict[str, Any] = {"ema_alpha": 0.1, "p_theta": 0.1, "uniform_prob": 0.25, "normalize": True, "report_top": 20}

    def _check_options(self) -> None:
        self._option_fraction("ema_alpha", low_open=True)
        self._option_fraction("p_theta", low_open=True, high_open=True)
        self._option_fraction("uniform_prob")
        if not isinstance(self.options["normalize"], bool):
            raise self._error(f"option 'normalize' must be true or false, got {self.options['normalize']!r}")
        self._option_positive("report_top", integer=True)

    def _setup(self) -> None:
        n = self.space.n  # type: ignore[attr-defined]
        self._seen = np.zeros(n, dtype=bool)
        self._base = np.zeros(n)
        self._fast = np.zeros(n)
        self._slow = np.zeros(n)
        self._true = np.zeros(n)
        self._lp = np.zeros(n)
        self._active = np.zeros(n, dtype=bool)  # LP > 0 or success EMA > 0 (the reference's rule)
        self._n_active = 0
        self._p: np.ndarray | None = None
        self._cdf: np.ndarray | None = None

    def _reweight(self, p: float) -> float:
        th = float(self.options["p_theta"])
        return p * (1.0 - th) / (p + th * (1.0 - 2.0 * p))

    def _dist(self) -> tuple[np.ndarray, np.ndarray]:
        if self._cdf is None:
            n = self._lp.size
            u = float(self.options["uniform_prob"])
            k = self._n_active
            if k == 0:
                p = np.full(n, 1.0 / n)
            else:
                # z-score of LP over the active tasks, sigmoid, normalise (plain sums: np.std is slow)
                sub = self._lp if k == n else self._lp[self._active]
                d = sub - sub.sum() / k
                sd = float(np.sqrt(d.dot(d) / k))
                w = 1.0 / (1.0 + np.exp(-d / (sd if sd > 0 else 1.0)))
                w *= (1.0 - u) / w.sum()
                if k == n:
                    p = w
                else:
                    p = np.zeros(n)
                    p[self._active] = w
                p += u / n
            self._p, self._cdf = p, np.cumsum(p)
        return self._p, self._cdf  # type: ignore[return-value]

    def _propose(self, n: int) -> list[Any]:
        return draw_from_cdf(self.rng, self._dist()[1], n)

    def _observe(self, task: Any, score: float) -> None:
        self._update(task, score)
        self._cdf = None

    def _observe_many(self, tasks: list[Any], scores: list[float]) -> None:
        for t, s in zip(tasks, scores):
            self._update(t, s)
        self._cdf = None

    def _update(self, i: int, s: float) -> None:
        a = float(self.options["ema_alpha"])
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
        self._lp[i] = lp = abs(self._reweight(float(self._fast[i])) - self._reweight(float(self._slow[i])))
        act = lp > 0 or self._true[i] > 0
        if act != self._active[i]:
            self._active[i] = act
            self._n_active += 1 if act else -1

    def _normalised(self, i: int, s: float) -> float:
        if not self.options["normalize"]:
            return s
        b = float(self._base[i])
        return max(s - b, 0.0) / (1.0 - b)

    def _get_state(self) -> dict[str, Any]:
        idx = np.flatnonzero(self._seen).tolist()
        return {
            "tasks": idx,
            "base": self._base[idx].tolist(),
            "fast": self._fast[idx].tolist(),
            "slow": self._slow[idx].tolist(),
            "true": self._true[idx].tolist(),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._setup()
        idx = np.asarray(state["tasks"], dtype=int)
        self._seen[idx] = True
        self._base[idx] = state["base"]
        self._fast[idx] = state["fast"]
        self._slow[idx] = state["slow"]
        self._true[idx] = state["true"]
        for i in idx.tolist():
            self._set_lp(i)

    def _report(self) -> dict[str, Any]:
        p, _ = self._dist()
        rows = top_k(self.space.tasks, {"learning_progress": self._lp, "success_ema": self._true, "probability": p},  # type: ignore[attr-defined]
                     p, int(self.options["report_top"]))
        return {"tasks_seen": int(self._seen.sum()), "mean_learning_progress": float(self._lp.mean()), "top": rows}
