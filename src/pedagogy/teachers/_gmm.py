"""A small, fast Gaussian-mixture toolkit shared by ``alp-gmm`` and ``covar-gmm``.

The teachers refit mixtures with 2..10 components on a few hundred points every
few hundred episodes.  scikit-learn's ``GaussianMixture`` spends most of that
time in per-call Python overhead and input validation; here the EM loop is a
handful of batched numpy operations over all components at once (full
covariances, as in Portelas et al. 2019), which keeps the amortised cost per
episode small.

Everything random is drawn from the caller's :class:`numpy.random.Generator`,
so fits are reproducible from the teacher's own RNG (no global state).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Mixture", "box_geometry", "fit_gmm", "fit_gmms", "proportional_index", "select_gmm"]

_LOG_2PI = math.log(2.0 * math.pi)
#: added to the diagonal of every covariance (scikit-learn's ``reg_covar``)
REG_COVAR = 1e-6
#: tiny mass added to every component so empty ones do not divide by zero
_EPS = 10.0 * np.finfo(float).eps


@dataclass
class Mixture:
    """A fitted Gaussian mixture with full covariances.

    Parameters
    ----------
    weights : array (k,)
        Mixing proportions (sum to 1).
    means : array (k, D)
    covariances : array (k, D, D)
    """

    weights: np.ndarray
    means: np.ndarray
    covariances: np.ndarray

    @property
    def k(self) -> int:
        return int(self.weights.shape[0])

    def to_state(self) -> dict[str, list]:
        """Plain JSON data (exact: floats round-trip through ``repr``)."""
        return {"weights": self.weights.tolist(), "means": self.means.tolist(), "covariances": self.covariances.tolist()}

    @classmethod
    def from_state(cls, state: dict[str, list]) -> Mixture:
        return cls(
            np.asarray(state["weights"], dtype=float),
            np.asarray(state["means"], dtype=float),
            np.asarray(state["covariances"], dtype=float),
        )

    def marginal_samplers(self, dims: int) -> tuple[np.ndarray, np.ndarray]:
        """Means and Cholesky factors of each component's marginal over the first ``dims`` axes.

        Sampling ``mean + L @ z`` with a precomputed ``L`` is an order of
        magnitude cheaper than ``Generator.multivariate_normal`` (which runs an
        SVD on every call).
        """
        cov = self.covariances[:, :dims, :dims]
        return self.means[:, :dims].copy(), _safe_cholesky(cov)


def _safe_cholesky(cov: np.ndarray) -> np.ndarray:
    """Batched Cholesky; adds jitter to any matrix that is not numerically positive definite."""
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        out = np.empty_like(cov)
        eye = np.eye(cov.shape[-1])
        for i, c in enumerate(cov):
            jitter = REG_COVAR
            while True:
                try:
                    out[i] = np.linalg.cholesky(c + jitter * eye)
                    break
                except np.linalg.LinAlgError:
                    jitter *= 10.0
        return out


def _m_step(X: np.ndarray, XT: np.ndarray, resp: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, D = X.shape
    nk = resp.sum(axis=1) + _EPS
    means = (resp @ X) / nk[:, None]
    diff = XT[None, :, :] - means[:, :, None]  # (k, D, n)
    covs = (diff * resp[:, None, :]) @ diff.transpose(0, 2, 1)
    covs /= nk[:, None, None]
    covs += REG_COVAR * np.eye(D)
    return nk / n, means, covs


def _kmeans_init(X: np.ndarray, k: int, rng: np.random.Generator, iters: int = 300) -> np.ndarray:
    """Hard responsibilities (k, n) from k-means++ seeding and Lloyd steps until the labels stop changing.

    scikit-learn initialises EM from the labels of a k-means run to
    convergence (at most 300 Lloyd steps), which is what the reference code's
    ``GaussianMixture`` does; this is the same with one-hot matrix products.
    """
    n = X.shape[0]
    centers = np.empty((k, X.shape[1]))
    centers[0] = X[rng.integers(n)]
    d2 = ((X - centers[0]) ** 2).sum(axis=1)
    for j in range(1, k):
        total = d2.sum()
        if total <= 0.0:
            idx = int(rng.integers(n))
        else:
            idx = int(np.searchsorted(np.cumsum(d2), rng.random() * total, side="right"))
            idx = min(idx, n - 1)
        centers[j] = X[idx]
        d2 = np.minimum(d2, ((X - centers[j]) ** 2).sum(axis=1))
    # A few Lloyd steps with one-hot matrix products (cheaper than np.add.at).
    cols = np.arange(n)
    onehot = np.zeros((k, n))
    labels = np.full(n, -1, dtype=np.intp)
    for _ in range(iters):
        dist = (centers * centers).sum(axis=1)[:, None] - 2.0 * (centers @ X.T)
        new = dist.argmin(axis=0)
        if np.array_equal(new, labels):
            break
        labels = new
        onehot.fill(0.0)
        onehot[labels, cols] = 1.0
        counts = onehot.sum(axis=1)
        nonempty = counts > 0
        centers[nonempty] = (onehot @ X)[nonempty] / counts[nonempty, None]
    return onehot


def fit_gmm(
    X: np.ndarray, k: int, rng: np.random.Generator, max_iter: int = 100, tol: float = 1e-3, n_init: int = 1
) -> tuple[Mixture, float]:
    """Fit a full-covariance Gaussian mixture with EM.

    Parameters
    ----------
    X : array (n, D)
        The data (``n >= k``).
    k : int
        Number of components.
    rng : numpy Generator
        Source of randomness for the k-means++ initialisation.
    max_iter, tol :
        EM stops when the mean log-likelihood improves by less than ``tol``
        (scikit-learn's defaults: 100 and 1e-3).
    n_init : int
        Independent initialisations; the best log-likelihood is kept.

    Returns
    -------
    (mixture, total log-likelihood of X under it)
    """
    return fit_gmms(X, [k], rng, max_iter, tol, n_init)[0]


def fit_gmms(
    X: np.ndarray, ks: Sequence[int], rng: np.random.Generator, max_iter: int = 100, tol: float = 1e-3, n_init: int = 1
) -> list[tuple[Mixture, float]]:
    """:func:`fit_gmm` for every ``k`` in ``ks`` at once: ``[(mixture, total log-likelihood)]`` in the order of ``ks``.

    All ``len(ks) * n_init`` EM runs advance together as one stack of
    components, so each EM iteration is one set of numpy calls instead of one
    per mixture (the refit of ``potential_ks = 2..10`` costs a few times one
    fit, not nine).  Each run still stops on its own criterion and keeps its
    own parameters from then on; the k-means++ draws are made in the order
    a loop over ``ks`` (and over the initialisations of each) would make them.
    """
    X = np.ascontiguousarray(X, dtype=float)
    XT = np.ascontiguousarray(X.T)
    n = X.shape[0]
    sizes = [int(k) for k in ks for _ in range(n_init)]
    # component -> run, and the first component of every run
    run_of = np.repeat(np.arange(len(sizes)), sizes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    resp = np.concatenate([_kmeans_init(X, k, rng) for k in sizes])
    weights, means, covs = _m_step(X, XT, resp)
    active = np.ones(len(sizes), dtype=bool)
    prev = np.full(len(sizes), -np.inf)
    for _ in range(max_iter):
        runs = np.flatnonzero(active)
        comps = np.flatnonzero(active[run_of])
        sub_starts = np.searchsorted(comps, starts[runs])
        resp, ll = _log_resp_runs(XT, weights[comps], means[comps], covs[comps], sub_starts)
        w, m, c = _m_step(X, XT, resp)
        weights[comps], means[comps], covs[comps] = w, m, c
        converged = np.abs(ll - prev[runs]) < tol
        prev[runs] = ll
        active[runs[converged]] = False
        if not active.any():
            break
    _, ll = _log_resp_runs(XT, weights, means, covs, starts)
    out: list[tuple[Mixture, float]] = []
    for i in range(len(ks)):
        best: tuple[Mixture, float] | None = None
        for r in range(i * n_init, (i + 1) * n_init):
            sl = slice(starts[r], starts[r] + sizes[r])
            total = float(ll[r]) * n
            if best is None or total > best[1]:
                best = (Mixture(weights[sl].copy(), means[sl].copy(), covs[sl].copy()), total)
        assert best is not None
        out.append(best)
    return out


def _log_resp_runs(
    XT: np.ndarray, weights: np.ndarray, means: np.ndarray, covs: np.ndarray, starts: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """E-step of a stack of mixtures whose components begin at ``starts``.

    Returns the responsibilities (K, n), normalised within each mixture, and
    each mixture's mean log-likelihood per point.
    """
    D = XT.shape[0]
    chol = _safe_cholesky(covs)
    # Triangular inverses are tiny (D is a few): one batched inverse beats K solves.
    y = np.linalg.inv(chol) @ (XT[None, :, :] - means[:, :, None])  # L^-1 (x - mu), (K, D, n)
    maha = np.einsum("kdn,kdn->kn", y, y)
    logdet = 2.0 * np.log(np.diagonal(chol, axis1=1, axis2=2)).sum(axis=1)
    with np.errstate(divide="ignore"):
        const = np.log(weights) - 0.5 * (D * _LOG_2PI + logdet)
    logp = const[:, None] - 0.5 * maha
    sizes = np.diff(np.append(starts, logp.shape[0]))
    top = np.maximum.reduceat(logp, starts, axis=0)  # (runs, n)
    p = np.exp(logp - np.repeat(top, sizes, axis=0))
    total = np.add.reduceat(p, starts, axis=0)
    p /= np.repeat(total, sizes, axis=0)
    return p, (top + np.log(total)).mean(axis=1)


def n_parameters(k: int, D: int) -> int:
    """Free parameters of a full-covariance mixture: means, covariances, weights."""
    return k * (D + D * (D + 1) // 2) + k - 1


def select_gmm(X: np.ndarray, ks: Sequence[int], rng: np.random.Generator, criterion: str = "aic", n_init: int = 1) -> Mixture:
    """Fit one mixture per ``k`` in ``ks`` (skipping ``k > n``) and keep the best by AIC, BIC or AICc."""
    n, D = X.shape
    usable = [int(k) for k in ks if int(k) <= n]
    if not usable:  # fewer points than the smallest k: one component
        mix, _ = fit_gmm(X, 1, rng)
        return mix
    best: tuple[float, Mixture] | None = None
    for k, (mix, loglik) in zip(usable, fit_gmms(X, usable, rng, n_init=n_init)):
        p = n_parameters(k, D)
        if criterion == "bic":
            score = -2.0 * loglik + p * math.log(n)
        else:
            score = -2.0 * loglik + 2.0 * p
            if criterion == "aicc" and n - p - 1 > 0:
                score += 2.0 * p * (p + 1) / (n - p - 1)
        if best is None or score < best[0]:
            best = (score, mix)
    assert best is not None
    return best[1]


def proportional_index(values: np.ndarray, u: float) -> int:
    """Index drawn proportionally to non-negative ``values`` from a uniform ``u`` in [0, 1).

    Falls back to a uniform choice when every value is zero (as the reference
    ``proportional_choice`` does), using the same ``u``.
    """
    total = float(values.sum())
    m = values.shape[0]
    if not total > 0.0:
        return min(int(u * m), m - 1)
    idx = int(np.searchsorted(np.cumsum(values), u * total, side="right"))
    return min(idx, m - 1)


def box_geometry(space: Any) -> tuple[int, np.ndarray, np.ndarray]:
    """``(dimensions, low, high - low)`` of a box: the continuous teachers work in its unit cube."""
    low = np.array(space.low, dtype=float)
    return int(space.ndim), low, np.array(space.high, dtype=float) - low
