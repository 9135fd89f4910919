"""``covar-gmm``: Covar-GMM / IGMM (Moulin-Frier, Nguyen & Oudeyer 2014), as benchmarked by Portelas et al. 2019."""

from __future__ import annotations

from typing import Any

import numpy as np

from pedagogy.spaces import Box
from pedagogy.teachers._gmm import Mixture, MixtureProposals, select_gmm
from pedagogy.teachers.alp_gmm import _DEFAULT_KS, _check_gmm_options
from pedagogy.teachers.base import Teacher, register


@register
class CovarGMMTeacher(MixtureProposals, Teacher):
    """Covar-GMM: sample tasks where competence rises with time.

    Moulin-Frier, Nguyen, Oudeyer, "Self-organization of early vocal
    development in infants and machines: the role of intrinsic motivation",
    Frontiers in Psychology 2014; used as a baseline ("Covar-GMM") by
    Portelas et al., CoRL 2019 (arXiv:1910.07224).

    Every ``fit_rate`` episodes, Gaussian mixtures with ``potential_ks``
    components are fitted by EM on the last ``fit_rate`` points
    ``(task, time, score)``, where ``time`` is the episode's position in that
    window scaled to [0, 1); the best mixture by AIC is kept.  A component's
    learning progress is the covariance between time and score inside it:
    positive when the score rose over the window.  A proposal is, with
    probability ``random_task_ratio``, a uniform task; otherwise a component
    is drawn with probability proportional to its positive time-score
    covariance (or its absolute value with ``absolute_lp``) and a task is
    sampled from its Gaussian over the task dimensions, clipped to the box.
    Before the first fit (``nb_bootstrap`` episodes) tasks are uniform.

    ``observe`` expects a reward-like score, higher is better (episodic
    return, success rate, normalised score).

    Parameters (options)
    --------------------
    fit_rate : int, default 250
        Episodes between two fits; also the size of the fitting window (the
        only history kept).
    nb_bootstrap : int or None, default None
        Uniform episodes before the first fit (None: ``fit_rate``).
    random_task_ratio : float, default 0.2
        Probability of a uniform task after the bootstrap.
    potential_ks : list of int, default [2, ..., 10]
    gmm_fitness : {"aic", "bic", "aicc"}, default "aic"
    nb_em_init : int, default 1
    absolute_lp : bool, default False
        Use ``|cov(time, score)|`` instead of its positive part (the original
        method uses the positive part: only progress, not forgetting).
    """

    name = "covar-gmm"
    description = "Gaussian mixtures over (task, time, score); sample where score grows with time."
    paper = "Moulin-Frier, Nguyen, Oudeyer. Self-organization of early vocal development in infants and machines: the role of intrinsic motivation. Frontiers in Psychology 2014"
    score_doc = "reward-like real number, higher is better (episodic return, success rate, normalised score)"
    space_types = (Box,)
    defaults: dict[str, Any] = {
        "fit_rate": 250,
        "nb_bootstrap": None,
        "random_task_ratio": 0.2,
        "potential_ks": _DEFAULT_KS,
        "gmm_fitness": "aic",
        "nb_em_init": 1,
        "absolute_lp": False,
    }

    def _check_options(self) -> None:
        _check_gmm_options(self)
        if not isinstance(self.options["absolute_lp"], bool):
            raise self._error(f"option 'absolute_lp' must be true or false, got {self.options['absolute_lp']!r}")

    def _setup(self) -> None:
        self._setup_box()
        # Ring of the last fit_rate rows (unit task..., time, score).
        self._window = np.zeros((self._fit_rate, self._d + 2))
        self._n = 0
        self._gmm: Mixture | None = None
        self._prepare_sampling()

    def _prepare_sampling(self) -> None:
        if self._gmm is None:
            self._interest = np.zeros(0)
            return
        cov_ts = self._gmm.covariances[:, -2, -1]
        self._interest = np.abs(cov_ts) if self.options["absolute_lp"] else np.maximum(cov_ts, 0.0)
        self._mu, self._chol = self._gmm.marginal_samplers(self._d)

    def _get_state(self) -> dict[str, Any]:
        return {"n": self._n, "window": self._window.tolist(), "gmm": None if self._gmm is None else self._gmm.to_state()}

    def _set_state(self, state: dict[str, Any]) -> None:
        self._n = int(state["n"])
        self._window = np.asarray(state["window"], dtype=float).reshape(self._fit_rate, self._d + 2)
        self._gmm = None if state["gmm"] is None else Mixture.from_state(state["gmm"])
        self._prepare_sampling()

    def _observe(self, task: Any, score: float) -> None:
        pos = self._n % self._fit_rate
        row = self._window[pos]
        row[: self._d] = (task - self._low) / self._span
        row[self._d] = pos / self._fit_rate
        row[self._d + 1] = score
        self._n += 1
        if self._n >= self._bootstrap and self._n % self._fit_rate == 0:
            o = self.options
            self._gmm = select_gmm(self._window, o["potential_ks"], self.rng, o["gmm_fitness"], int(o["nb_em_init"]))
            self._prepare_sampling()

    def _report(self) -> dict[str, Any]:
        out: dict[str, Any] = {"episodes": self._n, "fitted": self._gmm is not None, "components": []}
        if self._gmm is not None:
            g, d = self._gmm, self._d
            for w, m, c, lp in zip(g.weights, g.means, g.covariances, self._interest):
                out["components"].append({
                    "weight": float(w),
                    "mean": (self._low + m[:d] * self._span).tolist(),
                    "covariance": (c[:d, :d] * np.outer(self._span, self._span)).tolist(),
                    "time_score_covariance": float(c[-2, -1]),
                    "learning_progress": float(lp),
                    "mean_score": float(m[-1]),
                })
        return out
