"""The Elo rating system for students and items.

Pelánek — "Applications of the Elo rating system in adaptive educational
systems", Computers & Education 98, 2016.  A student has a skill rating
``theta``, an item a difficulty ``d``; ``p = sigmoid(theta - d)``.  After an
answer ``c`` both move by ``K * (c - p)`` (the student up, the item down),
with the uncertainty function ``K(n) = alpha / (1 + beta * n)`` of the number
``n`` of earlier updates of that rating (the paper's defaults ``alpha = 1``,
``beta = 0.05``).

Items are the data's items, or skills (skill combinations) when the data has
no items — see :func:`pedagogy.kt.irt.item_keys`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.kt.base import KTModel, Tracker, register_model
from pedagogy.kt.core import check_score, elo_step, logistic
from pedagogy.kt.data import Responses
from pedagogy.kt.irt import _encode, item_keys, item_vocabulary
from pedagogy.params import Boolean, Interval, ListOf, Rule

__all__ = ["Elo"]


def _run(
    user: np.ndarray,
    item: np.ndarray,
    correct: np.ndarray,
    d: np.ndarray,
    n_item: np.ndarray,
    alpha: float,
    beta: float,
    update_items: bool,
) -> np.ndarray:
    """Run Elo over answers in order (students contiguous), updating ``d``/``n_item`` in place.

    ``item == -1`` marks an item unknown to the model: it is rated at the mean
    difficulty and never updated.  Returns the probability predicted before
    each answer.
    """
    out = np.empty(len(user))
    dl = d.tolist()
    nl = n_item.tolist()
    d_mean = float(d.mean()) if d.size else 0.0
    prev = -1
    theta, n_s = 0.0, 0
    for t, (u, i, c) in enumerate(zip(user.tolist(), item.tolist(), correct.tolist(), strict=True)):
        if u != prev:  # a new student starts from the prior rating
            prev, theta, n_s = u, 0.0, 0
        known = i >= 0
        p, theta, di = elo_step(theta, dl[i] if known else d_mean, n_s, nl[i] if known else 0, c, alpha, beta)
        out[t] = p
        n_s += 1
        if update_items and known:
            dl[i] = di
            nl[i] += 1
    d[:] = dl
    n_item[:] = nl
    return out


@register_model
class Elo(KTModel):
    """Elo ratings of students and items (Pelánek 2016).

    Fitting runs through the training split in order (students one after the
    other), learning the item difficulties.  Prediction starts every student
    at rating 0 and updates it after each of their answers, so answer ``t`` is
    predicted from answers ``< t`` only; the item difficulties stay those of
    training unless ``update_items=True``, in which case they keep learning
    online from every answer seen at prediction time (in the data's order, so
    a student's prediction may then depend on students listed before them —
    never on their own later answers).

    Parameters
    ----------
    alpha : float, default 1.0
    beta : float, default 0.05
        Uncertainty function ``K(n) = alpha / (1 + beta * n)``.
    update_items : bool, default False
        Keep updating item difficulties during ``predict_proba`` / tracking.
    tune : bool, default False
        Choose ``alpha``/``beta`` by grid search (log-loss on the last
        ``validation`` fraction of the training students), then refit on all
        training data.
    alphas, betas : lists of float
        The grid for ``tune``.
    validation : float, default 0.2
    """

    name = "elo"

    def __init__(
        self,
        alpha: float = 1.0,
        beta: float = 0.05,
        update_items: bool = False,
        tune: bool = False,
        alphas: list[float] | tuple[float, ...] = (0.5, 1.0, 2.0, 4.0),
        betas: list[float] | tuple[float, ...] = (0.01, 0.05, 0.2, 1.0),
        validation: float = 0.2,
    ) -> None:
        self.alpha = alpha
        self.beta = beta
        self.update_items = update_items
        self.tune = tune
        self.alphas = alphas
        self.betas = betas
        self.validation = validation
        self.item_names_: list[str] | None = None

    _fitted_attribute = "item_names_"
    _parameter_constraints: ClassVar[dict[str, Rule]] = {
        "alpha": Interval(Real, 0, closed="neither"),
        "beta": Interval(Real, 0),
        "update_items": Boolean(),
        "tune": Boolean(),
        "alphas": ListOf(Interval(Real, 0, closed="neither")),
        "betas": ListOf(Interval(Real, 0)),
        "validation": Interval(Real, 0, 1, closed="neither"),
    }

    def fit(self, data: Responses) -> Elo:
        """Learn item difficulties by running Elo through ``data``."""
        self._start_fit(data)
        item, vocab, skill_level = item_vocabulary(data)
        user = data.user.astype(np.int64)
        y = data.correct.astype(np.int64)
        alpha, beta = float(self.alpha), float(self.beta)
        if self.tune:
            alpha, beta = self._grid_search(data, user, item, y, len(vocab))
        d = np.zeros(len(vocab))
        n_item = np.zeros(len(vocab), dtype=np.int64)
        _run(user, item, y, d, n_item, alpha, beta, update_items=True)
        self.item_names_ = list(vocab)
        self.skill_level_ = skill_level
        self.alpha_, self.beta_ = alpha, beta
        self.d_ = d
        self.n_item_ = n_item
        return self

    def _grid_search(self, data: Responses, user: np.ndarray, item: np.ndarray, y: np.ndarray, n_items: int) -> tuple[float, float]:
        # split by students (the last ``validation`` fraction of them), never by answers
        ptr = data.user_ptr
        cut_user = max(1, int(round(data.n_users * (1.0 - self.validation))))
        cut = int(ptr[min(cut_user, data.n_users)])
        if cut <= 0 or cut >= data.n_answers:
            raise ValueError("elo: too few students to tune on a validation part; set tune=false")
        best, best_loss = (float(self.alpha), float(self.beta)), math.inf
        for alpha in self.alphas:
            for beta in self.betas:
                d = np.zeros(n_items)
                n_item = np.zeros(n_items, dtype=np.int64)
                _run(user[:cut], item[:cut], y[:cut], d, n_item, float(alpha), float(beta), True)
                p = _run(user[cut:], item[cut:], y[cut:], d, n_item, float(alpha), float(beta), self.update_items)
                p = np.clip(p, 1e-12, 1 - 1e-12)
                loss = float(-np.mean(y[cut:] * np.log(p) + (1 - y[cut:]) * np.log(1 - p)))
                if loss < best_loss:
                    best, best_loss = (float(alpha), float(beta)), loss
        return best

    def predict_proba(self, data: Responses) -> np.ndarray:
        """One-step-ahead probability of each answer (student ratings from earlier answers only)."""
        self._check_fitted()
        names, _ = item_keys(data)
        item = _encode(names, {s: i for i, s in enumerate(self.item_names_ or [])})
        # work on copies: prediction never changes the fitted model
        d, n_item = self.d_.copy(), self.n_item_.copy()
        return _run(data.user.astype(np.int64), item, data.correct.astype(np.int64), d, n_item, self.alpha_, self.beta_, self.update_items)

    def tracker(self) -> EloTracker:
        """A live tracker giving the same probabilities as :meth:`predict_proba`."""
        self._check_fitted()
        return EloTracker(self)

    def _tracker_keys(self, data: Responses) -> list[Any]:
        return item_keys(data)[0]

    def _get_state(self) -> dict[str, Any]:
        self._check_fitted()
        return {
            "item_names": self.item_names_,
            "skill_level": self.skill_level_,
            "alpha": self.alpha_,
            "beta": self.beta_,
            "d": self.d_.tolist(),
            "n_item": self.n_item_.tolist(),
        }

    def _set_state(self, state: dict[str, Any]) -> None:
        self.item_names_ = list(state["item_names"])
        self.skill_level_ = bool(state["skill_level"])
        self.alpha_, self.beta_ = float(state["alpha"]), float(state["beta"])
        self.d_ = np.asarray(state["d"], dtype=np.float64)
        self.n_item_ = np.asarray(state["n_item"], dtype=np.int64)


class EloTracker(Tracker):
    """Live Elo: a rating and an answer count per student.

    ``skill_or_item`` is an item name (a skill name for skill-level models).
    With ``update_items`` the tracker keeps its own copy of the item ratings
    (shared by all its students: not part of one student's :meth:`state`).
    :meth:`state` / :meth:`load` move one student's rating and answer count
    as plain JSON data; :meth:`update_score` uses the score as the outcome
    ``c`` of the Elo step (a move of ``K * (score - p)``).
    """

    def __init__(self, model: Elo) -> None:
        self.model = model
        self.index = {s: i for i, s in enumerate(model.item_names_ or [])}
        self.d = model.d_.copy()
        self.n_item = model.n_item_.copy()
        self.d_mean = float(model.d_.mean()) if model.d_.size else 0.0
        self.students: dict[str, list[float]] = {}

    def rating(self, student: str) -> float:
        """Current rating of ``student`` (0 before any answer)."""
        return self.students.get(student, [0.0, 0])[0]

    def _item(self, skill_or_item: str) -> tuple[int, float]:
        i = self.index.get(skill_or_item, -1)
        return i, float(self.d[i]) if i >= 0 else self.d_mean

    def predict(self, student: str, skill_or_item: str) -> float:
        return logistic(self.rating(student) - self._item(skill_or_item)[1])

    def update(self, student: str, skill_or_item: str, correct: int) -> float:
        return self._step(student, skill_or_item, int(correct))

    def update_score(self, student: str, skill_or_item: str, score: float) -> float:
        """Record an answer with a score in [0, 1] as the Elo outcome; return the probability of correct predicted before it.

        0 and 1 are :meth:`update`.
        """
        return self._step(student, skill_or_item, check_score(score, "elo"))

    def _step(self, student: str, skill_or_item: str, outcome: float) -> float:
        i, d = self._item(skill_or_item)
        st = self.students.setdefault(student, [0.0, 0])
        n_item = int(self.n_item[i]) if i >= 0 else 0
        p, st[0], d_new = elo_step(st[0], d, st[1], n_item, outcome, self.model.alpha_, self.model.beta_)
        st[1] += 1
        if self.model.update_items and i >= 0:
            self.d[i] = d_new
            self.n_item[i] += 1
        return p

    def state(self, student: str) -> dict[str, Any]:
        """One student's live state as plain JSON data (``{"rating": theta, "answers": n}``, empty before any answer); see :meth:`load`."""
        st = self.students.get(student)
        return {} if st is None else {"rating": float(st[0]), "answers": int(st[1])}

    def load(self, student: str, state: Mapping[str, Any]) -> None:
        """Set one student's live state from :meth:`state` output (other students are untouched)."""
        if not state:
            self.students.pop(student, None)
            return
        rating, n = state.get("rating"), state.get("answers")
        if isinstance(rating, bool) or not isinstance(rating, (int, float)) or not math.isfinite(rating):
            raise ValueError(f"elo tracker: state['rating'] must be a finite number, got {rating!r}")
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"elo tracker: state['answers'] must be an integer >= 0, got {n!r}")
        self.students[student] = [float(rating), n]

    def mastery(self, student: str) -> dict[str, float]:
        """Predicted probability of a correct answer on each training item."""
        return {s: self.predict(student, s) for s in self.model.item_names_ or []}
