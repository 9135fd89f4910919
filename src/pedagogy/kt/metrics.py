"""Scores of one-step-ahead predictions: AUC, RMSE, accuracy, log-loss."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["score_predictions", "EPS"]

#: probabilities are clipped to [EPS, 1 - EPS] for the log-loss
EPS = 1e-7


def _auc(y: np.ndarray, q: np.ndarray) -> float:
    """ROC AUC as the Mann-Whitney statistic, ties counted one half (equals scikit-learn's)."""
    uniq, inv, counts = np.unique(q, return_inverse=True, return_counts=True)
    # average rank (1-based) of each distinct score
    ends = np.cumsum(counts)
    avg_rank = ends - (counts - 1) / 2.0
    ranks = avg_rank[inv.reshape(-1)]
    n_pos = float(y.sum())
    n_neg = float(y.size) - n_pos
    return float((ranks[y == 1].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def score_predictions(y_true: Any, p: Any) -> dict[str, float]:
    """Score predicted probabilities of a correct answer against the answers.

    Parameters
    ----------
    y_true : array-like of 0/1, shape (n,)
        The answers.
    p : array-like of float in [0, 1], shape (n,)
        Predicted probability that each answer is correct.

    Returns
    -------
    dict
        ``auc`` (ROC AUC; NaN when only one class is present), ``rmse``,
        ``accuracy`` (threshold 0.5, ``p >= 0.5`` predicts correct),
        ``log_loss`` (mean negative log-likelihood with ``p`` clipped to
        ``[1e-7, 1 - 1e-7]``) and ``n`` (number of answers).
    """
    y = np.asarray(y_true, dtype=np.float64).reshape(-1)
    q = np.asarray(p, dtype=np.float64).reshape(-1)
    if y.shape != q.shape:
        raise ValueError(f"y_true has {y.size} values but p has {q.size}")
    if y.size == 0:
        raise ValueError("no answers to score")
    if not np.all((y == 0) | (y == 1)):
        raise ValueError("y_true must be 0 or 1")
    if not np.all(np.isfinite(q)) or q.min() < 0 or q.max() > 1:
        raise ValueError("p must be probabilities in [0, 1] (no NaN)")
    auc = _auc(y, q) if 0 < y.sum() < y.size else float("nan")
    qc = np.clip(q, EPS, 1 - EPS)
    return {
        "auc": auc,
        "rmse": float(np.sqrt(np.mean((y - q) ** 2))),
        "accuracy": float(np.mean((q >= 0.5) == (y == 1))),
        "log_loss": float(-np.mean(y * np.log(qc) + (1 - y) * np.log1p(-qc))),
        "n": int(y.size),
    }
