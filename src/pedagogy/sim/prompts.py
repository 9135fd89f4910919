"""RL post-training of a language model, seen prompt by prompt.

:class:`PromptLearner` is the prompt-level counterpart of
:class:`~pedagogy.sim.llm_mix.LLMMixLearner`: the curriculum picks *which
prompt* the next group of rollouts is generated for (as DAPO's dynamic
sampling, Yu et al. 2025, arXiv 2503.14476, online difficulty filtering,
Bae et al. 2025, arXiv 2504.03380, and learnability sampling, Foster &
Foerster 2025, arXiv 2502.12272, do), not which data source.  The scenarios
``prompts`` and ``prompts-noisy`` are registered at the bottom.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np

from pedagogy.params import Interval, OneOf, Rule, Satisfies
from pedagogy.sim.base import Learner, Scenario, register_scenario
from pedagogy.sim.llm_mix import SUCCESS_RATE_TEACHERS
from pedagogy.sim.split import draw_with, register_variants
from pedagogy.sim.targets import Baseline, BudgetToReach, Target
from pedagogy.spaces import Discrete

__all__ = ["PromptLearner"]

_EPS = 1e-6  # the std epsilon of group-normalised advantages


def _names(v: Any) -> bool:
    return isinstance(v, (list, tuple)) and len(set(v)) == len(v) and all(isinstance(s, str) and s and "/" not in s for s in v)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    out: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free logistic
    return out


class PromptLearner(Learner):
    """A model trained by group-relative RL (GRPO) on thousands of prompts from several sources.

    What it models: the prompts of an RL post-training set, each with its own
    pass rate, grouped in sources (arithmetic, comparisons, ...) whose
    prompts share a skill.  One :meth:`practice` call is one *proposal*: one
    group of ``group`` rollouts (G, default 8) on one prompt; the budget is
    counted in groups, so rollouts = groups x G.

    Prompts and pass rates:

    * Each real source ``s`` has ``prompts`` training prompts and ``held_out``
      held-out prompts (never in the space).  Prompt ``j`` has a difficulty
      ``d_j ~ U(0, 1)`` and an idiosyncratic offset ``e_j ~ N(0, spread)``;
      its logit is ``a_s - slope d_j + e_j + u_s(d_j)``, its pass rate the
      logistic of that.  ``a_s = 1 - 0.5 s`` (later sources are harder), so
      at the start the easiest prompts pass about 3 times in 4 and the
      hardest almost never.
    * ``u_s`` is the source's latent skill, a function of difficulty kept on
      ``bins`` evenly spaced points (linear in between), 0 at the start.
    * A group whose rewards are not all equal (an informative group: a
      non-zero GRPO advantage) on prompt ``j`` raises ``u_s`` at difficulty
      ``x`` by ``rate_s exp(-(x - d_j)^2 / (2 width^2))`` — transfer to the
      source's prompts of nearby difficulty, held-out ones included — and
      ``e_j`` by ``own x rate_s`` (what the model memorises of that prompt,
      which helps no other prompt).  ``rate_s`` is ``rate`` with a
      log-normal jitter ``rate_spread`` per source, drawn from the seed.  A
      group whose rewards all agree has zero advantage and teaches nothing.
      Hard prompts give signal only once the easier ones have lifted ``u``.
    * ``trivial`` (default ``"echo"``): a source every prompt of which
      passes with probability about 0.998 from the start (almost every group
      all-correct: no signal, nothing to learn).
    * ``unlearnable`` (default ``"parity"``): a source passing about 3 times
      in 10,000, whose practice changes nothing.
    * ``noisy_sources`` (default none): sources with a broken verifier, each
      rollout's reward a ``Bernoulli(coin)`` whatever the model does: a pass
      rate in the middle, the largest learnability p(1-p) and group
      advantage there is, and nothing to learn.

    Score (what the teacher sees), by ``signal``: ``"advantage"`` (default)
    is the mean |group-normalised advantage| (exactly 0 when all rewards
    agree), as :class:`~pedagogy.sim.llm_mix.LLMMixLearner` returns;
    ``"success_rate"`` is the group's mean reward ``k / G`` in [0, 1].

    :meth:`evaluate`: the held-out accuracy is the exact mean pass rate of
    the held-out prompts of the real (learnable) sources — ``mean_accuracy``
    (no sampling noise, so curves compare exactly); ``accuracy/<source>`` per
    source (trivial, unlearnable and noisy ones included, for the record);
    ``mastered_fraction``: share of those held-out prompts passing at least
    ``threshold``.  ``rollouts``: groups x G so far (an attribute).

    :meth:`oracle_task`: the training prompt with the largest expected
    first-order gain in ``mean_accuracy`` from one group: the chance the
    group is informative times the gradient of the held-out accuracy along
    the skill increment it causes.  Myopic, so a limit in practice rather
    than a proven optimum.

    Parameters
    ----------
    sources:
        Names of the real sources (default four).
    prompts, held_out:
        Training and held-out prompts per source (defaults 500 and 100).
    group:
        Rollouts per group, G (default 8).
    rate, rate_spread, width, own:
        Skill growth per informative group (default 0.02), its per-source
        log-normal jitter (0.3), the transfer kernel's width in difficulty
        (0.1) and the share memorised by the prompt itself (1.0).
    slope, spread:
        Difficulty's weight in the logit (7) and the prompts' idiosyncratic
        spread (0.5).
    bins:
        Points the skill function is kept on (default 21).
    trivial, unlearnable:
        Names of the trivial and unlearnable sources (``""``: none).
    noisy_sources, coin:
        Names of coin-flip sources and their reward probability (0.5).
    threshold:
        Pass rate at which a held-out prompt counts as mastered (0.5).
    signal:
        ``"advantage"`` (default) or ``"success_rate"``.
    seed:
        Seeds the prompts, the rate jitter and the rollouts.
    """

    space: Discrete

    parameters: ClassVar[Mapping[str, Rule]] = {
        "sources": Satisfies(lambda v: _names(v) and len(v) > 0, "a non-empty list of unique names without '/'"),
        "prompts": Interval(Integral, 1),
        "held_out": Interval(Integral, 1),
        "group": Interval(Integral, 2),
        "rate": Interval(Real, 0),
        "rate_spread": Interval(Real, 0, 5),
        "width": Interval(Real, 1e-3, 10),
        "own": Interval(Real, 0),
        "slope": Interval(Real, 0, 100),
        "spread": Interval(Real, 0, 10),
        "bins": Interval(Integral, 2, 1000),
        "trivial": Satisfies(lambda v: isinstance(v, str) and "/" not in v, "a name without '/' ('' for none)"),
        "unlearnable": Satisfies(lambda v: isinstance(v, str) and "/" not in v, "a name without '/' ('' for none)"),
        "noisy_sources": Satisfies(_names, "a list of unique names without '/'"),
        "coin": Interval(Real, 0, 1),
        "threshold": Interval(Real, 0, 1),
        "signal": OneOf("advantage", "success_rate"),
        "seed": Interval(Integral, 0),
    }
    signals: ClassVar[tuple[str, ...]] = ("advantage", "success_rate")

    def __init__(
        self,
        sources: Sequence[str] = ("arith", "compare", "count", "algebra"),
        prompts: int = 500,
        held_out: int = 100,
        group: int = 8,
        rate: float = 0.02,
        rate_spread: float = 0.3,
        width: float = 0.1,
        own: float = 1.0,
        slope: float = 7.0,
        spread: float = 0.5,
        bins: int = 21,
        trivial: str = "echo",
        unlearnable: str = "parity",
        noisy_sources: Sequence[str] = (),
        coin: float = 0.5,
        threshold: float = 0.5,
        signal: str = "advantage",
        seed: int = 0,
    ):
        sources, noisy_sources = list(sources), list(noisy_sources)
        self._check_parameters(
            sources=sources,
            prompts=prompts,
            held_out=held_out,
            group=group,
            rate=rate,
            rate_spread=rate_spread,
            width=width,
            own=own,
            slope=slope,
            spread=spread,
            bins=bins,
            trivial=trivial,
            unlearnable=unlearnable,
            noisy_sources=noisy_sources,
            coin=coin,
            threshold=threshold,
            signal=signal,
            seed=seed,
        )
        extra = [x for x in (trivial, unlearnable) if x] + noisy_sources
        every = sources + extra
        if len(set(every)) != len(every):
            dup = next(x for x in every if every.count(x) > 1)
            raise self._error(f"source name {dup!r} is used twice (real, trivial, unlearnable and noisy sources need distinct names)")
        self.sources, self.noisy_sources = sources, noisy_sources
        self.trivial, self.unlearnable = trivial, unlearnable
        self.group, self.seed, self.signal = int(group), int(seed), str(signal)
        self.coin, self.threshold, self.own = float(coin), float(threshold), float(own)
        self.n_prompts, self.n_held = int(prompts), int(held_out)
        self.rng = np.random.default_rng(seed)
        rng = np.random.default_rng([int(seed), 1])  # the prompts, apart from the rollouts' stream

        # kind of every source: 0 real, 1 trivial, 2 unlearnable, 3 noisy
        self.all_sources = every
        kinds = [0] * len(sources) + [1] * bool(trivial) + [2] * bool(unlearnable) + [3] * len(noisy_sources)
        n_src = len(every)
        self._kind = np.asarray(kinds, dtype=np.int64)
        offset = np.array([1.0 - 0.5 * i for i in range(len(sources))] + [0.0] * len(extra))
        self._rate = np.where(self._kind == 0, float(rate) * np.exp(float(rate_spread) * rng.standard_normal(n_src)), 0.0)
        self.grid = np.linspace(0.0, 1.0, int(bins))
        self._u = np.zeros((n_src, int(bins)))
        self._width = float(width)

        def prompts_of(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            src = np.repeat(np.arange(n_src), n)
            d = rng.random(src.size)
            logit = offset[src] - float(slope) * d + float(spread) * rng.standard_normal(src.size)
            logit = np.where(self._kind[src] == 1, 6.0, logit)  # trivial: p ~ 0.998
            logit = np.where(self._kind[src] == 2, -8.0, logit)  # unlearnable: p ~ 0.0003
            return src, d, logit

        self._src, self._d, self._e = prompts_of(self.n_prompts)
        self._hsrc, self._hd, self._he = prompts_of(self.n_held)
        self._w = self._interp(self._d)  # (prompts, bins): the skill at each prompt's difficulty
        self._hw = self._interp(self._hd)
        self._real_held = self._kind[self._hsrc] == 0
        names = [f"{every[s]}/{j:05d}" for s in range(n_src) for j in range(self.n_prompts)]
        # the space's difficulty is what a data set says (e.g. digits): the difficulty rounded to tenths
        self.space = Discrete(names, difficulty=np.round(self._d * 10).tolist())
        #: each prompt's source, in the space's order (the bench's ``groups=`` for prompt-level teachers)
        self.task_groups = [every[int(s)] for s in self._src]
        self.steps = 0
        self.rollouts = 0
        self._oracle_cache: str | None = None

    def _interp(self, d: np.ndarray) -> np.ndarray:
        k = len(self.grid)
        pos = d * (k - 1)
        lo = np.minimum(np.floor(pos).astype(np.int64), k - 2)
        frac = pos - lo
        w = np.zeros((d.size, k))
        w[np.arange(d.size), lo] = 1.0 - frac
        w[np.arange(d.size), lo + 1] = frac
        return w

    # -------------------------------------------------------------- truth
    def _logits(self, idx: np.ndarray | None = None) -> np.ndarray:
        if idx is None:
            return self._e + np.einsum("ij,ij->i", self._w, self._u[self._src])
        return self._e[idx] + np.einsum("ij,ij->i", self._w[idx], self._u[self._src[idx]])

    def _held_logits(self) -> np.ndarray:
        return self._he + np.einsum("ij,ij->i", self._hw, self._u[self._hsrc])

    def pass_rate(self, task: Any) -> float:
        """True probability that one rollout on training prompt ``task`` is rewarded (``coin`` for a noisy prompt)."""
        i = self._index(task)
        if self._kind[self._src[i]] == 3:
            return self.coin
        return float(_sigmoid(self._logits(np.array([i])))[0])

    def source_of(self, task: Any) -> str:
        """The source of training prompt ``task``."""
        return self.all_sources[int(self._src[self._index(task)])]

    def _index(self, task: Any) -> int:
        try:
            return int(self.space.index(task))
        except (KeyError, TypeError, ValueError):
            raise self._error(f"unknown prompt {task!r} (prompts look like {self.space.tasks[0]!r})") from None

    # ----------------------------------------------------------- practice
    def practice(self, task: Any) -> float:
        """One group of G rollouts on prompt ``task``; returns its score (see ``signal``)."""
        i = self._index(task)
        s = int(self._src[i])
        noisy = self._kind[s] == 3
        p = self.coin if noisy else float(_sigmoid(self._logits(np.array([i])))[0])
        g = self.group
        k = int(self.rng.binomial(g, p))
        self.steps += 1
        self.rollouts += g
        q = k / g
        if 0 < k < g and self._rate[s] > 0:
            r = float(self._rate[s])
            self._u[s] += r * np.exp(-((self.grid - self._d[i]) ** 2) / (2.0 * self._width**2))
            self._e[i] += self.own * r
            self._oracle_cache = None
        if self.signal == "success_rate":
            return q
        if k == 0 or k == g:
            return 0.0
        sd = math.sqrt(q * (1.0 - q))
        return (k * (1.0 - q) + (g - k) * q) / g / (sd + _EPS)

    def informative(self, score: float) -> bool:
        """Whether a group with score ``score`` (from :meth:`practice`) had rewards that were not all equal (non-zero variance)."""
        if self.signal == "success_rate":
            return 0.0 < score < 1.0
        return score > 0.0

    def use_signal(self, signal: str) -> None:
        """Switch what :meth:`practice` returns (one of :attr:`signals`)."""
        if signal not in self.signals:
            raise self._error(f"unknown signal {signal!r} (known: {', '.join(self.signals)})")
        self.signal = signal

    def oracle_task(self) -> str:
        """The training prompt with the largest expected first-order gain in ``mean_accuracy`` (see the class docstring)."""
        if self._oracle_cache is not None:
            return self._oracle_cache
        ph = _sigmoid(self._held_logits())
        slope = np.where(self._real_held, ph * (1.0 - ph), 0.0)
        # gradient of the held-out sum w.r.t. each source's skill points
        grad = np.zeros_like(self._u)
        np.add.at(grad, self._hsrc, self._hw * slope[:, None])
        p = _sigmoid(self._logits())
        g = self.group
        informative = 1.0 - p**g - (1.0 - p) ** g
        kernel = np.exp(-((self.grid[None, :] - self._d[:, None]) ** 2) / (2.0 * self._width**2))
        gain = informative * self._rate[self._src] * np.einsum("ij,ij->i", kernel, grad[self._src])
        gain = np.where(self._kind[self._src] == 0, gain, -1.0)
        self._oracle_cache = str(self.space.tasks[int(np.argmax(gain))])
        return self._oracle_cache

    def evaluate(self) -> dict[str, float]:
        """Ground truth on the held-out prompts: see the class docstring."""
        ph = _sigmoid(self._held_logits())
        ph = np.where(self._kind[self._hsrc] == 3, self.coin, ph)
        out = {f"accuracy/{name}": float(ph[self._hsrc == s].mean()) for s, name in enumerate(self.all_sources)}
        real = ph[self._real_held]
        out["mean_accuracy"] = float(real.mean())
        out["mastered_fraction"] = float((real >= self.threshold).mean())
        return out

    def __repr__(self) -> str:
        noisy = f", noisy_sources={self.noisy_sources!r}" if self.noisy_sources else ""
        return f"PromptLearner(sources={self.sources!r}, prompts={self.n_prompts}, group={self.group}{noisy}, seed={self.seed})"


#: teachers documented to observe a success rate; ``learnability`` (prompt-level, p(1-p)) is one when registered
PROMPT_SIGNALS = dict.fromkeys((*SUCCESS_RATE_TEACHERS, "learnability", "hierarchical"), "success_rate")

#: the prompt-level teachers the scenarios' targets name (rows appear once they are registered)
WANTED = ("learnability", "hierarchical")

#: DAPO-filtered uniform sampling: the ``random`` teacher behind the dynamic-sampling filter
DAPO_UNIFORM = Baseline(
    "random + dynamic sampling",
    "random",
    {},
    doc="uniform sampling with DAPO's filter: zero-variance groups dropped and replaced (their rollouts still count)",
    dynamic_sampling=True,
)

#: the noisy sources of ``prompts-noisy``
NOISY = ("noisy-a", "noisy-b")


def _targets() -> tuple[Target, ...]:
    out = [
        Target(
            "DAPO-filtered uniform (a reference: the filter's cost in rollouts) reaches random's final mean_accuracy within the budget",
            BudgetToReach(DAPO_UNIFORM, "random"),
            1.0,
            "<=",
        )
    ]
    out += [
        Target(f"{t} reaches random's final mean_accuracy within 50 % of the budget", BudgetToReach(t, "random"), 0.5, "<=") for t in WANTED
    ]
    return tuple(out)


def _scenario(name: str, noisy: bool, description: str) -> None:
    def factory(seed: int) -> PromptLearner:
        return PromptLearner(noisy_sources=NOISY if noisy else (), seed=seed)

    register_scenario(
        Scenario(
            name=name,
            description=description,
            factory=factory,
            budget_quick=1500,
            budget_full=20000,
            evaluations=40,
            metric="mean_accuracy",
            batch=8,
            tags=("discrete", "llm", "prompts", *(("noisy",) if noisy else ())),
            targets=_targets(),
            signals=PROMPT_SIGNALS,
        )
    )


# Nothing here is tuned to a teacher: the sizes, rates and budgets were set
# with uniform sampling (``random``) alone, so that it learns most of the
# learnable prompts' held-out accuracy within the full budget (see
# docs/benchmarks/prompts.md).  Budgets count groups of G = 8 rollouts.
_scenario("prompts", False, "GRPO on 3,000 prompts (4 sources x 500 spread in difficulty, a trivial and an unlearnable source), G=8")
_scenario(
    "prompts-noisy",
    True,
    "prompts plus 2 coin-flip sources x 500 prompts (reward a fair coin: the largest p(1-p) there is, nothing to learn)",
)


def _draw_params(rng: np.random.Generator, noisy: bool = False) -> dict[str, Any]:
    """Another prompt mixture: learning speed, transfer width and difficulty spread drawn around the defaults."""
    params: dict[str, Any] = {
        "rate": float(0.02 * np.exp(rng.uniform(np.log(0.5), np.log(2.0)))),
        "width": float(rng.uniform(0.05, 0.2)),
        "spread": float(rng.uniform(0.3, 0.7)),
        "slope": float(rng.uniform(5.0, 10.0)),
    }
    if noisy:
        params["noisy_sources"] = NOISY
        params["coin"] = float(rng.uniform(0.3, 0.7))
    return params


def _describe_params(params: dict[str, Any]) -> str:
    words = f"rate {params['rate']:.3f}, transfer width {params['width']:.2f}, spread {params['spread']:.2f}, slope {params['slope']:.1f}"
    if "coin" in params:
        words += f", coin p {params['coin']:.2f}"
    return words


register_variants("prompts", draw_with(PromptLearner, _draw_params, _describe_params))
register_variants("prompts-noisy", draw_with(PromptLearner, partial(_draw_params, noisy=True), _describe_params))
