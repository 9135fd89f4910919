"""The student-model arithmetic, written once (numpy; scipy for the array logistic).

The knowledge-tracing trackers, the tutoring teachers and the simulated
students all step the same models; they call these functions so that a
teacher given a fitted model tracks exactly what the model's tracker tracks.

* Bayesian Knowledge Tracing (Corbett & Anderson 1994): :func:`bkt_p_correct`
  (emission), :func:`bkt_likelihoods` and :func:`bkt_bayes` (the evidence
  step, also the inner loop of the batch filter), :func:`bkt_posterior`
  (evidence of one answer, guarded),
  :func:`bkt_transition` (learn / forget), :func:`bkt_update` (both), and
  :func:`check_bkt` for a parameter set.
* The logistic link and the Elo rating step (Pelánek 2016):
  :func:`logistic`, :func:`elo_gain`, :func:`elo_step`.

The functions take floats or numpy arrays (broadcast), with one operation
order, so batch and live use agree to the last bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from numbers import Real
from typing import Any, TypeVar

import numpy as np

__all__ = [
    "BKT_KEYS",
    "bkt_p_correct",
    "bkt_likelihoods",
    "bkt_bayes",
    "bkt_posterior",
    "bkt_posterior_array",
    "bkt_transition",
    "bkt_update",
    "check_bkt",
    "logistic",
    "elo_gain",
    "elo_step",
    "check_score",
]

#: BKT parameters: P(L0), P(T), P(G), P(S), P(F)
BKT_KEYS = ("prior", "learn", "guess", "slip", "forget")

F = TypeVar("F", float, np.ndarray)


def bkt_p_correct(p_known: F, guess: Any, slip: Any) -> F:
    """P(correct) = P(L)(1 - slip) + (1 - P(L)) guess."""
    return p_known * (1.0 - slip) + (1.0 - p_known) * guess


def bkt_likelihoods(guess: Any, slip: Any, correct: Any) -> tuple[Any, Any]:
    """``(P(answer | known), P(answer | unknown))`` of a 0/1 answer: ``(1 - slip, guess)`` or ``(slip, 1 - guess)``.

    Floats give floats; arrays broadcast (``correct`` of any integer or bool dtype).
    """
    if isinstance(correct, np.ndarray):
        right = correct.astype(bool)
        return np.where(right, 1.0 - slip, slip), np.where(right, guess, 1.0 - guess)
    return (1.0 - slip, guess) if correct else (slip, 1.0 - guess)


def bkt_bayes(p_known: F, like_known: Any, like_unknown: Any) -> F:
    """P(L | answer) from the answer's likelihoods if known / unknown (Bayes' rule, no zero guard).

    The batch filter calls this in its inner loop (likelihoods there are
    never 0); :func:`bkt_posterior` adds the guard for live use.
    """
    k = p_known * like_known
    return k / (k + (1.0 - p_known) * like_unknown)


def bkt_posterior(p_known: float, guess: float, slip: float, correct: float) -> float:
    """P(L | answer): Bayes' rule on one answer.

    ``correct`` is 0 or 1; a fraction in between is soft evidence, the mix
    ``c * P(L | right) + (1 - c) * P(L | wrong)``.  An answer that the
    parameters make impossible (a zero likelihood) leaves ``p_known`` as it is.
    """
    if correct == 1.0 or correct == 0.0:
        e1, e0 = bkt_likelihoods(guess, slip, correct)
        if p_known * e1 + (1.0 - p_known) * e0 > 0.0:
            return bkt_bayes(p_known, e1, e0)
        return p_known
    right = bkt_posterior(p_known, guess, slip, 1.0)
    wrong = bkt_posterior(p_known, guess, slip, 0.0)
    return correct * right + (1.0 - correct) * wrong


def bkt_posterior_array(p_known: np.ndarray, guess: np.ndarray, slip: np.ndarray, correct: np.ndarray) -> np.ndarray:
    """:func:`bkt_posterior` element-wise for 0/1 answers (same arithmetic)."""
    e1, e0 = bkt_likelihoods(guess, slip, np.asarray(correct))
    den = p_known * e1 + (1.0 - p_known) * e0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0.0, bkt_bayes(p_known, e1, e0), p_known)


def bkt_transition(p_known: F, learn: Any, forget: Any) -> F:
    """P(L) after the practice opportunity: learn if unknown, forget if known."""
    return learn + p_known * (1.0 - forget - learn)


def bkt_update(p_known: float, learn: float, forget: float, guess: float, slip: float, correct: float) -> float:
    """One answer: evidence, then transition; the P(L) before the next answer."""
    return bkt_transition(bkt_posterior(p_known, guess, slip, correct), learn, forget)


def check_bkt(params: Mapping[str, Any], owner: str, *, where: str = "", defaults: Mapping[str, float] | None = None) -> dict[str, float]:
    """A complete, checked BKT parameter set: keys of :data:`BKT_KEYS`, each in [0, 1], guess + slip < 1.

    Missing keys come from ``defaults`` (an error if there are none).  The
    error names ``owner`` and ``where`` (e.g. "skill 'fractions'").
    """
    at = f" of {where}" if where else ""
    if not isinstance(params, Mapping):
        raise ValueError(f"{owner}: BKT parameters{at} must be a dict with keys {', '.join(BKT_KEYS)}, got {params!r:.60}")
    extra = sorted(set(params) - set(BKT_KEYS))
    if extra:
        raise ValueError(f"{owner}: unknown BKT parameter {extra[0]!r}{at} (known: {', '.join(BKT_KEYS)})")
    full = {**(defaults or {}), **params}
    missing = [k for k in BKT_KEYS if k not in full]
    if missing:
        raise ValueError(f"{owner}: BKT parameter {missing[0]!r}{at} is missing")
    out: dict[str, float] = {}
    for k in BKT_KEYS:
        v = full[k]
        x = float(v) if isinstance(v, Real) and not isinstance(v, (bool, np.bool_)) else math.nan
        if not 0.0 <= x <= 1.0:  # NaN, inf, non-numbers fail here too
            raise ValueError(f"{owner}: BKT parameter {k!r}{at} must be a probability in [0, 1], got {v!r}")
        out[k] = x
    if out["guess"] + out["slip"] >= 1.0:
        # Otherwise a student who knows the skill answers no better than one who does not.
        raise ValueError(f"{owner}: guess + slip{at} must be below 1, got {out['guess']} + {out['slip']}")
    return out


def logistic(x: F) -> F:
    """1 / (1 + exp(-x)) of a float or an array, without overflow for large |x|.

    Floats use ``math.exp`` in the two branches below; arrays scipy's
    ``expit`` (one ufunc, the same two branches), so a tracker's scalar and a
    batch's array agree to rounding.
    """
    if isinstance(x, np.ndarray):
        from scipy.special import expit

        return expit(x)
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def elo_gain(alpha: float, beta: float, n: float) -> float:
    """Elo's uncertainty function K(n) = alpha / (1 + beta n) after ``n`` earlier updates (Pelánek 2016)."""
    return alpha / (1.0 + beta * n)


def elo_step(
    theta: float, d: float, n_student: float, n_item: float, correct: float, alpha: float, beta: float
) -> tuple[float, float, float]:
    """One answer under Elo: ``(P(correct) before it, new student rating, new item difficulty)``.

    ``p = logistic(theta - d)``; the student moves by ``K(n_student) (c - p)``,
    the item by ``-K(n_item) (c - p)``.  Callers that keep an item fixed
    (unknown to the model, or not learning) ignore the third value.
    """
    p = logistic(theta - d)
    err = correct - p
    return p, theta + elo_gain(alpha, beta, n_student) * err, d - elo_gain(alpha, beta, n_item) * err


def check_score(score: Any, model: str) -> float:
    """A tracker's ``update_score`` input as a float in [0, 1]; ``ValueError`` naming ``model`` otherwise."""
    if isinstance(score, bool) or not isinstance(score, (Real, np.number)) or not 0.0 <= float(score) <= 1.0:
        raise ValueError(f"{model} tracker: score must be a number in [0, 1], got {score!r}")
    return float(score)
