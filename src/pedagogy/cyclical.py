"""Cyclical curriculum: a training-subset size that cycles between curriculum and vanilla epochs.

Kesgin & Amasyali, "Cyclical Curriculum Learning", IEEE Transactions on
Neural Networks and Learning Systems, 2024 (doi 10.1109/TNNLS.2023.3265331;
reference code: github.com/CyclicalCurriculum/Cyclical-Curriculum, read to
understand the schedule, not copied).  Each epoch trains on a subset of the
data chosen by a scoring function (easier examples first); the subset's size,
a fraction of the data set, grows geometrically from ``start_fraction`` to
``end_fraction`` (a vanilla epoch when that is 1: the whole data set) and
shrinks back, again and again::

    0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 1.0, 0.5, ...     (the defaults: 0.25, 1.0, x2 per epoch)

The defaults are the reference code's: ``start_fraction=0.25``,
``end_fraction=1.0``, ``multiplier=0.5`` (each step multiplies the size by
``1 / multiplier`` going up and by ``multiplier`` going down).  Other
strategies: ``"increase"`` — the plain curriculum size schedule (grow to
``end_fraction`` and stay); ``"vanilla"`` — the whole data set every epoch.

Which examples: ``selection="easiest"`` (default) takes the ``k``
highest-scored examples (ties by index), returned easiest first;
``selection="weighted"`` draws ``k`` distinct examples with probability
proportional to the score, as the reference code's training loop does (it
samples with ``p = scores / scores.sum()`` without replacement).  Scores are
"higher is easier", e.g. ``1 / loss`` of a trained model (the reference's
example) or its probability of the true class.

The schedule is framework-free: a torch ``Sampler`` can yield
``schedule.subset(epoch)`` (shuffled as it likes).  Its state is plain JSON
(``state_dict`` / ``load_state_dict``, as in torch); the weighted draws are
seeded by ``(seed, epoch)``, so a resumed schedule gives the same subsets.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterator
from numbers import Integral, Real
from typing import Any

import numpy as np

from pedagogy.params import Interval, OneOf, validate

__all__ = ["STATE_FORMAT", "CyclicalSchedule"]

STATE_FORMAT = "pedagogy.cyclical/1"

_RULES = {
    "n_examples": Interval(Integral, 1),
    "start_fraction": Interval(Real, 0, 1, closed="right"),
    "end_fraction": Interval(Real, 0, 1, closed="right"),
    "multiplier": Interval(Real, 0, 1, closed="neither"),
    "strategy": OneOf("cycle", "increase", "vanilla"),
    "selection": OneOf("easiest", "weighted"),
    "seed": Interval(Integral, 0),
}


class CyclicalSchedule:
    """Per-epoch training subsets of a cyclical curriculum (Kesgin & Amasyali, TNNLS 2024).

    Parameters
    ----------
    n_examples:
        Size of the training set.
    scores:
        One finite score per example, higher = easier (``selection="weighted"``
        needs them >= 0 and not all 0).
    start_fraction, end_fraction, multiplier:
        The cycle: from ``start_fraction`` of the data, times ``1 / multiplier``
        per epoch up to ``end_fraction``, then times ``multiplier`` per epoch
        back down, and so on (defaults 0.25, 1.0, 0.5: the reference code's).
    strategy:
        ``"cycle"`` (the paper's), ``"increase"`` (plain curriculum: up, then
        stay) or ``"vanilla"`` (always everything).
    selection:
        ``"easiest"`` (top-k by score) or ``"weighted"`` (k draws without
        replacement, probability proportional to the score; the reference's).
    seed:
        Seed of the weighted draws.
    """

    def __init__(
        self,
        n_examples: int,
        scores: Any,
        start_fraction: float = 0.25,
        end_fraction: float = 1.0,
        multiplier: float = 0.5,
        strategy: str = "cycle",
        selection: str = "easiest",
        seed: int = 0,
    ):
        self._config = {
            "n_examples": n_examples,
            "start_fraction": start_fraction,
            "end_fraction": end_fraction,
            "multiplier": multiplier,
            "strategy": strategy,
            "selection": selection,
            "seed": seed,
        }
        validate(self._config, _RULES, "CyclicalSchedule")
        if start_fraction > end_fraction:
            raise ValueError(f"CyclicalSchedule: start_fraction ({start_fraction}) must not exceed end_fraction ({end_fraction})")
        s = np.asarray(scores, dtype=float)
        if s.shape != (n_examples,):
            raise ValueError(f"CyclicalSchedule: scores must have one value per example ({n_examples}), got shape {s.shape}")
        if not np.all(np.isfinite(s)):
            raise ValueError("CyclicalSchedule: scores must be finite")
        if selection == "weighted" and (np.any(s < 0) or s.sum() <= 0):
            raise ValueError("CyclicalSchedule: selection='weighted' needs scores >= 0, not all 0")
        self.n_examples = int(n_examples)
        self.scores = s
        self.start_fraction = float(start_fraction)
        self.end_fraction = float(end_fraction)
        self.multiplier = float(multiplier)
        self.strategy = strategy
        self.selection = selection
        self.seed = int(seed)
        self.epoch = 0
        # easiest first; stable, so ties keep index order
        self._ranked = np.argsort(-s, kind="stable")
        self._digest = hashlib.sha256(s.tobytes()).hexdigest()[:16]
        up = [self.start_fraction]
        while up[-1] / self.multiplier < self.end_fraction * (1 - 1e-12):
            up.append(up[-1] / self.multiplier)
        if up[-1] < self.end_fraction:
            up.append(self.end_fraction)
        self._up = up
        self._period = up + up[-2:0:-1]  # up, then back down without repeating the ends

    # ------------------------------------------------------------ schedule
    def fraction(self, epoch: int) -> float:
        """The share of the data trained on in ``epoch`` (0-based)."""
        if isinstance(epoch, bool) or not isinstance(epoch, (int, np.integer)) or epoch < 0:
            raise ValueError(f"CyclicalSchedule: epoch must be a non-negative integer, got {epoch!r}")
        if self.strategy == "vanilla":
            return 1.0
        if self.strategy == "increase":
            return self._up[min(int(epoch), len(self._up) - 1)]
        return self._period[int(epoch) % len(self._period)]

    def size(self, epoch: int) -> int:
        """How many examples ``epoch`` trains on (at least 1)."""
        return max(1, min(self.n_examples, math.ceil(self.fraction(epoch) * self.n_examples - 1e-9)))

    def subset(self, epoch: int) -> np.ndarray:
        """The indices of the examples of ``epoch``: the easiest ``size(epoch)`` first (or the weighted draw)."""
        k = self.size(epoch)
        if k == self.n_examples and self.selection == "easiest":
            return self._ranked.copy()
        if self.selection == "easiest":
            return self._ranked[:k].copy()
        rng = np.random.default_rng([self.seed, int(epoch)])
        p = self.scores / self.scores.sum()
        nz = int(np.count_nonzero(p))
        if k > nz:  # numpy cannot draw more distinct items than have probability: the rest by rank
            chosen = self._ranked[:nz]
            rest = np.setdiff1d(np.arange(self.n_examples), chosen)
            return np.concatenate([rng.permutation(chosen), rest[: k - nz]])
        return rng.choice(self.n_examples, size=k, replace=False, p=p)

    def next_subset(self) -> np.ndarray:
        """The subset of the current epoch; then advance to the next epoch."""
        out = self.subset(self.epoch)
        self.epoch += 1
        return out

    def __iter__(self) -> Iterator[np.ndarray]:
        while True:
            yield self.next_subset()

    def fractions(self, n_epochs: int) -> list[float]:
        """The fractions of the first ``n_epochs`` epochs."""
        return [self.fraction(e) for e in range(n_epochs)]

    # --------------------------------------------------------------- state
    def state_dict(self) -> dict[str, Any]:
        """Plain JSON: the options, the current epoch and a digest of the scores (not the scores themselves)."""
        return {"format": STATE_FORMAT, **self._config, "scores_sha256": self._digest, "epoch": self.epoch}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Resume from :meth:`state_dict` output; the schedule must have been built with the same options and scores."""
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"CyclicalSchedule: not a schedule state (expected format {STATE_FORMAT!r})")
        for key, value in self._config.items():
            if state.get(key) != value:
                raise ValueError(f"CyclicalSchedule: state has {key}={state.get(key)!r}, this schedule {value!r}")
        if state.get("scores_sha256") != self._digest:
            raise ValueError("CyclicalSchedule: state was saved with different scores")
        epoch = state.get("epoch")
        if isinstance(epoch, bool) or not isinstance(epoch, int) or epoch < 0:
            raise ValueError(f"CyclicalSchedule: state epoch must be a non-negative integer, got {epoch!r}")
        self.epoch = epoch

    def __repr__(self) -> str:
        return (
            f"CyclicalSchedule(n_examples={self.n_examples}, {self.start_fraction:g}..{self.end_fraction:g} "
            f"x{1 / self.multiplier:g}, strategy={self.strategy!r}, selection={self.selection!r}, epoch={self.epoch})"
        )
