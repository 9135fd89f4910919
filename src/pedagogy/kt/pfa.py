"""Performance Factors Analysis (PFA).

Pavlik, Cen, Koedinger — "Performance Factors Analysis: A New Alternative to
Knowledge Tracing", AIED 2009.  The logit of a correct answer is a sum over
the skills ``k`` of the item::

    logit p = intercept + sum_k ( beta_k + gamma_k * s_k + rho_k * f_k )

where ``s_k`` / ``f_k`` count the student's *earlier* successes / failures on
skill ``k``.  Because the counts use only earlier answers, the fitted model is
one-step-ahead by construction.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.kt.base import KTModel, Tracker, register_model
from pedagogy.kt.core import check_score, logistic
from pedagogy.kt.data import Responses
from pedagogy.params import Interval, Rule

__all__ = ["PFA", "prior_counts"]


def prior_counts(data: Responses) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Earlier successes and failures of the student on each (answer, skill) entry.

    Parameters
    ----------
    data : Responses

    Returns
    -------
    answer, skill, successes, failures : int64 arrays, one entry per
        (answer, skill) pair of the CSR skill lists; ``skill`` indexes
        ``data.skill_names``.
    """
    n = data.n_answers
    answer = np.repeat(np.arange(n, dtype=np.int64), np.diff(data.skill_ptr))
    skill = data.skill_idx.astype(np.int64)
    user = data.user.astype(np.int64)[answer]
    correct = data.correct.astype(np.int64)[answer]
    # Group the entries by (student, skill), keeping time order inside a group,
    # then count within each group with exclusive cumulative sums.
    order = np.lexsort((answer, skill, user))
    key_u, key_s, c = user[order], skill[order], correct[order]
    start = np.ones(order.size, dtype=bool)
    start[1:] = (key_u[1:] != key_u[:-1]) | (key_s[1:] != key_s[:-1])
    group_first = np.flatnonzero(start)[np.cumsum(start) - 1]
    excl = np.cumsum(c) - c
    succ_o = excl - excl[group_first]
    tot_o = np.arange(order.size) - group_first
    succ = np.empty_like(succ_o)
    fail = np.empty_like(succ_o)
    succ[order] = succ_o
    fail[order] = tot_o - succ_o
    return answer, skill, succ, fail


@register_model
class PFA(KTModel):
    """Performance Factors Analysis (Pavlik, Cen & Koedinger, AIED 2009).

    Per skill ``k``: an easiness ``beta_k``, a weight ``gamma_k`` on earlier
    successes and ``rho_k`` on earlier failures of the student on ``k``; the
    logits of the skills of a multi-skill answer add up.  Fitted by L2-
    regularised logistic regression (scikit-learn, sparse design).  Skills
    unseen in training use the mean coefficients over training skills.

    Parameters
    ----------
    C : float, default 1.0
        Inverse L2 regularisation strength of the logistic regression (the
        paper fits an unregularised one; with many answers ``C=1`` is close).
    max_iter : int, default 1000
        Iterations of the L-BFGS solver.
    """

    name = "pfa"

    def __init__(self, C: float = 1.0, max_iter: int = 1000) -> None:
        self.C = C
        self.max_iter = max_iter
        self.skill_names_: list[str] | None = None

    _parameter_constraints: ClassVar[dict[str, Rule]] = {
        "C": Interval(Real, 0, closed="neither"),
        "max_iter": Interval(Integral, 1),
    }

    # -- fitting ---------------------------------------------------------
    def fit(self, data: Responses) -> PFA:
        """Fit the PFA coefficients on ``data`` (the training split)."""
        from scipy import sparse
        from sklearn.linear_model import LogisticRegression

        self._start_fit(data)
        if np.unique(data.correct).size < 2:
            raise ValueError("pfa: training data needs both correct and incorrect answers")
        answer, skill, succ, fail = prior_counts(data)
        k = data.n_skills
        rows = np.concatenate([answer, answer, answer])
        cols = np.concatenate([skill, k + skill, 2 * k + skill])
        vals = np.concatenate([np.ones(answer.size), succ, fail]).astype(np.float64)
        x = sparse.csr_matrix((vals, (rows, cols)), shape=(data.n_answers, 3 * k))
        lr = LogisticRegression(C=float(self.C), max_iter=int(self.max_iter), solver="lbfgs")
        lr.fit(x, data.correct)
        coef = lr.coef_[0]
        self.skill_names_ = list(data.skill_names)
        self._index: dict[str, int] | None = None
        self.intercept_ = float(lr.intercept_[0])
        self.beta_ = coef[:k].copy()
        self.gamma_ = coef[k : 2 * k].copy()
        self.rho_ = coef[2 * k :].copy()
        return self

    def _coefs(self, names: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Coefficients for the skills ``names`` (means for skills unseen in training)."""
        index = getattr(self, "_index", None)
        if index is None or len(index) != len(self.skill_names_ or []):
            index = self._index = {s: i for i, s in enumerate(self.skill_names_ or [])}
        idx = np.array([index.get(s, -1) for s in names], dtype=np.int64)
        out = []
        for coef in (self.beta_, self.gamma_, self.rho_):
            c = np.append(coef, coef.mean() if coef.size else 0.0)
            out.append(c[idx])  # -1 picks the appended mean
        return out[0], out[1], out[2]

    def predict_proba(self, data: Responses) -> np.ndarray:
        """One-step-ahead probability that each answer of ``data`` is correct."""
        self._check_fitted()
        beta, gamma, rho = self._coefs(list(data.skill_names))
        answer, skill, succ, fail = prior_counts(data)
        contrib = beta[skill] + gamma[skill] * succ + rho[skill] * fail
        logit = self.intercept_ + np.bincount(answer, weights=contrib, minlength=data.n_answers)
        return logistic(logit)

    def tracker(self) -> PFATracker:
        """A live tracker giving the same probabilities as :meth:`predict_proba`."""
        self._check_fitted()
        return PFATracker(self)

    # -- persistence -----------------------------------------------------
    def _get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "skill_names": self.skill_names_,
            "intercept": self.intercept_,
            "beta": self.beta_.tolist(),
            "gamma": self.gamma_.tolist(),
            "rho": self.rho_.tolist(),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self.skill_names_ = list(state["skill_names"])
        self._index = None
        self.intercept_ = float(state["intercept"])
        self.beta_ = np.asarray(state["beta"], dtype=np.float64)
        self.gamma_ = np.asarray(state["gamma"], dtype=np.float64)
        self.rho_ = np.asarray(state["rho"], dtype=np.float64)


def _as_skills(skill_or_skills: str | list[str] | tuple[str, ...]) -> list[str]:
    return [skill_or_skills] if isinstance(skill_or_skills, str) else list(skill_or_skills)


class PFATracker(Tracker):
    """Live PFA: per student, counts of successes/failures per skill.

    ``skill_or_item`` is a skill name, or a list of skill names for a
    multi-skill answer.  :meth:`state` / :meth:`load` move one student's
    counts as plain JSON data; :meth:`update_score` records a fractional
    score as fractional counts (``score`` successes and ``1 - score``
    failures; the paper's integer counts for scores 0 and 1).
    """

    def __init__(self, model: PFA) -> None:
        self.model = model
        self.counts: dict[str, dict[str, list[float]]] = {}

    def _logit(self, student: str, skills: list[str]) -> float:
        beta, gamma, rho = self.model._coefs(skills)
        counts = self.counts.get(student, {})
        z = self.model.intercept_
        for j, s in enumerate(skills):
            succ, fail = counts.get(s, (0, 0))
            z += beta[j] + gamma[j] * succ + rho[j] * fail
        return float(z)

    def predict(self, student: str, skill_or_item: str | list[str]) -> float:
        return logistic(self._logit(student, _as_skills(skill_or_item)))

    def update(self, student: str, skill_or_item: str | list[str], correct: int) -> float:
        skills = _as_skills(skill_or_item)
        p = self.predict(student, skills)
        counts = self.counts.setdefault(student, {})
        for s in skills:
            c = counts.setdefault(s, [0, 0])
            c[0 if correct else 1] += 1
        return p

    def update_score(self, student: str, skill_or_item: str | list[str], score: float) -> float:
        """Record an answer with a score in [0, 1]; return the probability of correct predicted before it.

        0 and 1 are :meth:`update`; a fractional score adds ``score`` to each
        skill's successes and ``1 - score`` to its failures.
        """
        score = check_score(score, "pfa")
        if score in (0.0, 1.0):
            return self.update(student, skill_or_item, int(score))
        skills = _as_skills(skill_or_item)
        p = self.predict(student, skills)
        counts = self.counts.setdefault(student, {})
        for s in skills:
            c = counts.setdefault(s, [0, 0])
            c[0] += score
            c[1] += 1.0 - score
        return p

    def state(self, student: str) -> dict[str, Any]:
        """One student's live state as plain JSON data (``{"counts": {skill: [successes, failures]}}``); see :meth:`load`."""
        return {"counts": {s: list(c) for s, c in self.counts.get(student, {}).items()}}

    def load(self, student: str, state: Mapping[str, Any]) -> None:
        """Set one student's live state from :meth:`state` output (other students are untouched)."""
        counts = state.get("counts", {})
        if not isinstance(counts, Mapping):
            raise ValueError("pfa tracker: state['counts'] must map skill -> [successes, failures]")
        values: dict[str, list[float]] = {}
        for s, c in counts.items():
            if (
                not isinstance(c, (list, tuple))
                or len(c) != 2
                or not all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x >= 0 for x in c)
            ):
                raise ValueError(f"pfa tracker: counts of skill {s!r} must be [successes, failures], two numbers >= 0")
            values[str(s)] = list(c)
        if values:
            self.counts[student] = values
        else:
            self.counts.pop(student, None)

    def mastery(self, student: str) -> dict[str, float]:
        """Predicted probability of a correct answer on each training skill."""
        return {s: self.predict(student, s) for s in self.model.skill_names_ or []}
