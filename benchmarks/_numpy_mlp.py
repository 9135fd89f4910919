"""A small numpy network for the benchmarks on scikit-learn's digits (no torch needed)."""

from __future__ import annotations

import numpy as np

__all__ = ["MLP"]


class MLP:
    """A one-hidden-layer ReLU network with a softmax over all 10 classes, trained by Adam (numpy; fast enough to run hundreds of streams)."""

    def __init__(self, n_in: int, n_hidden: int, n_out: int, seed: int, lr: float = 0.01):
        rng = np.random.default_rng(seed)
        self.p = [
            rng.normal(0, np.sqrt(2.0 / n_in), (n_in, n_hidden)),
            np.zeros(n_hidden),
            rng.normal(0, np.sqrt(1.0 / n_hidden), (n_hidden, n_out)),
            np.zeros(n_out),
        ]
        self.m = [np.zeros_like(w) for w in self.p]
        self.v = [np.zeros_like(w) for w in self.p]
        self.t = 0
        self.lr = lr

    def _forward(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        h = np.maximum(x @ self.p[0] + self.p[1], 0.0)
        return h, h @ self.p[2] + self.p[3]

    def step(self, x: np.ndarray, y: np.ndarray) -> None:
        """One Adam step on the mean cross-entropy of a mini-batch."""
        h, z = self._forward(x)
        z = z - z.max(axis=1, keepdims=True)
        prob = np.exp(z)
        prob /= prob.sum(axis=1, keepdims=True)
        prob[np.arange(len(y)), y] -= 1.0
        g_z = prob / len(y)
        g_h = (g_z @ self.p[2].T) * (h > 0)
        grads = [x.T @ g_h, g_h.sum(axis=0), h.T @ g_z, g_z.sum(axis=0)]
        self.t += 1
        b1, b2 = 0.9, 0.999
        for i, g in enumerate(grads):
            self.m[i] = b1 * self.m[i] + (1 - b1) * g
            self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
            mh = self.m[i] / (1 - b1**self.t)
            vh = self.v[i] / (1 - b2**self.t)
            self.p[i] -= self.lr * mh / (np.sqrt(vh) + 1e-8)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return np.argmax(self._forward(x)[1], axis=1)
