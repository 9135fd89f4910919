"""``sec-lp``: a distribution teacher that coin-flip rewards cannot capture (the contract tests cover it automatically)."""

from __future__ import annotations

import numpy as np
import pytest

from pedagogy import spaces, teachers

SEEDS = [0, 1, 2]
N_LEARN, N_COIN = 2, 8  # uniform sends 20 % of the groups to the learnable sources


class CoinOrSkill:
    """Two learnable sources and eight whose reward is a fair coin; one call = one group of 8 rollouts.

    A learnable source's success probability is ``sigmoid(z)``, ``z`` from
    -1 (p = 0.27) growing by 0.01 per group that had signal (not all rewards
    equal), as in GRPO; the coin-flip sources never change.  ``success_rate``
    returns the group's mean reward, ``abs_advantage`` its mean absolute
    group-normalised advantage.
    """

    def __init__(self, seed: int):
        self.rng = np.random.default_rng(seed)
        self.z = np.full(N_LEARN, -1.0)

    def _group(self, task: int) -> float:
        p = 0.5 if task >= N_LEARN else 1.0 / (1.0 + np.exp(-self.z[task]))
        k = int(self.rng.binomial(8, p))
        if 0 < k < 8 and task < N_LEARN:
            self.z[task] += 0.01
        return k / 8

    def success_rate(self, task: int) -> float:
        return self._group(task)

    def abs_advantage(self, task: int) -> float:
        q = self._group(task)
        return float(2.0 * np.sqrt(q * (1.0 - q)))


def _share(name: str, seed: int, signal: str) -> float:
    space = spaces.Discrete(list(range(N_LEARN + N_COIN)))
    teacher = teachers.make(name, space, seed=seed)
    learner = CoinOrSkill(seed + 1000)  # not the teacher's seed: the two random streams must not be aligned
    score = getattr(learner, signal)
    seen = []
    for _ in range(250):  # 2,000 groups in training batches of 8
        tasks = teacher.propose(8)
        teacher.observe(tasks, [score(t) for t in tasks])
        seen.extend(tasks)
    return float(np.mean([t < N_LEARN for t in seen]))


@pytest.mark.parametrize("seed", SEEDS)
def test_prefers_the_learnable_sources_over_coin_flips(seed):
    uniform = _share("random", seed, "success_rate")
    ours = _share("sec-lp", seed, "success_rate")
    assert 0.15 < uniform < 0.25
    assert ours >= 2.0 * uniform, f"sec-lp sent {ours:.0%} of the groups to the learnable sources, uniform {uniform:.0%}"


def test_dump_and_sec_chase_the_coin_flips():
    # the trap this teacher exists for: on |advantage| the coin flips look best (documented, not required)
    shares = [_share(name, 0, "abs_advantage") for name in ("dump", "sec")]
    assert max(shares) < 2.0 * 0.2


def test_advantage_is_computed_from_the_success_rate():
    t = teachers.make("sec-lp", spaces.Discrete(["a", "b"]), seed=0)
    t.observe(["a", "b"], [0.5, 1.0])
    rows = {r["task"]: r for r in t.report()["top"]}
    assert rows["a"]["abs_advantage_value"] == pytest.approx(0.5 * 1.0)  # alpha * 2 sqrt(q (1 - q)) at q = 1/2
    assert rows["b"]["abs_advantage_value"] == 0.0  # every rollout agreed: no advantage
    with pytest.raises(ValueError, match="sec-lp"):
        t.observe("a", 1.5)  # a success rate, not an advantage sum
