"""Small helpers shared by the discrete-space teachers (``lp``, ``tscl``, ``dump``, ``sec``, ``plr``).

Private module: it registers no teacher.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["draw_from_cdf", "softmax_cdf", "top_k"]


def draw_from_cdf(rng: np.random.Generator, cdf: np.ndarray, n: int) -> list[int]:
    """Draw ``n`` indices from an (unnormalised) cumulative weight array.

    One uniform draw and one binary search per index: O(n log k), no O(k)
    work, so a cached ``cdf`` makes repeated proposals cheap.
    """
    if n == 1:  # the common single proposal, without array round-trips (same random stream)
        i = int(cdf.searchsorted(rng.random() * cdf[-1], side="right"))
        return [min(i, cdf.size - 1)]
    u = rng.random(n) * cdf[-1]
    idx = np.searchsorted(cdf, u, side="right")
    # u < cdf[-1] always, but guard against the float edge u == cdf[-1].
    np.minimum(idx, cdf.size - 1, out=idx)
    return idx.tolist()


def softmax_cdf(values: np.ndarray, temperature: float) -> tuple[np.ndarray, np.ndarray]:
    """Boltzmann distribution ``p ∝ exp(values / temperature)``; returns ``(p, cumulative p)``."""
    z = (values - values.max()) / temperature
    w = np.exp(z)
    p = w / w.sum()
    return p, np.cumsum(p)


def top_k(names: list[Any], columns: dict[str, np.ndarray], key: np.ndarray, k: int) -> list[dict[str, Any]]:
    """The ``k`` tasks with the largest ``key`` as small dicts (for reports on large spaces)."""
    k = min(k, key.size)
    if k < key.size:
        part = np.argpartition(-key, k - 1)[:k]
        idx = part[np.argsort(-key[part], kind="stable")]
    else:
        idx = np.argsort(-key, kind="stable")
    out = []
    for i in idx.tolist():
        row: dict[str, Any] = {"task": names[i]}
        for col, arr in columns.items():
            row[col] = float(arr[i])
        out.append(row)
    return out

