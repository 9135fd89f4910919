"""The base class of the two Gaussian-mixture teachers, ``alp-gmm`` and ``covar-gmm``.

Both follow the same loop (Portelas et al., CoRL 2019, arXiv:1910.07224, and
the teachDeepRL reference code it was published with):

* every observed episode becomes one row of a window of the last ``fit_rate``
  rows: the task rescaled to the unit box, then a few columns the subclass
  computes (ALP for ALP-GMM; time and score for Covar-GMM);
* every ``fit_rate`` episodes after the bootstrap, mixtures with
  ``potential_ks`` components are fitted on the window and the best one by
  ``gmm_fitness`` is kept;
* a proposal is uniform in the box during the bootstrap and with probability
  ``random_task_ratio``; otherwise a component is drawn in proportion to its
  *interest* (a subclass hook) and the task is drawn from that component's
  Gaussian over the task dimensions, clipped to the box.

:class:`GMMTeacher` owns the shared options, this refit clock, the proposal
rule, the saved state and the report.  A subclass declares ``extra_columns``
and implements :meth:`GMMTeacher._fill_row` and
:meth:`GMMTeacher._interest_of`; it may extend the state, the options and
the report through the other ``_gmm_*`` hooks.
"""

from __future__ import annotations

from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, ListOf, Nullable, OneOf, Param
from pedagogy.spaces import Box
from pedagogy.teachers._gmm import Mixture, box_geometry, proportional_index, select_gmm
from pedagogy.teachers.base import Teacher

__all__ = ["GMM_PARAMS", "GMMTeacher"]

_POSITIVE_INT = Interval(Integral, 1, None)

#: the options both GMM teachers take; every default is the paper's (and teachDeepRL's)
GMM_PARAMS: dict[str, Param] = {
    "fit_rate": Param(
        250,
        Interval(Integral, 2, None),
        "episodes between two fits; also the size of the fitting window (paper: 250)",
    ),
    "nb_bootstrap": Param(
        None,
        Nullable(_POSITIVE_INT),
        "uniform episodes before the first fit; None: fit_rate (the paper's)",
    ),
    "random_task_ratio": Param(
        0.2,
        Interval(Real, 0, 1),
        "probability of a uniform task after the bootstrap (paper: 0.2)",
    ),
    "potential_ks": Param(
        list(range(2, 11)),
        ListOf(_POSITIVE_INT),
        "numbers of components tried at each fit (paper: 2..10)",
    ),
    "gmm_fitness": Param(
        "aic",
        OneOf("aic", "bic", "aicc"),
        "model-selection criterion among the fitted mixtures (paper: AIC)",
    ),
    "nb_em_init": Param(
        1,
        _POSITIVE_INT,
        "EM initialisations per fit, the best likelihood kept (paper: 1)",
    ),
}


class GMMTeacher(Teacher):
    """Shared machinery of ``alp-gmm`` and ``covar-gmm`` (not registered itself).

    Subclass hooks:

    * ``extra_columns`` — columns after the task in each fitted row;
    * ``_fill_row(row, u, score)`` — write those columns for the episode
      being observed (``u`` is the task in the unit box, ``self._n`` the
      number of episodes observed before this one);
    * ``_interest_of(mixture)`` — each component's non-negative sampling weight;
    * optionally ``_gmm_setup()``, ``_gmm_state()`` / ``_gmm_load(state)``
      (extra state, merged into the saved dict),
      ``_component_report(mean, cov, interest)`` (extra report fields per
      component, from the full mean and covariance in fitted coordinates) and
      ``_choose_fit_dims()`` (called before each fit: the task dimensions to
      fit; the others are then drawn uniformly).
    """

    space_types = (Box,)
    score_doc = "reward-like real number, higher is better (episodic return, success rate, normalised score)"
    params: ClassVar[dict[str, Param]] = dict(GMM_PARAMS)
    #: columns after the task dimensions in each fitted row
    extra_columns: ClassVar[int] = 0

    # ----------------------------------------------------------- subclass hooks
    def _fill_row(self, row: np.ndarray, u: np.ndarray, score: float) -> None:
        raise NotImplementedError

    def _interest_of(self, gmm: Mixture) -> np.ndarray:
        raise NotImplementedError

    def _gmm_setup(self) -> None:
        """Extra state of the subclass (the options are valid by now)."""

    def _gmm_state(self) -> dict[str, Any]:
        return {}

    def _gmm_load(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`_gmm_state` saved."""

    def _component_report(self, mean: np.ndarray, cov: np.ndarray, interest: float) -> dict[str, Any]:
        return {}

    def _choose_fit_dims(self) -> np.ndarray:
        """The task dimensions the next mixture is fitted on (default: all of them)."""
        return self._fit_dims

    # -------------------------------------------------------------------- state
    def _setup(self) -> None:
        o = self.options
        self._d, self._low, self._span = box_geometry(self.space)
        self._fit_rate = int(o["fit_rate"])
        self._bootstrap = int(o["nb_bootstrap"]) if o["nb_bootstrap"] is not None else self._fit_rate
        self._ratio = float(o["random_task_ratio"])
        # Ring of the last fit_rate rows (unit task..., extra columns).
        self._window = np.zeros((self._fit_rate, self._d + self.extra_columns))
        self._n = 0  # episodes observed: drives the bootstrap and the refit clock
        self._gmm: Mixture | None = None
        # Task dimensions of the fitted mixture (in order); the others are drawn uniformly.
        self._fit_dims = np.arange(self._d)
        self._gmm_setup()
        self._prepare_sampling()

    def _prepare_sampling(self) -> None:
        """Cache what proposals need from the current mixture."""
        if self._gmm is None:
            self._interest = np.zeros(0)
            return
        self._interest = self._interest_of(self._gmm)
        self._mu, self._chol = self._gmm.marginal_samplers(len(self._fit_dims))

    def _get_state(self) -> dict[str, Any]:
        return {
            "n": self._n,
            "window": self._window.tolist(),
            **self._gmm_state(),
            "fit_dims": self._fit_dims.tolist(),
            "gmm": None if self._gmm is None else self._gmm.to_state(),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self._n = int(state["n"])
        self._window = np.asarray(state["window"], dtype=float).reshape(self._fit_rate, self._d + self.extra_columns)
        self._fit_dims = np.asarray(state.get("fit_dims", range(self._d)), dtype=np.intp)
        self._gmm_load(state)
        self._gmm = None if state["gmm"] is None else Mixture.from_state(state["gmm"])
        self._prepare_sampling()

    # ---------------------------------------------------------------- algorithm
    def _propose(self, n: int) -> list[np.ndarray]:
        out = []
        rng = self.rng
        dims = self._fit_dims
        k = len(dims)
        for _ in range(n):
            if self._gmm is None or self._n < self._bootstrap or rng.random() < self._ratio:
                u = rng.random(self._d)
            else:
                c = proportional_index(self._interest, rng.random())
                z = self._mu[c] + self._chol[c] @ rng.standard_normal(k)
                np.clip(z, 0.0, 1.0, out=z)
                if k == self._d:
                    u = z
                else:  # the dimensions left out of the fit are uniform
                    u = rng.random(self._d)
                    u[dims] = z
            out.append(self._low + u * self._span)
        return out

    def _observe(self, task: Any, score: float) -> None:
        u = (task - self._low) / self._span
        row = self._window[self._n % self._fit_rate]
        row[: self._d] = u
        self._fill_row(row, u, score)
        self._n += 1
        if self._n >= self._bootstrap and self._n % self._fit_rate == 0:
            o = self.options
            self._fit_dims = self._choose_fit_dims()
            X = self._window
            if len(self._fit_dims) < self._d:
                X = X[:, np.concatenate([self._fit_dims, np.arange(self._d, X.shape[1])])]
            self._gmm = select_gmm(X, o["potential_ks"], self.rng, o["gmm_fitness"], int(o["nb_em_init"]))
            self._prepare_sampling()

    def _report(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "episodes": self._n,
            "fitted": self._gmm is not None,
            "fit_dims": self._fit_dims.tolist(),
            "components": [],
        }
        if self._gmm is not None:
            g, dims, k = self._gmm, self._fit_dims, len(self._fit_dims)
            scale = np.outer(self._span, self._span)
            for w, m, c, lp in zip(g.weights, g.means, g.covariances, self._interest):
                # Dimensions left out of the fit are uniform: mean 1/2, variance 1/12 in the unit box.
                mean, cov = np.full(self._d, 0.5), np.diag(np.full(self._d, 1.0 / 12.0))
                mean[dims] = m[:k]
                cov[np.ix_(dims, dims)] = c[:k, :k]
                out["components"].append(
                    {
                        "weight": float(w),
                        "mean": (self._low + mean * self._span).tolist(),
                        "covariance": (cov * scale).tolist(),
                        **self._component_report(m, c, float(lp)),
                    }
                )
        return out
