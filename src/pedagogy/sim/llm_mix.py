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
from functools import partial
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, Nullable, OneOf, Rule, Satisfies
from pedagogy.sim.base import Learner, Scenario, names_rule, register_scenario
from pedagogy.sim.split import draw_with, register_variants
from pedagogy.sim.targets import BudgetToReach, Target
from pedagogy.spaces import Discrete

__all__ = ["LLMMixLearner"]

_EPS = 1e-6  # the std epsilon of group-normalised advantages


def _source_names(v: Any) -> bool:
    return (
        isinstance(v, Sequence)
        and not isinstance(v, str)
        and len(v) > 0
        and len(set(v)) == len(v)
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
    * ``cross_transfer`` (default 0): a share of each step's progress also
      goes to the same level of every other source (shared skills across
      sources, e.g. math and code reasoning).
    * ``unlearnable`` distributions never change (rate 0, no transfer in).

    * ``noisy_sources`` (default none): extra sources, ``levels`` levels
      each, whose verifier is broken — every rollout's reward is a fair coin
      (``Bernoulli(coin)``) whatever the model does.  Their groups almost
      always disagree, so their mean |advantage| is near its maximum (about
      0.93 for ``coin = 0.5`` and ``G = 8``), yet practising them changes
      nothing: no skill grows, nothing transfers.  This is the trap of
      advantage-driven curricula (high advantage, nothing to learn).
      ``noise_model="per-prompt"``: each noisy prompt has its own success
      probability, ``Beta(2 coin, 2 (1 - coin))`` (mean ``coin``), so its
      groups agree more often and the trap is less uniform.

    Score (what the teacher sees), chosen by ``signal``:

    * ``"advantage"`` (default): the mean absolute group-normalised advantage
      ``mean_i |r_i - mean(r)| / (std(r) + 1e-6)`` (population std), exactly
      0 when all rollouts agree and about ``2 sqrt(q (1 - q))`` for a success
      share ``q`` otherwise — the DUMP/SEC signal;
    * ``"success_rate"``: the group's mean reward ``q = k / G`` (the success
      rate of the prompt's rollouts), which a GRPO trainer also has.  The
      advantage is a function of it, so this signal carries strictly more.

    :meth:`evaluate`: the held-out accuracy of each distribution is its true
    success probability ``p_d`` (the limit of an infinite held-out set: no
    sampling noise, so curves compare exactly), under the key
    ``"accuracy/<name>"``; ``mean_accuracy`` (over the real distributions:
    the noisy ones, whose held-out accuracy is meaningless, are left out and
    reported as ``accuracy/<name>`` = ``coin`` only) and ``mastered_fraction``
    (share of real distributions with ``p_d >= threshold``).

    :meth:`oracle_task`: the distribution whose next step has the largest
    expected gain in mean held-out accuracy, computed from the simulator's
    own state (see the method).

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
    noisy_sources:
        Names of extra coin-flip sources (default none), see above.
    coin:
        Reward probability of a noisy source's rollouts (default 0.5).
    cross_transfer:
        Share of a step's progress passed to the same level of the other
        sources (default 0: sources are independent).
    noise_model:
        ``"coin"`` (default: every noisy rollout is ``Bernoulli(coin)``) or
        ``"per-prompt"``, see above.
    signal:
        What :meth:`practice` returns: ``"advantage"`` (default) or
        ``"success_rate"``; :meth:`use_signal` switches it.
    seed:
        Seed of the rate jitter and the rollouts.
    """

    space: Discrete

    parameters: ClassVar[Mapping[str, Rule]] = {
        "sources": Satisfies(_source_names, "a non-empty list of unique names without '/'"),
        "levels": Interval(Integral, 1, 20),
        "group": Interval(Integral, 2),
        "seed": Interval(Integral, 0),
        "rate": Interval(Real, 0),
        "rate_spread": Interval(Real, 0, 5),
        "transfer": Interval(Real, 0, 1),
        "source_offset": Interval(Real, 0, 10),
        "threshold": Interval(Real, 0, 1),
        "unlearnable": Nullable(names_rule("distribution names")),
        "noisy_sources": Satisfies(
            lambda v: isinstance(v, (list, tuple)) and (len(v) == 0 or _source_names(v)), "a list of unique names without '/'"
        ),
        "coin": Interval(Real, 0, 1),
        "signal": OneOf("advantage", "success_rate"),
        "cross_transfer": Interval(Real, 0, 1),
        "noise_model": OneOf("coin", "per-prompt"),
    }
    #: the scores :meth:`practice` can return (see ``signal``)
    signals: ClassVar[tuple[str, ...]] = ("advantage", "success_rate")

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
        noisy_sources: Sequence[str] = (),
        coin: float = 0.5,
        signal: str = "advantage",
        cross_transfer: float = 0.0,
        noise_model: str = "coin",
        seed: int = 0,
    ):
        self._check_parameters(
            sources=sources,
            levels=levels,
            group=group,
            seed=seed,
            rate=rate,
            rate_spread=rate_spread,
            transfer=transfer,
            source_offset=source_offset,
            threshold=threshold,
            unlearnable=unlearnable,
            noisy_sources=noisy_sources,
            coin=coin,
            signal=signal,
            cross_transfer=cross_transfer,
            noise_model=noise_model,
        )
        clash = sorted(set(sources) & set(noisy_sources))
        if clash:
            raise self._error(f"source {clash[0]!r} is both a real and a noisy source")
        self.rate, self.rate_spread, self.transfer = float(rate), float(rate_spread), float(transfer)
        self.source_offset, self.threshold = float(source_offset), float(threshold)
        self.sources = list(sources)
        self.levels = int(levels)
        self.group = int(group)
        self.seed = int(seed)
        self.noisy_sources = list(noisy_sources)
        self.coin = float(coin)
        self.signal = str(signal)
        self.cross_transfer, self.noise_model = float(cross_transfer), str(noise_model)
        self.rng = np.random.default_rng(seed)

        names = [f"{s}/level{k}" for s in self.sources for k in range(1, self.levels + 1)]
        self.n_real = len(names)
        noisy = [f"{s}/level{k}" for s in self.noisy_sources for k in range(1, self.levels + 1)]
        self.space = Discrete(
            names + noisy, difficulty=[float(k) for _ in self.sources + self.noisy_sources for k in range(1, self.levels + 1)]
        )
        if unlearnable is None:
            unlearnable = [names[-1]]
        unknown = [u for u in unlearnable if u not in names]
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
        # the same level of the other sources, which receive cross_transfer (learnable ones only)
        self._cross: list[list[int]] = [
            [
                o * self.levels + i % self.levels
                for o in range(len(self.sources))
                if o != i // self.levels and names[o * self.levels + i % self.levels] not in self.unlearnable
            ]
            if self.cross_transfer
            else []
            for i in range(len(names))
        ]
        self.steps = 0

    def use_signal(self, signal: str) -> None:
        """Switch what :meth:`practice` returns (one of :attr:`signals`)."""
        if signal not in self.signals:
            raise self._error(f"unknown signal {signal!r} (known: {', '.join(self.signals)})")
        self.signal = signal

    def success_probability(self, task: Any) -> float:
        """True success probability of a distribution's rollouts (for a real one, its held-out accuracy)."""
        i = self.space.index(task)
        return self.coin if i >= self.n_real else self._ceiling[i] * _sigmoid(self._z[i])

    def oracle_task(self) -> str:
        """The distribution an all-seeing teacher practises now: the largest expected one-step gain in mean held-out accuracy.

        For real distribution ``d`` the step is informative with probability
        ``1 - p_d**G - (1 - p_d)**G``; then ``z_d`` grows by ``rate_d`` and the
        levels above it by the transferred shares (:meth:`practice`'s rule).
        The gain is that probability times the resulting change of
        ``mean_accuracy``, computed exactly from the current ``z``.  Noisy and
        unlearnable distributions gain nothing.  Ties go to the first
        distribution.  Myopic (one step ahead), so a limit in practice rather
        than a proven optimum.
        """
        n = self.n_real
        best, best_gain = 0, -1.0
        g = self.group
        for i in range(n):
            if not self._rate[i]:
                continue
            p = self._ceiling[i] * _sigmoid(self._z[i])
            informative = 1.0 - p**g - (1.0 - p) ** g
            gain, j, delta = 0.0, i, self._rate[i]
            while delta > 1e-12:
                gain += self._ceiling[j] * (_sigmoid(self._z[j] + delta) - _sigmoid(self._z[j]))
                nxt = self._next[j]
                if nxt is None:
                    break
                j, delta = nxt, delta * self.transfer
            for j in self._cross[i]:
                gain += self._ceiling[j] * (_sigmoid(self._z[j] + self.cross_transfer * self._rate[i]) - _sigmoid(self._z[j]))
            gain *= informative / n
            if gain > best_gain:
                best, best_gain = i, gain
        return str(self.space.tasks[best])

    def _grow(self, i: int, delta: float) -> None:
        # Progress flows down the source's levels, shrinking by ``transfer`` each level,
        # and (cross_transfer) to the same level of the other sources.
        for j in self._cross[i]:
            self._z[j] += self.cross_transfer * delta
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
        noisy = i >= self.n_real
        p = self.coin if noisy else self._ceiling[i] * _sigmoid(self._z[i])
        if noisy and self.noise_model == "per-prompt":
            p = float(self.rng.beta(2.0 * self.coin + 1e-9, 2.0 * (1.0 - self.coin) + 1e-9))  # this prompt's own coin
        g = self.group
        k = int(self.rng.binomial(g, p))
        self.steps += 1
        q = k / g
        if k == 0 or k == g:
            # every rollout agrees: zero advantage, zero gradient
            return q if self.signal == "success_rate" else 0.0
        if not noisy and self._rate[i]:
            self._grow(i, self._rate[i])
        if self.signal == "success_rate":
            return q
        sd = math.sqrt(q * (1.0 - q))
        # k rewards of 1 at distance 1 - q from the mean, g - k rewards of 0 at distance q.
        return (k * (1.0 - q) + (g - k) * q) / g / (sd + _EPS)

    def informative(self, score: float) -> bool:
        """Whether a group with score ``score`` (from :meth:`practice`) had rewards that were not all equal (non-zero variance)."""
        return 0.0 < score < 1.0 if self.signal == "success_rate" else score > 0.0

    def evaluate(self) -> dict[str, float]:
        """Ground truth: see the class docstring."""
        acc = [c * _sigmoid(z) for c, z in zip(self._ceiling, self._z)]
        out = {f"accuracy/{name}": a for name, a in zip(self.space.tasks, acc)}
        out.update({f"accuracy/{name}": self.coin for name in self.space.tasks[self.n_real :]})
        out["mean_accuracy"] = float(sum(acc) / len(acc))
        out["mastered_fraction"] = sum(a >= self.threshold for a in acc) / len(acc)
        return out

    def __repr__(self) -> str:
        noisy = f", noisy_sources={self.noisy_sources!r}" if self.noisy_sources else ""
        return f"LLMMixLearner(sources={self.sources!r}, levels={self.levels}, group={self.group}{noisy}, seed={self.seed})"


def _llm_mix(seed: int) -> LLMMixLearner:
    return LLMMixLearner(seed=seed)


#: teachers documented to observe a success rate (the others get the default, mean |advantage|:
#: the DUMP/SEC signal, and PLR's learning potential)
SUCCESS_RATE_TEACHERS = ("sec-lp", "lp", "tscl", "mastery", "ability-matched", "space")
SUCCESS_RATE_SIGNALS = dict.fromkeys(SUCCESS_RATE_TEACHERS, "success_rate")

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
        signals=SUCCESS_RATE_SIGNALS,
    )
)


#: the extra sources of ``llm-mix-noisy``: two, as many levels as the real ones (8 of 20 distributions)
NOISY_SOURCES = ("noisy-a", "noisy-b")


def _llm_mix_noisy(seed: int) -> LLMMixLearner:
    return LLMMixLearner(noisy_sources=NOISY_SOURCES, seed=seed)


#: the teacher built for noisy sources (it observes a group's success rate, see SUCCESS_RATE_TEACHERS)
ROBUST = "sec-lp"

# llm-mix-noisy: the llm-mix learner plus two coin-flip sources (8 of the 20
# distributions).  Nothing here is tuned to a teacher: two sources with the
# real ones' four levels, a fair coin (the largest group advantage there is),
# and no effect of noisy steps on the real skills (the cost is the wasted
# budget only).  Uniform sampling spends 40 % of the budget on them.
register_scenario(
    Scenario(
        name="llm-mix-noisy",
        description="llm-mix plus 2 coin-flip sources x 4 levels (reward a fair coin whatever the model learns: high advantage, nothing to learn)",
        factory=_llm_mix_noisy,
        budget_quick=4000,
        budget_full=16000,
        evaluations=40,
        metric="mean_accuracy",
        batch=8,
        tags=("discrete", "llm", "noisy"),
        targets=(
            Target(f"{ROBUST} reaches random's final mean_accuracy within 60 % of the budget", BudgetToReach(ROBUST, "random"), 0.60, "<="),
        ),
        signals=SUCCESS_RATE_SIGNALS,
    )
)


# ------------------------------------------------------------------ variants
_VARIANT_SOURCES = ("math", "code", "logic", "science", "writing")


def _draw_llm_mix(rng: np.random.Generator, noisy: bool = False) -> dict[str, Any]:
    """Another mixture: 2-4 sources, 3-5 levels, other learning speed, spread, offsets and cross-source transfer."""
    n_sources = int(rng.integers(2, 5))
    p: dict[str, Any] = {
        "sources": [str(x) for x in rng.choice(_VARIANT_SOURCES, size=n_sources, replace=False)],
        "levels": int(rng.integers(3, 6)),
        "rate": round(float(0.01 * np.exp(rng.uniform(-0.5, 0.5))), 5),
        "rate_spread": round(float(rng.uniform(0.1, 0.6)), 3),
        "transfer": round(float(rng.uniform(0.2, 0.8)), 3),
        "source_offset": round(float(rng.uniform(0.2, 0.8)), 3),
        "cross_transfer": 0.0 if rng.random() < 0.5 else round(float(rng.uniform(0.05, 0.3)), 3),
    }
    if noisy:
        p["noisy_sources"] = [f"coin{i + 1}" for i in range(int(rng.integers(1, 4)))]
        p["coin"] = round(float(rng.uniform(0.3, 0.7)), 3)
        p["noise_model"] = str(rng.choice(["coin", "per-prompt"]))
    return p


def _describe_llm_mix(p: dict[str, Any]) -> str:
    text = (
        f"{len(p['sources'])} sources x {p['levels']} levels, rate {p['rate']:g}, spread {p['rate_spread']:g}, "
        f"transfer {p['transfer']:g}, cross-source transfer {p['cross_transfer']:g}, offset {p['source_offset']:g}"
    )
    if p.get("noisy_sources"):
        text += f", {len(p['noisy_sources'])} coin source(s) at p={p['coin']:g} ({p['noise_model']} noise)"
    return text


register_variants("llm-mix", draw_with(LLMMixLearner, _draw_llm_mix, _describe_llm_mix))
register_variants("llm-mix-noisy", draw_with(LLMMixLearner, partial(_draw_llm_mix, noisy=True), _describe_llm_mix))
