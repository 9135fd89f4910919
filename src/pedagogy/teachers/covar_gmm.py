"""``covar-gmm``: Covar-GMM / IGMM (Moulin-Frier, Nguyen & Oudeyer 2014), as benchmarked by Portelas et al. 2019."""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Boolean, Param
from pedagogy.teachers._gmm import Mixture
from pedagogy.teachers._gmm_teacher import GMMTeacher
from pedagogy.teachers.base import register


@register
class CovarGMMTeacher(GMMTeacher):
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

    **Paper's settings.**  Every default is the setting of the Covar-GMM
    baseline of Portelas et al. 2019 (teachDeepRL's ``covar_gmm.py``), so
    ``preset="paper"`` changes nothing here.  That code always selects by AIC
    with one EM initialisation; ``gmm_fitness`` and ``nb_em_init`` are kept
    as options for symmetry with ``alp-gmm``, at those values.
    """

    name = "covar-gmm"
    description = "Gaussian mixtures over (task, time, score); sample where score grows with time."
    paper = "Moulin-Frier, Nguyen, Oudeyer. Self-organization of early vocal development in infants and machines: the role of intrinsic motivation. Frontiers in Psychology 2014"
    params: ClassVar[dict[str, Param]] = {
        **GMMTeacher.params,
        "absolute_lp": Param(
            False,
            Boolean(),
            "sample by |cov(time, score)| instead of its positive part (paper: positive part, progress only)",
        ),
    }
    extra_columns = 2  # time in the window, score

    def _fill_row(self, row: np.ndarray, u: np.ndarray, score: float) -> None:
        pos = self._n % self._fit_rate
        row[self._d] = pos / self._fit_rate
        row[self._d + 1] = score

    def _interest_of(self, gmm: Mixture) -> np.ndarray:
        """A component's time-score covariance: its positive part (the paper's) or ``absolute_lp``'s absolute value."""
        cov_ts = gmm.covariances[:, -2, -1]
        return np.abs(cov_ts) if self.options["absolute_lp"] else np.maximum(cov_ts, 0.0)

    def _component_report(self, mean: np.ndarray, cov: np.ndarray, interest: float) -> dict[str, Any]:
        return {
            "time_score_covariance": float(cov[-2, -1]),
            "learning_progress": interest,
            "mean_score": float(mean[-1]),
        }
