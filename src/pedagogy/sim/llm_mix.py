"""RL post-training of a language model on a mixture of data distributions.

:class:`LLMMixLearner` simulates GRPO-style training where each step samples a
group of rollouts on a prompt from one distribution (a data source at a
difficulty level), as in DUMP (Wang et al., "Automated Distribution-Level
Curriculum Learning for RL-based LLM Post-training", 2025) and SEC
("Self-Evolving Curriculum for LLM Reasoning", 2025).  The scenario
``llm-mix`` is registered at the bottom.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, Nullable, Rule, Satisfies
from pedagogy.sim.base import Learner, Scenario, names_rule, register_scenario
from pedagogy.sim.targets import BudgetToReach, Target
from pedagogy.spaces import Discrete

__all__ = ["LLMMixLearner"]

_EPS = 1e-6  # the std epsilon of group-normalised advantages


def _source_names(v: Any) -> bool:
    return (
        isinstance(v, Sequence) and not isinstance(v, str) and len(v) > 0 and len(set(v)) == len(v)
        and all(isinstance(s, str) and s and "/" not in s for s in v)
    )


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


class LLMMixLearner(Learner):
    """A model trained by group-relative RL on ``sources x levels`` data distributions.

    What it models: RL post-training (GRPO) where the curriculum picks which
    data distribution the next prompt comes from.  A distribution the model
    always solves or always fails gives no gradient; learning happens where
    rollouts disagree — the premise of DUMP's and SEC's advantage-based
    curricula.

    Dynamics (one :meth:`practice` call = one prompt, one group of rollouts):

    * Distribution ``d`` (source ``s``, level ``k = 1..levels``) has a latent
      skill ``z_d`` and success probability ``p_d = ceiling_k * sigmoid(z_d)``
      with ``ceiling_k = 1 - 0.05 (k - 1)``: the hardest problems keep some
      unsolvable share.  Initially ``z_d = start_k = 0.5 - 1.5 k`` plus the
      source's offset (``source_offset * s``, later sources are harder), so
      ``p`` is about 0.27 at level 1 and below 0.01 at level 4.
    * The step samples ``group`` rewards ``r ~ Bernoulli(p_d)``.  If they are
      not all equal, the update has signal and ``z_d`` grows by ``rate_d``
      (log-normal jitter ``rate_spread`` around ``rate``, halved per level,
      drawn from the seed); a group whose rewards all agree has zero advantage
      and teaches nothing, as in GRPO.
    * Prerequisites by transfer: when ``z`` of level ``k`` grows by ``delta``,
      level ``k + 1`` of the same source grows by ``transfer * delta``.  A
      harder level's ``p`` is too close to 0 to give signal until the easier
      ones have lifted it.
    * ``unlearnable`` distributions never change (rate 0, no transfer in).

    Score (what the teacher sees): the mean absolute group-normalised
    advantage ``mean_i |r_i - mean(r)| / (std(r) + 1e-6)`` (population std),
    exactly 0 when all rollouts agree and about ``2 sqrt(q (1 - q))`` for a
    success share ``q`` otherwise.

    :meth:`evaluate`: the held-out accuracy of each distribution is its true
    success probability ``p_d`` (the limit of an infinite held-out set: no
    sampling noise, so curves compare exactly), under the key
    ``"accuracy/<name>"``; ``mean_accuracy`` (over distributions) and
    ``mastered_fraction`` (share of distributions with ``p_d >= threshold``).

    Parameters
    ----------
    sources:
        Names of the data sources (default ``("math", "code", "logic")``).
    levels:
        Difficulty levels per source (default 4).  Tasks are named
        ``"<source>/level<k>"``.
    group:
        Rollouts per prompt, G (default 8).
    rate:
        Base growth of ``z`` per informative group at level 1 (default 0.01:
        uniform sampling is still improving at the end of the full budget).
    rate_spread:
        Log-normal sigma of the per-distribution rate jitter (default 0.3).
    transfer:
        Share of a level's progress passed to the next level (default 0.5).
    source_offset:
        Start-skill offset between consecutive sources (default 0.5).
    unlearnable:
        Names of distributions that never improve (default: the hardest
        level of the last source).
    threshold:
        Accuracy at which a distribution counts as mastered (default 0.5).
    seed:
        Seed of the rate jitter and the rollouts.
    """

    space: Discrete

    parameters: ClassVar[Mapping[str, Rule]] = {
        "sources": Satisfies(_source_names, "a non-empty list of unique names without '/'"),
        "levels": Interval(Integral, 1, 20), "group": Interval(Integral, 2), "seed": Interval(Integral, 0),
        "rate": Interval(Real, 0), "rate_spread": Interval(Real, 0, 5), "transfer": Interval(Real, 0, 1),
        "source_offset": Interval(Real, 0, 10), "threshold": Interval(Real, 0, 1),
        "unlearnable": Nullable(names_rule("distribution names")),
    }

    def __init__(
        self,
        sources: Sequence[str] = ("math", "code", "logic"),
        levels: int = 4,
        group: int = 8,
        rate: float = 0.01,
        rate_spread: float = 0.3,
        transfer: float = 0.5,
        source_offset: float = 0.5,
        unlearnable: Sequence[str] | None = None,
        threshold: float = 0.5,
        seed: int = 0,
    ):
        self._check_parameters(sources=sources, levels=levels, group=group, seed=seed, rate=rate, rate_spread=rate_spread,
                               transfer=transfer, source_offset=source_offset, threshold=threshold, unlearnable=unlearnable)
        self.rate, self.rate_spread, self.transfer = float(rate), float(rate_spread), float(transfer)
        self.source_offset, self.threshold = float(source_offset), float(threshold)
        self.sources = list(sources)
        self.levels = int(levels)
        self.group = int(group)
        self.seed = int(seed)
        self.rng = np.random.default_rng(seed)

        names = [f"{s}/level{k}" for s in self.sources for k in range(1, self.levels + 1)]
        self.space = Discrete(names, difficulty=[float(k) for _ in self.sources for k in range(1, self.levels + 1)])
        if unlearnable is None:
            unlearnable = [names[-1]]
        unknown = [u for u in unlearnable if u not in self.space]
        if unknown:
            raise self._error(f"unlearnable names unknown distribution {unknown[0]!r} (tasks look like {names[0]!r})")
        self.unlearnable = frozenset(unlearnable)

        jitter = np.exp(self.rate_spread * self.rng.standard_normal(len(names)))
        self._z: list[float] = []
        self._ceiling: list[float] = []
        self._rate: list[float] = []
        self._next: list[int | None] = []  # the next level of the same source, which receives transfer
        for si, _ in enumerate(self.sources):
            for k in range(1, self.levels + 1):
                i = si * self.levels + k - 1
                self._z.append(0.5 - 1.5 * k - self.source_offset * si)
                self._ceiling.append(max(0.0, 1.0 - 0.05 * (k - 1)))
                self._rate.append(0.0 if names[i] in self.unlearnable else float(self.rate * jitter[i] * 0.5 ** (k - 1)))
                nxt = i + 1 if k < self.levels else None
                self._next.append(None if nxt is None or names[nxt] in self.unlearnable else nxt)
        self.steps = 0

    def success_probability(self, task: Any) -> float:
        """True success probability of a distribution (its held-out accuracy)."""
        i = self.space.index(task)
        return self._ceiling[i] * _sigmoid(self._z[i])

    def _grow(self, i: int, delta: float) -> None:
        # Progress flows down the source's levels, shrinking by ``transfer`` each level.
        while delta > 1e-12:
            self._z[i] += delta
            nxt = self._next[i]
            if nxt is None:
                break
            i, delta = nxt, delta * self.transfer

    def practice(self, task: Any) -> float:
        """One group of rollouts on distribution ``task``; returns its mean |advantage|."""
        try:
            i = self.space.index(task)
        except (KeyError, TypeError):
            raise self._error(f"unknown distribution {task!r}") from None
        p = self._ceiling[i] * _sigmoid(self._z[i])
        g = self.group
        k = int(self.rng.binomial(g, p))
        self.steps += 1
        if k == 0 or k == g:
            return 0.0  # every rollout agrees: zero advantage, zero gradient
        if self._rate[i]:
            self._grow(i, self._rate[i])
        q = k / g
        sd = math.sqrt(q * (1.0 - q))
        # k rewards of 1 at distance 1 - q from the mean, g - k rewards of 0 at distance q.
        return (k * (1.0 - q) + (g - k) * q) / g / (sd + _EPS)

    def evaluate(self) -> dict[str, float]:
        """Ground truth: see the class docstring."""
        acc = [c * _sigmoid(z) for c, z in zip(self._ceiling, self._z)]
        out = {f"accuracy/{name}": a for name, a in zip(self.space.tasks, acc)}
        out["mean_accuracy"] = float(sum(acc) / len(acc))
        out["mastered_fraction"] = sum(a >= self.threshold for a in acc) / len(acc)
        return out

    def __repr__(self) -> str:
        return f"LLMMixLearner(sources={self.sources!r}, levels={self.levels}, group={self.group}, seed={self.seed})"


def _llm_mix(seed: int) -> LLMMixLearner:
    return LLMMixLearner(seed=seed)


# Budgets count groups (practice calls); batch=8 groups make one training step,
# so full = 2,000 steps.  Uniform sampling reaches a mean accuracy of about
# 0.3 after the quick budget and 0.65-0.68 after the full one, still rising.
register_scenario(
    Scenario(
        name="llm-mix",
        description="GRPO-style post-training on 3 sources x 4 difficulty levels (score = mean |group advantage|, G=8)",
        factory=_llm_mix,
        budget_quick=4000,
        budget_full=16000,
        evaluations=40,
        metric="mean_accuracy",
        batch=8,
        tags=("discrete", "llm"),
        targets=tuple(
            Target(f"{t} reaches random's final mean_accuracy within 70 % of the budget", BudgetToReach(t, "random"), 0.70, "<=")
            for t in ("dump", "sec")
        ),
    )
)
