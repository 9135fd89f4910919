"""Class orders for class-incremental learning: a Curriculum Designer after Singh et al. (ICCV 2023).

Singh, Li, Sikarwar, Lei, Gao, Talbot, Sun, Shou, Kreiman, Zhang, "Learning to
Learn: How to Continuously Teach Humans and Machines", ICCV 2023
(arXiv 2211.15470).  In online class-incremental learning a learner sees the
classes one at a time, in a single pass; the order (the *curriculum*) changes
what it retains.  The paper's Curriculum Designer (CD) ranks orders from the
geometry of the classes alone:

1. class prototypes: the mean feature vector of each class under a feature
   extractor (the paper: a pre-trained network) — :func:`class_prototypes`;
2. the inter-class distance matrix between prototypes (the paper: cosine
   distance) — :func:`distance_matrix`;
3. a score for every order, built from an advantage evaluated position by
   position that favours *starting* with central classes whose distances to
   the others have low variance, and *ending* with classes close to the first
   class (so that the last lessons revisit what was learned first and limit
   its forgetting) — :func:`order_score`; the best (and worst) orders are
   searched with :func:`rank_orders`.

What could not be checked against the paper (its full text was not
available here, only its summary): the exact advantage function and its
weights.  This implementation's reading, stated so it can be compared:

* ``v_i`` is the variance of class ``i``'s distances to the other classes;
  ``d_ij`` the distance between classes ``i`` and ``j``; both are rescaled to
  [0, 1] over the classes (min-max), so the score has no units.
* the advantage of class ``c_k`` at position ``k = 0 .. N-1`` mixes the two
  criteria with a weight ``lam_k = k / (N - 1)`` that moves from "low
  variance" at the start to "close to the first class" at the end::

      A_0 = -v(c_0)
      A_k = -(1 - lam_k) * v(c_k) - lam_k * d(c_k, c_0)        (k >= 1)

* the order's score is the mean advantage (higher is better), in [-1, 0].

The score depends on the classes only through the distance matrix, so a
relabelling of the classes relabels the ranking and changes no score.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["CurriculumDesigner", "class_prototypes", "distance_matrix", "order_score", "rank_orders"]


def class_prototypes(features: Any, labels: Any) -> tuple[list[Any], np.ndarray]:
    """``(classes, prototypes)``: the sorted class labels and each class's mean feature vector (one row per class)."""
    x = np.asarray(features, dtype=float)
    y = np.asarray(labels)
    if x.ndim != 2 or y.ndim != 1 or len(x) != len(y) or len(x) == 0:
        raise ValueError(f"class_prototypes: features must be (n, d) and labels (n,), got {x.shape} and {y.shape}")
    if not np.all(np.isfinite(x)):
        raise ValueError("class_prototypes: features must be finite")
    classes = sorted(set(y.tolist()))
    protos = np.stack([x[y == c].mean(axis=0) for c in classes])
    return classes, protos


def distance_matrix(prototypes: Any, metric: str = "cosine") -> np.ndarray:
    """Pairwise distances between prototypes: ``"cosine"`` (1 - cosine similarity, the paper's) or ``"euclidean"``."""
    p = np.asarray(prototypes, dtype=float)
    if p.ndim != 2 or len(p) < 2 or not np.all(np.isfinite(p)):
        raise ValueError(f"distance_matrix: prototypes must be a finite (k, d) array with k >= 2, got shape {p.shape}")
    if metric == "cosine":
        norms = np.linalg.norm(p, axis=1)
        if np.any(norms == 0):
            raise ValueError("distance_matrix: a zero prototype has no cosine distance")
        u = p / norms[:, None]
        d = 1.0 - np.clip(u @ u.T, -1.0, 1.0)
    elif metric == "euclidean":
        sq = np.sum(p * p, axis=1)
        d = np.sqrt(np.maximum(sq[:, None] + sq[None, :] - 2.0 * p @ p.T, 0.0))
    else:
        raise ValueError(f"distance_matrix: metric must be 'cosine' or 'euclidean', got {metric!r}")
    np.fill_diagonal(d, 0.0)
    return (d + d.T) / 2.0


def _check_distances(distances: Any) -> np.ndarray:
    d = np.asarray(distances, dtype=float)
    if d.ndim != 2 or d.shape[0] != d.shape[1] or d.shape[0] < 2:
        raise ValueError(f"class order: distances must be a square (k, k) matrix with k >= 2, got shape {d.shape}")
    if not np.all(np.isfinite(d)) or np.any(d < 0) or not np.allclose(d, d.T):
        raise ValueError("class order: distances must be finite, non-negative and symmetric")
    return d


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(np.min(x)), float(np.max(x))
    return np.zeros_like(x) if hi - lo <= 1e-15 else (x - lo) / (hi - lo)


def _terms(d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(rescaled variance per class, rescaled distance matrix)."""
    k = len(d)
    off = ~np.eye(k, dtype=bool)
    var = np.array([np.var(d[i][off[i]]) for i in range(k)])
    vals = d[off]
    lo, hi = float(vals.min()), float(vals.max())
    dn = np.zeros_like(d) if hi - lo <= 1e-15 else (d - lo) / (hi - lo)
    np.fill_diagonal(dn, 0.0)
    return _minmax(var), dn


def _check_order(order: Sequence[int], k: int) -> list[int]:
    o = [int(c) for c in order]
    if sorted(o) != list(range(k)):
        raise ValueError(f"class order: an order must be a permutation of 0..{k - 1}, got {list(order)!r}")
    return o


def order_score(distances: Any, order: Sequence[int]) -> float:
    """The Curriculum Designer's score of one order of the classes (indices into ``distances``); higher is better."""
    d = _check_distances(distances)
    k = len(d)
    o = _check_order(order, k)
    v, dn = _terms(d)
    return _score(v, dn, o)


def _score(v: np.ndarray, dn: np.ndarray, o: Sequence[int]) -> float:
    k = len(o)
    lam = np.arange(k) / (k - 1)
    first = o[0]
    adv = -(1.0 - lam) * v[list(o)] - lam * dn[list(o), first]
    return float(adv.mean())


def rank_orders(distances: Any, top: int = 10, worst: bool = False, beam: int = 2000,
                exhaustive_up_to: int = 8) -> list[tuple[list[int], float]]:
    """The ``top`` best orders (``worst=True``: the lowest-scored) with their scores, best first.

    Every order is scored when there are at most ``exhaustive_up_to`` classes;
    beyond that a beam search keeps the ``beam`` best partial orders per
    position (the score is a sum over positions once the first class is
    fixed, so partial sums are comparable; the search is then approximate).
    """
    d = _check_distances(distances)
    k = len(d)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"rank_orders: top must be a positive integer, got {top!r}")
    v, dn = _terms(d)
    sign = -1.0 if worst else 1.0
    lam = np.arange(k) / (k - 1)
    if k <= exhaustive_up_to:
        perms = np.array(list(itertools.permutations(range(k))))
        adv = -(1.0 - lam)[None, :] * v[perms] - lam[None, :] * dn[perms, perms[:, :1]]
        scores = adv.mean(axis=1)
        idx = np.argsort(-sign * scores, kind="stable")[:top]
        return [(perms[i].tolist(), float(scores[i])) for i in idx]
    # beam search over positions; partial score = sum of the advantages placed so far
    states: list[tuple[float, list[int]]] = [(float(-v[c]), [c]) for c in range(k)]
    for pos in range(1, k):
        cand: list[tuple[float, list[int]]] = []
        for s, o in states:
            used = set(o)
            for c in range(k):
                if c not in used:
                    a = -(1.0 - lam[pos]) * v[c] - lam[pos] * dn[c, o[0]]
                    cand.append((s + float(a), [*o, c]))
        cand.sort(key=lambda t: (-sign * t[0], t[1]))
        states = cand[: max(beam, top)]
    return [(o, s / k) for s, o in states[:top]]


class CurriculumDesigner:
    """The Curriculum Designer on a data set's features: prototypes, distances, ranked orders.

    ``CurriculumDesigner(features, labels)`` computes the class prototypes
    and their distance matrix (``metric``: ``"cosine"``, the paper's, or
    ``"euclidean"``); orders are lists of class *labels*.
    """

    def __init__(self, features: Any, labels: Any, metric: str = "cosine"):
        self.classes, self.prototypes = class_prototypes(features, labels)
        self.distances = distance_matrix(self.prototypes, metric)
        self._index = {c: i for i, c in enumerate(self.classes)}

    def score(self, order: Sequence[Any]) -> float:
        """The score of an order of class labels."""
        try:
            idx = [self._index[c] for c in order]
        except (KeyError, TypeError):
            raise ValueError(f"CurriculumDesigner: order names an unknown class: {list(order)!r:.80}") from None
        return order_score(self.distances, idx)

    def best(self, top: int = 10, **kw: Any) -> list[tuple[list[Any], float]]:
        """The ``top`` best-scored orders of class labels, best first."""
        return [([self.classes[i] for i in o], s) for o, s in rank_orders(self.distances, top, **kw)]

    def worst(self, top: int = 10, **kw: Any) -> list[tuple[list[Any], float]]:
        """The ``top`` lowest-scored orders, lowest first."""
        return [([self.classes[i] for i in o], s) for o, s in rank_orders(self.distances, top, worst=True, **kw)]
