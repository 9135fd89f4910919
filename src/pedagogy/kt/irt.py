"""Item response theory: the one- and two-parameter logistic models.

``p = sigmoid(a_i * (theta_s - b_i))`` with student ability ``theta_s``, item
difficulty ``b_i`` and (2PL) discrimination ``a_i`` (1PL: ``a_i = 1``, the
Rasch model; Rasch, 1960; Birnbaum, 1968, in Lord & Novick, "Statistical
Theories of Mental Test Scores").

Items are the data's items; when the data has none (the three-line DKT/DKVMN
sets) the *skill* of an answer plays the item (a multi-skill answer without
item ids uses its skill combination, e.g. ``"3+7"``): the model is then a
skill-level IRT.

Fitting: joint MAP over the training split with priors ``theta ~ N(0, 1)``,
``b ~ N(0, prior_b**2)``, ``log a ~ N(0, prior_log_a**2)`` (block-coordinate
Newton: abilities, then difficulties, then log-discriminations).  Prediction on (new) students: each student's ability is
a posterior over a grid of ``theta`` values updated after every answer, and
the probability of answer ``t`` is the posterior predictive from answers
``< t`` only (leak-free one-step-ahead).
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.kt.base import KTModel, Tracker, register_model
from pedagogy.kt.core import check_score, logistic
from pedagogy.kt.data import Responses
from pedagogy.params import Interval, OneOf, Rule

__all__ = ["IRT", "IRT1PL", "IRT2PL", "item_keys", "item_vocabulary"]


def item_keys(data: Responses) -> tuple[list[str], bool]:
    """The name of the item of every answer, and whether items are skills.

    Parameters
    ----------
    data : Responses

    Returns
    -------
    names : list of str, one per answer
    skill_level : bool
        True when the data has no item ids and skills (or skill combinations)
        stand in for items.
    """
    if data.item is not None and data.item_names is not None:
        names = np.asarray(data.item_names, dtype=object)
        return names[data.item].tolist(), False
    skill_names = np.asarray(data.skill_names, dtype=object)
    if data.single_skill:
        return skill_names[data.skill_idx].tolist(), True
    ptr = data.skill_ptr
    out = []
    for i in range(data.n_answers):
        out.append("+".join(sorted(skill_names[data.skill_idx[ptr[i] : ptr[i + 1]]].tolist())))
    return out, True


def _encode(names: list[str], vocab: dict[str, int]) -> np.ndarray:
    """Indices of ``names`` in ``vocab``; -1 for names not in it."""
    return np.fromiter((vocab.get(s, -1) for s in names), dtype=np.int64, count=len(names))


def item_vocabulary(data: Responses) -> tuple[np.ndarray, dict[str, int], bool]:
    """Index every answer's item in a vocabulary built in first-appearance order.

    Returns
    -------
    item : int64 array, one index per answer
    vocab : dict item name -> index
    skill_level : bool, as in :func:`item_keys`
    """
    names, skill_level = item_keys(data)
    vocab: dict[str, int] = {}
    for s in names:
        vocab.setdefault(s, len(vocab))
    return _encode(names, vocab), vocab, skill_level


class IRT(KTModel):
    """Item response theory, 1PL (Rasch) or 2PL (Birnbaum).

    Registered as ``irt1pl`` (:class:`IRT1PL`) and ``irt2pl``
    (:class:`IRT2PL`); ``IRT(model="1pl"|"2pl")`` is the same thing.

    Parameters
    ----------
    model : {"1pl", "2pl"}, default "2pl"
    prior_b : float, default 3.0
        Standard deviation of the Gaussian prior on item difficulties.
    prior_log_a : float, default 0.5
        Standard deviation of the Gaussian prior on log discriminations (2PL).
    grid_size : int, default 61
        Points of the ability grid on [-grid_range, grid_range] used for
        new students' posteriors.
    grid_range : float, default 5.0
    max_iter : int, default 200
        Sweeps of block-coordinate Newton in the joint MAP fit.
    tol : float, default 1e-4
        Stop when no parameter moves more than this in a sweep.

    Notes
    -----
    Student abilities of the training split are nuisance parameters: they are
    fitted jointly with the items and then dropped; every student met at
    prediction time (training students included) starts from the prior.
    """

    name = "irt"

    def __init__(
        self,
        model: str = "2pl",
        prior_b: float = 3.0,
        prior_log_a: float = 0.5,
        grid_size: int = 61,
        grid_range: float = 5.0,
        max_iter: int = 200,
        tol: float = 1e-4,
    ) -> None:
        self.model = model
        self.prior_b = prior_b
        self.prior_log_a = prior_log_a
        self.grid_size = grid_size
        self.grid_range = grid_range
        self.max_iter = max_iter
        self.tol = tol
        self.item_names_: list[str] | None = None

    _fitted_attribute = "item_names_"
    _parameter_constraints: ClassVar[dict[str, Rule]] = {
        "model": OneOf("1pl", "2pl"),
        "prior_b": Interval(Real, 0, closed="neither"),
        "prior_log_a": Interval(Real, 0, closed="neither"),
        "grid_size": Interval(Integral, 3),
        "grid_range": Interval(Real, 0, closed="neither"),
        "max_iter": Interval(Integral, 1),
        "tol": Interval(Real, 0, closed="neither"),
    }

    # -- fitting ---------------------------------------------------------
    def fit(self, data: Responses) -> IRT:
        """Joint MAP fit of abilities and item parameters on ``data``; keeps the items."""
        self._start_fit(data)
        item, vocab, skill_level = item_vocabulary(data)
        user = data.user.astype(np.int64)
        y = data.correct.astype(np.float64)
        n_u, n_i = data.n_users, len(vocab)
        two = self.model == "2pl"
        var_b, var_a = float(self.prior_b) ** 2, float(self.prior_log_a) ** 2

        theta, b, log_a = np.zeros(n_u), np.zeros(n_i), np.zeros(n_i)

        def residuals() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
            a = np.exp(log_a)[item]
            z = a * (theta[user] - b[item])
            p = logistic(z)
            return a, z, p - y, p * (1.0 - p)

        # Block-coordinate Newton on the joint MAP objective: given the items,
        # each ability is a separate 1-D logistic problem (and vice versa), so a
        # sweep is a handful of bincounts.  Steps are clipped to +-1 logit for
        # robustness on students with all-correct / all-wrong answers.
        converged = False
        for _ in range(int(self.max_iter)):
            a, z, r, w = residuals()
            g = np.bincount(user, weights=a * r, minlength=n_u) + theta
            h = np.bincount(user, weights=a * a * w, minlength=n_u) + 1.0
            step_theta = np.clip(g / h, -1.0, 1.0)
            theta -= step_theta
            a, z, r, w = residuals()
            g = -np.bincount(item, weights=a * r, minlength=n_i) + b / var_b
            h = np.bincount(item, weights=a * a * w, minlength=n_i) + 1.0 / var_b
            step_b = np.clip(g / h, -1.0, 1.0)
            b -= step_b
            step = max(np.abs(step_theta).max(initial=0.0), np.abs(step_b).max(initial=0.0))
            if two:
                a, z, r, w = residuals()
                # Fisher scoring for log a (d z / d log a = z)
                g = np.bincount(item, weights=r * z, minlength=n_i) + log_a / var_a
                h = np.bincount(item, weights=w * z * z, minlength=n_i) + 1.0 / var_a
                step_a = np.clip(g / h, -0.5, 0.5)
                log_a -= step_a
                step = max(step, np.abs(step_a).max(initial=0.0))
            if step < self.tol:
                converged = True
                break
        self.item_names_ = list(vocab)
        self._index: dict[str, int] | None = None
        self.skill_level_ = skill_level
        self.b_ = b.copy()
        self.log_a_ = log_a.copy()
        self.converged_ = converged
        return self

    @property
    def grid_(self) -> np.ndarray:
        return np.linspace(-self.grid_range, self.grid_range, int(self.grid_size))

    def _log_prior(self) -> np.ndarray:
        g = self.grid_
        lp = -0.5 * g**2
        return lp - np.logaddexp.reduce(lp)

    def _item_params(self, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(a, b) for item names; items unseen in training get the mean parameters."""
        index = getattr(self, "_index", None)
        if index is None:
            index = self._index = {s: i for i, s in enumerate(self.item_names_ or [])}
        idx = _encode(names, index)
        a = np.append(np.exp(self.log_a_), np.exp(self.log_a_.mean()))[idx]
        b = np.append(self.b_, self.b_.mean())[idx]
        return a, b

    def _z_grid(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Logit of a correct answer at every grid ability, one row per answer."""
        return a[:, None] * (self.grid_[None, :] - b[:, None])

    def _p_grid(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """P(correct | theta) on the grid, one row per answer."""
        return logistic(self._z_grid(a, b))

    def predict_proba(self, data: Responses) -> np.ndarray:
        """One-step-ahead posterior predictive probability of each answer."""
        self._check_fitted()
        names, _ = item_keys(data)
        a, b = self._item_params(names)
        y = data.correct.astype(bool)
        ptr = data.user_ptr
        out = np.empty(data.n_answers)
        log_prior = self._log_prior()
        # Students in chunks of about 20k answers (bounded memory; the
        # cumulative log-likelihoods restart for every chunk).
        u0 = 0
        while u0 < data.n_users:
            u1 = int(np.searchsorted(ptr, ptr[u0] + 20000, side="right")) - 1
            u1 = min(max(u1, u0 + 1), data.n_users)
            s, e = int(ptr[u0]), int(ptr[u1])
            if e > s:
                z = self._z_grid(a[s:e], b[s:e])
                p = logistic(z)
                # log-likelihood of the observed answer, stable for large |z|
                ll = -np.logaddexp(0.0, np.where(y[s:e, None], -z, z))
                # exclusive cumulative sum per student: row t holds that
                # student's answers < t only (exactly: no cross-student sums)
                excl = np.zeros_like(ll)
                for a0, a1 in zip((ptr[u0:u1] - s).tolist(), (ptr[u0 + 1 : u1 + 1] - s).tolist(), strict=True):
                    if a1 - a0 > 1:
                        np.cumsum(ll[a0 : a1 - 1], axis=0, out=excl[a0 + 1 : a1])
                lp = excl + log_prior[None, :]
                w = np.exp(lp - lp.max(axis=1, keepdims=True))
                out[s:e] = (w * p).sum(axis=1) / w.sum(axis=1)
            u0 = u1
        return out

    def tracker(self) -> IRTTracker:
        """A live tracker giving the same probabilities as :meth:`predict_proba`."""
        self._check_fitted()
        return IRTTracker(self)

    def _tracker_keys(self, data: Responses) -> list[Any]:
        return item_keys(data)[0]

    # -- persistence -----------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "item_names": self.item_names_,
            "skill_level": self.skill_level_,
            "b": self.b_.tolist(),
            "log_a": self.log_a_.tolist(),
            "converged": self.converged_,
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self.item_names_ = list(state["item_names"])
        self._index = None
        self.skill_level_ = bool(state["skill_level"])
        self.b_ = np.asarray(state["b"], dtype=np.float64)
        self.log_a_ = np.asarray(state["log_a"], dtype=np.float64)
        self.converged_ = bool(state["converged"])


class _FixedIRT(IRT):
    """IRT with ``model`` fixed by the subclass (``_model``): the registered ``irt1pl`` / ``irt2pl``."""

    _model: ClassVar[str] = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._parameter_constraints = {**IRT._parameter_constraints, "model": OneOf(cls._model)}

    def __init__(self, model: str | None = None, **kwargs: Any) -> None:
        super().__init__(model=self._model if model is None else model, **kwargs)


@register_model
class IRT1PL(_FixedIRT):
    """IRT with ``a_i = 1`` (Rasch); see :class:`IRT` for parameters."""

    name = "irt1pl"
    _model = "1pl"


@register_model
class IRT2PL(_FixedIRT):
    """IRT with a discrimination per item (Birnbaum); see :class:`IRT` for parameters."""

    name = "irt2pl"
    _model = "2pl"


class IRTTracker(Tracker):
    """Live IRT: a log-posterior over the ability grid per student.

    ``skill_or_item`` is an item name (a skill name for skill-level models).
    :meth:`state` / :meth:`load` move one student's log-posterior as plain
    JSON data; :meth:`update_score` records a fractional score as a
    fractional Bernoulli likelihood ``p**score * (1 - p)**(1 - score)``
    (the exact posterior update for scores 0 and 1).
    """

    def __init__(self, model: IRT) -> None:
        self.model = model
        self.log_post: dict[str, np.ndarray] = {}

    def _posterior(self, student: str) -> np.ndarray:
        lp = self.log_post.get(student)
        if lp is None:
            lp = self.model._log_prior()
        return np.exp(lp - lp.max())

    def _p(self, item: str) -> np.ndarray:
        a, b = self.model._item_params([item])
        return self.model._p_grid(a, b)[0]

    def _z(self, item: str) -> np.ndarray:
        a, b = self.model._item_params([item])
        return self.model._z_grid(a, b)[0]

    def predict(self, student: str, skill_or_item: str) -> float:
        w = self._posterior(student)
        return float((w * self._p(skill_or_item)).sum() / w.sum())

    def update(self, student: str, skill_or_item: str, correct: int) -> float:
        z = self._z(skill_or_item)
        w = self._posterior(student)
        p = float((w * logistic(z)).sum() / w.sum())
        lp = self.log_post.get(student, self.model._log_prior())
        self.log_post[student] = lp - np.logaddexp(0.0, -z if correct else z)
        return p

    def update_score(self, student: str, skill_or_item: str, score: float) -> float:
        """Record an answer with a score in [0, 1]; return the probability of correct predicted before it.

        0 and 1 are :meth:`update`; a fractional score weights the log-likelihoods
        of a right and a wrong answer by ``score`` and ``1 - score``.
        """
        score = check_score(score, "irt")
        if score in (0.0, 1.0):
            return self.update(student, skill_or_item, int(score))
        z = self._z(skill_or_item)
        w = self._posterior(student)
        p = float((w * logistic(z)).sum() / w.sum())
        lp = self.log_post.get(student, self.model._log_prior())
        self.log_post[student] = lp - score * np.logaddexp(0.0, -z) - (1.0 - score) * np.logaddexp(0.0, z)
        return p

    def state(self, student: str) -> dict[str, Any]:
        """One student's live state as plain JSON data (``{"log_posterior": [one value per grid ability]}``, empty before any answer); see :meth:`load`."""
        lp = self.log_post.get(student)
        return {} if lp is None else {"log_posterior": lp.tolist()}

    def load(self, student: str, state: Mapping[str, Any]) -> None:
        """Set one student's live state from :meth:`state` output (other students are untouched)."""
        lp = state.get("log_posterior")
        if lp is None:
            self.log_post.pop(student, None)
            return
        try:
            arr = np.asarray(lp, dtype=np.float64)
        except (TypeError, ValueError):
            raise ValueError("irt tracker: state['log_posterior'] must be a list of numbers") from None
        n = int(self.model.grid_size)
        if arr.shape != (n,) or not np.all(np.isfinite(arr)):
            raise ValueError(f"irt tracker: state['log_posterior'] must hold {n} finite numbers (one per grid ability)")
        self.log_post[student] = arr

    def ability(self, student: str) -> float:
        """Posterior mean ability (EAP) of ``student``."""
        w = self._posterior(student)
        return float((w * self.model.grid_).sum() / w.sum())

    def mastery(self, student: str) -> dict[str, float]:
        """Predicted probability of a correct answer on each training item."""
        return {s: self.predict(student, s) for s in self.model.item_names_ or []}
