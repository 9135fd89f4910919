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
3. a score for every order — :func:`order_score` — and the best (and worst)
   orders — :func:`rank_orders`.

The score (``criterion="paper"``, the default) follows the scorer of the
authors' code (ZhangLab-DeepNeuroCogLab/Learning2Learn, read to understand
it, not copied).  With ``v`` the variance of a class's distances to the other
classes and ``d`` the inter-class distance, both rescaled to [0, 1] here
(min-max over the classes, so the score has no units; what scale the authors'
inputs had could not be checked), an order ``c_0 .. c_{N-1}`` scores::

    S = (1 - v(c_0)) + sum_{i < m} [ (1 - d(c_i, c_{N-1-i})) + d(c_i, c_{i+1}) ],   m = ceil((N - 1) / 2)

an advantage evaluated step by step from both ends: start with a central,
low-variance class; the class at position ``i`` should be *close* to the one
at the mirrored position from the end (the last classes revisit the first
ones, which limits their forgetting) and *far* from the class right after it.
Higher is better.

``criterion="blend"`` is an earlier reading of the paper's summary, kept for
comparison (the benchmark measures both): the advantage of class ``c_k`` at
position ``k`` is ``-(1 - k/(N-1)) * v(c_k) - k/(N-1) * d(c_k, c_0)`` (low
variance early, close to the first class late), averaged over positions.

Either score depends on the classes only through the distance matrix, so a
relabelling of the classes relabels the ranking and changes no score.
Ranking is exhaustive up to 9 classes by default (10 on request: 10! orders,
vectorised) and a hill-climbing search with swaps beyond (approximate).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["CRITERIA", "CurriculumDesigner", "class_prototypes", "distance_matrix", "order_score", "rank_orders"]


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


CRITERIA = ("paper", "blend")


def _check_criterion(criterion: str) -> None:
    if criterion not in CRITERIA:
        raise ValueError(f"class order: criterion must be one of {', '.join(map(repr, CRITERIA))}, got {criterion!r}")


def _scores(v: np.ndarray, dn: np.ndarray, perms: np.ndarray, criterion: str) -> np.ndarray:
    """Scores of many orders at once (one order per row of ``perms``)."""
    k = perms.shape[1]
    first = perms[:, 0]
    if criterion == "blend":
        lam = np.arange(k) / (k - 1)
        adv = -(1.0 - lam)[None, :] * v[perms] - lam[None, :] * dn[perms, first[:, None]]
        return adv.mean(axis=1)
    m = -(-(k - 1) // 2)
    i = np.arange(m)
    here = perms[:, i]
    mirror = perms[:, k - 1 - i]
    nxt = perms[:, i + 1]
    return (1.0 - v[first]) + ((1.0 - dn[here, mirror]) + dn[here, nxt]).sum(axis=1)


def order_score(distances: Any, order: Sequence[int], criterion: str = "paper") -> float:
    """The Curriculum Designer's score of one order of the classes (indices into ``distances``); higher is better."""
    _check_criterion(criterion)
    d = _check_distances(distances)
    o = _check_order(order, len(d))
    v, dn = _terms(d)
    return float(_scores(v, dn, np.asarray([o]), criterion)[0])


def _all_permutations(k: int) -> np.ndarray:
    """Every permutation of 0..k-1, one per row (built by inserting k-1, k-2, ... into shorter ones)."""
    perms = np.zeros((1, 1), dtype=np.int8)
    for n in range(1, k):
        rows = len(perms)
        out = np.empty((rows * (n + 1), n + 1), dtype=np.int8)
        for pos in range(n + 1):
            block = out[pos * rows : (pos + 1) * rows]
            block[:, :pos] = perms[:, :pos]
            block[:, pos] = n
            block[:, pos + 1 :] = perms[:, pos:]
        perms = out
    return perms


def rank_orders(
    distances: Any,
    top: int = 10,
    worst: bool = False,
    criterion: str = "paper",
    exhaustive_up_to: int = 9,
    restarts: int = 20,
    seed: int = 0,
) -> list[tuple[list[int], float]]:
    """The ``top`` best orders (``worst=True``: the lowest-scored) with their scores, best first (worst: lowest first).

    Every order is scored when there are at most ``exhaustive_up_to`` classes
    (9 classes: 362,880 orders, well under a second; 10 classes, 3.6 million
    orders and a few hundred MB of temporaries, is allowed).  Beyond that the
    search is approximate: hill climbing by swapping two positions, from every
    class as the first one (the rest in index order) and from ``restarts``
    random orders; the best distinct orders met on the way are returned.
    """
    return _rank(distances, top, criterion, exhaustive_up_to, restarts, seed)[1 if worst else 0]


def _rank(
    distances: Any, top: int, criterion: str, exhaustive_up_to: int, restarts: int, seed: int
) -> tuple[list[tuple[list[int], float]], list[tuple[list[int], float]]]:
    """(best ``top`` orders, worst ``top`` orders) from one search."""
    _check_criterion(criterion)
    d = _check_distances(distances)
    k = len(d)
    if isinstance(top, bool) or not isinstance(top, int) or top < 1:
        raise ValueError(f"rank_orders: top must be a positive integer, got {top!r}")
    v, dn = _terms(d)
    if k <= exhaustive_up_to:
        perms = _all_permutations(k)
        scores = _scores(v, dn, perms, criterion)
        idx = np.arange(len(perms))
        out = []
        for sign in (1.0, -1.0):
            if len(perms) > 4 * top:  # partial sort first, then order the few kept (ties by enumeration order)
                keep = np.argpartition(-sign * scores, top)[: top + 1]
                near = scores[keep].min() if sign > 0 else scores[keep].max()
                keep = np.flatnonzero(sign * scores >= sign * near - 1e-12)
            else:
                keep = idx
            order = keep[np.lexsort((keep, -sign * scores[keep]))][:top]
            out.append([(perms[i].astype(int).tolist(), float(scores[i])) for i in order])
        return out[0], out[1]
    return (_local_search(v, dn, k, top, criterion, restarts, seed, 1.0), _local_search(v, dn, k, top, criterion, restarts, seed, -1.0))


def _local_search(
    v: np.ndarray, dn: np.ndarray, k: int, top: int, criterion: str, restarts: int, seed: int, sign: float
) -> list[tuple[list[int], float]]:
    rng = np.random.default_rng(seed)
    starts = [[c, *[x for x in range(k) if x != c]] for c in range(k)]
    starts += [rng.permutation(k).tolist() for _ in range(restarts)]
    seen: dict[tuple[int, ...], float] = {}
    iu = np.triu_indices(k, 1)
    r = np.arange(len(iu[0]))
    for start in starts:
        cur = np.asarray(start)
        cur_s = float(_scores(v, dn, cur[None, :], criterion)[0])
        while True:
            cand = np.repeat(cur[None, :], len(r), axis=0)
            cand[r, iu[0]], cand[r, iu[1]] = cur[iu[1]], cur[iu[0]]
            cs = _scores(v, dn, cand, criterion)
            for row, sc in zip(cand, cs):
                seen.setdefault(tuple(row.tolist()), float(sc))
            j = int(np.argmax(sign * cs))
            if sign * cs[j] <= sign * cur_s + 1e-12:
                break
            cur, cur_s = cand[j], float(cs[j])
        seen.setdefault(tuple(cur.tolist()), cur_s)
    ranked = sorted(seen.items(), key=lambda t: (-sign * t[1], t[0]))[:top]
    return [(list(o), s) for o, s in ranked]


class CurriculumDesigner:
    """The Curriculum Designer on a data set's features: prototypes, distances, ranked orders.

    ``CurriculumDesigner(features, labels)`` computes the class prototypes
    and their distance matrix (``metric``: ``"cosine"``, the paper's, or
    ``"euclidean"``); orders are lists of class *labels*; ``criterion`` as
    in :func:`order_score`.
    """

    def __init__(self, features: Any, labels: Any, metric: str = "cosine", criterion: str = "paper"):
        _check_criterion(criterion)
        self.criterion = criterion
        self.classes, self.prototypes = class_prototypes(features, labels)
        self.distances = distance_matrix(self.prototypes, metric)
        self._index = {c: i for i, c in enumerate(self.classes)}

    def score(self, order: Sequence[Any]) -> float:
        """The score of an order of class labels."""
        try:
            idx = [self._index[c] for c in order]
        except (KeyError, TypeError):
            raise ValueError(f"CurriculumDesigner: order names an unknown class: {list(order)!r:.80}") from None
        return order_score(self.distances, idx, self.criterion)

    def best(self, top: int = 10, **kw: Any) -> list[tuple[list[Any], float]]:
        """The ``top`` best-scored orders of class labels, best first."""
        return [([self.classes[i] for i in o], s) for o, s in rank_orders(self.distances, top, criterion=self.criterion, **kw)]

    def worst(self, top: int = 10, **kw: Any) -> list[tuple[list[Any], float]]:
        """The ``top`` lowest-scored orders, lowest first."""
        return [([self.classes[i] for i in o], s) for o, s in rank_orders(self.distances, top, worst=True, criterion=self.criterion, **kw)]

    def ranking(
        self, top: int = 10, exhaustive_up_to: int = 9, restarts: int = 20, seed: int = 0
    ) -> tuple[list[tuple[list[Any], float]], list[tuple[list[Any], float]]]:
        """(the ``top`` best orders, the ``top`` worst) from a single search (see :func:`rank_orders`)."""
        best, worst = _rank(self.distances, top, self.criterion, exhaustive_up_to, restarts, seed)
        name = self.classes.__getitem__
        return [([name(i) for i in o], s) for o, s in best], [([name(i) for i in o], s) for o, s in worst]
