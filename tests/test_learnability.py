"""``learnability``: exact resume, bounded memory, bad input, group borrowing, the noise guard and the rules on small learners."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np
import pytest

from pedagogy import spaces, teachers
from pedagogy.teachers.learnability import LearnabilityTeacher


def _snapshot(t: teachers.Teacher) -> str:
    return json.dumps(t.state_dict(), sort_keys=True, allow_nan=False)


class PromptLearner:
    """Prompts of four kinds; ``rollouts(i)`` returns the success rate of ``k`` rollouts and trains on the prompt.

    * ``trivial``: pass rate 0.97 from the start;
    * ``unsolvable``: 0;
    * ``learnable``: ``sigmoid((practice_i + skill - d_i) / 10)`` with a difficulty ``d_i`` in 20 .. 200, where
      ``skill`` is a tenth of all practice on learnable prompts (training on one helps the others);
    * ``coin``: 0.5 for ever (a wrong reference answer, a flaky verifier).
    """

    def __init__(self, kinds: list[str], k: int = 8, seed: int = 0) -> None:
        self.kinds = kinds
        self.k = k
        self.rng = np.random.default_rng(seed)
        self.practice = np.zeros(len(kinds))
        self.difficulty = self.rng.uniform(20, 200, size=len(kinds))

    def pass_rate(self, i: int) -> float:
        kind = self.kinds[i]
        if kind == "trivial":
            return 0.97
        if kind == "unsolvable":
            return 0.0
        if kind == "coin":
            return 0.5
        skill = self.practice.sum() / 10
        return float(1.0 / (1.0 + np.exp(-(self.practice[i] + skill - self.difficulty[i]) / 10.0)))

    def rollouts(self, i: int) -> float:
        p = self.pass_rate(i)
        if self.kinds[i] == "learnable":
            self.practice[i] += 1
        return float(self.rng.binomial(self.k, p)) / self.k


KINDS = ["trivial"] * 10 + ["unsolvable"] * 10 + ["learnable"] * 20 + ["coin"] * 10


def run(teacher: teachers.Teacher, learner: PromptLearner, steps: int, batch: int = 8) -> Counter[str]:
    shares: Counter[str] = Counter()
    for _ in range(steps // batch):
        tasks = teacher.propose(batch)
        teacher.observe(tasks, [learner.rollouts(i) for i in tasks])
        shares.update(learner.kinds[i] for i in tasks)
    return shares


# --------------------------------------------------------------------------- resume and memory
@pytest.mark.parametrize("rule", ["learnability", "band", "top-k", "proportional"])
def test_exact_resume_keeps_the_sum_trees_bit_for_bit(rule: str) -> None:
    groups = [i % 7 for i in range(300)]
    t = teachers.make("learnability", spaces.Discrete(300), seed=2, groups=groups, rule=rule, top_k=16)
    rng = np.random.default_rng(0)
    rates = rng.random(300)
    for _ in range(200):
        tasks = t.propose(4)
        t.observe(tasks, [float(rng.binomial(8, rates[x]) / 8) for x in tasks])
    saved = json.loads(_snapshot(t))
    u = teachers.load(saved)
    assert isinstance(t, LearnabilityTeacher) and isinstance(u, LearnabilityTeacher)
    assert t._tree.tobytes() == u._tree.tobytes() and t._gtree.tobytes() == u._gtree.tobytes()
    assert t._buf == u._buf
    for _ in range(100):
        a, b = t.propose(4), u.propose(4)
        assert a == b
        scores = [float(rng.binomial(8, rates[x]) / 8) for x in a]
        t.observe(a, scores)
        u.observe(b, scores)
    assert _snapshot(t) == _snapshot(u)


def test_memory_per_prompt_is_bounded_and_the_state_is_compact() -> None:
    n = 100_000
    t = teachers.make("learnability", spaces.Discrete(n), seed=0, groups=np.arange(n) % 20)
    assert isinstance(t, LearnabilityTeacher)
    for _ in range(50):
        tasks = t.propose(20)
        t.observe(tasks, [0.5] * 20)
    assert t.nbytes() / n <= 64
    assert len(_snapshot(t)) / n <= 64  # base64 of 7 arrays of 4 bytes, plus the groups' codes
    small = teachers.make("learnability", spaces.Discrete(1000), seed=0)
    assert isinstance(small, LearnabilityTeacher) and small.nbytes() / 1000 <= 64


# --------------------------------------------------------------------------------- bad input
def test_bad_input_names_the_prompt_and_leaves_the_teacher_unchanged() -> None:
    t = teachers.make("learnability", spaces.Discrete([f"p{i}" for i in range(5)]), seed=0)
    t.observe("p1", 0.5)
    before = _snapshot(t)
    for task, score, msg in [
        ("p9", 0.5, "task 'p9' is not in the space"),
        ("p1", 1.5, r"score must be in \[0, 1\] .*, got 1.5 \(prompt 'p1'\)"),
        ("p1", -0.1, r"score must be in \[0, 1\] .*\(prompt 'p1'\)"),
        ("p1", float("nan"), r"score must be finite, got nan \(prompt 'p1'\)"),
        (["p1", "p9"], [0.5, 0.5], "task 'p9'"),
        (["p1", "p2"], [0.5, float("nan")], r"finite, got nan \(prompt 'p2'\)"),
    ]:
        with pytest.raises(ValueError, match=msg):
            t.observe(task, score)
        assert _snapshot(t) == before
    assert isinstance(t, LearnabilityTeacher)
    with pytest.raises(ValueError, match="task 7 is not in the space"):
        teachers.make("learnability", spaces.Discrete(5)).observe(7, 0.5)


def test_groups_that_miss_a_prompt_are_rejected_naming_it() -> None:
    space = spaces.Discrete(["a", "b", "c"])
    with pytest.raises(ValueError, match="teacher 'learnability': groups: prompt 'c' has no group"):
        teachers.make("learnability", space, groups={"a": 0, "b": 1})
    with pytest.raises(ValueError, match="groups: 2 labels for 3 prompts .prompt 'c' has no group"):
        teachers.make("learnability", space, groups=[0, 1])
    with pytest.raises(ValueError, match="groups: prompt 'z' is not in the space"):
        teachers.make("learnability", space, groups={"a": 0, "b": 1, "c": 1, "z": 2})
    with pytest.raises(ValueError, match="group of prompt 'b' must be a str or int label"):
        teachers.make("learnability", space, groups=["x", 1.5, "y"])
    with pytest.raises(ValueError, match="band_low"):
        teachers.make("learnability", space, band_low=0.8, band_high=0.2)
    # A mapping with integer prompts survives the JSON round trip of the options.
    t = teachers.make("learnability", spaces.Discrete(3), seed=0, groups={0: "x", 1: "y", 2: "x"})
    assert teachers.load(json.loads(_snapshot(t))).propose(5) == t.propose(5)
    assert "groups=<2 groups>" in repr(t)


# ---------------------------------------------------------------------------- group borrowing
def test_an_unseen_prompt_of_a_good_group_comes_before_those_of_a_bad_group() -> None:
    n = 400
    groups = ["good" if i < 200 else "bad" for i in range(n)]
    t = teachers.make("learnability", spaces.Discrete(n), seed=0, groups=groups, uniform_prob=0.0)
    # 20 prompts of each group tried: the good group's pass at about half, the bad group's never.
    tried = list(range(20)) + list(range(200, 220))
    for _ in range(3):
        t.observe(tried, [0.5] * 20 + [0.0] * 20)
    proposals = [x for x in t.propose(400) if x not in tried]
    good = sum(1 for x in proposals if x < 200)
    bad = len(proposals) - good
    assert proposals[0] < 200
    assert good > 4 * max(bad, 1)  # the bad group keeps the value of a low pass rate, p (1 - p) > 0
    # Without groups the unseen prompts are one pool: both halves equally.
    u = teachers.make("learnability", spaces.Discrete(n), seed=0, uniform_prob=0.0)
    for _ in range(3):
        u.observe(tried, [0.5] * 20 + [0.0] * 20)
    pooled = [x for x in u.propose(400) if x not in tried]
    assert 0.35 < sum(1 for x in pooled if x < 200) / len(pooled) < 0.65


# -------------------------------------------------------------------------- noise guard, rules
def mastery(learner: PromptLearner) -> float:
    """Mean pass rate of the learnable prompts."""
    return float(np.mean([learner.pass_rate(i) for i, k in enumerate(learner.kinds) if k == "learnable"]))


@pytest.mark.parametrize("grouped", [False, True])
def test_noise_guard_moves_proposals_off_coin_flip_prompts(grouped: bool) -> None:
    opts: dict[str, Any] = {"groups": KINDS} if grouped else {}
    shares, learnt = {}, {}
    for guard in (False, True):
        t = teachers.make("learnability", spaces.Discrete(len(KINDS)), seed=1, noise_guard=guard, **opts)
        learner = PromptLearner(KINDS, seed=1)
        shares[guard] = run(t, learner, 4000)["coin"] / 4000
        learnt[guard] = mastery(learner)
    assert shares[False] > 0.5  # the trap: a plain p(1 - p) sampler piles onto the coin flips (1/5 of the prompts)
    assert shares[True] < 0.5 * shares[False]
    assert learnt[True] > learnt[False] + 0.3  # and the learnable prompts get the rollouts instead


def test_group_guard_works_where_each_prompt_is_seen_a_few_times() -> None:
    # 1,000 prompts in 4 sources, 6,400 observations: about 6 per prompt, too few for the prompt-level guard;
    # the group's slow averages see the learnable source move and the coin-flip source stay flat.
    kinds = ["trivial"] * 250 + ["unsolvable"] * 250 + ["learnable"] * 250 + ["coin"] * 250
    coin, learnt = {}, {}
    for guard in (False, True):
        t = teachers.make("learnability", spaces.Discrete(len(kinds)), seed=0, groups=kinds, noise_guard=guard)
        learner = PromptLearner(kinds, seed=0)
        learner.difficulty[:] = np.random.default_rng(0).uniform(20, 700, len(kinds))
        coin[guard] = run(t, learner, 6400, batch=32)["coin"] / 6400
        learnt[guard] = mastery(learner)
    assert coin[False] > 0.5
    assert coin[True] < 0.7 * coin[False]
    assert learnt[True] > 2 * learnt[False]


@pytest.mark.parametrize("rule", ["learnability", "band", "top-k", "proportional"])
def test_every_rule_prefers_learnable_prompts_to_trivial_and_unsolvable_ones(rule: str) -> None:
    kinds = ["trivial"] * 10 + ["unsolvable"] * 10 + ["learnable"] * 10
    t = teachers.make("learnability", spaces.Discrete(len(kinds)), seed=0, rule=rule, top_k=5)
    learner = PromptLearner(kinds, seed=0)
    share = run(t, learner, 2400)["learnable"] / 2400
    uniform = PromptLearner(kinds, seed=0)
    run(teachers.make("random", spaces.Discrete(len(kinds)), seed=0), uniform, 2400)
    assert share > 0.36  # uniform sampling gives 1/3
    assert mastery(learner) > mastery(uniform) + 0.05


def test_band_rule_samples_inside_the_band() -> None:
    t = teachers.make("learnability", spaces.Discrete(3), seed=0, rule="band", uniform_prob=0.0, noise_guard=False)
    for _ in range(5):
        t.observe([0, 1, 2], [0.0, 0.5, 1.0])
    assert set(t.propose(50)) == {1}


def test_top_k_rule_keeps_the_k_most_learnable_prompts() -> None:
    t = teachers.make("learnability", spaces.Discrete(20), seed=0, rule="top-k", top_k=3, topk_prob=1.0, uniform_prob=0.0)
    rates = [0.5, 0.45, 0.4] + [0.05] * 17
    for _ in range(3):
        t.observe(list(range(20)), rates)
    assert set(t.propose(60)) == {0, 1, 2}
    assert t.report()["top"][0]["task"] == 0


def test_unseen_prompts_are_explored_from_the_prior() -> None:
    t = teachers.make("learnability", spaces.Discrete(50), seed=0, uniform_prob=0.0)
    assert len(set(t.propose(200))) > 45  # all at the prior's value: about uniform
    for i in range(10):
        t.observe(i, 0.0)  # tried, 8 rollouts failed: far below the prior's value
    unseen = sum(1 for x in t.propose(400) if x >= 10)
    assert unseen / 400 > 0.7  # 40 unseen prompts at the group's predicted value, 10 tried ones at their own


# ----------------------------------------------------------------------- SFL: environment levels
def test_sfl_levels_through_the_gym_task_wrapper() -> None:
    gymnasium = pytest.importorskip("gymnasium", reason="needs the gym extra")
    from pedagogy.gym import TaskWrapper

    env = TaskWrapper(
        LevelEnv(gymnasium), teachers.make("learnability", spaces.Discrete(LEVELS), seed=0, rollouts=1, gamma=0.95), return_bounds=(0, 1)
    )
    counts = play_levels(env, 1500)
    solvable = sum(counts[i] for i in range(LEVELS) if LEVEL_KINDS[i] == "learnable")
    assert solvable / 1500 > 0.6, counts  # a third of the levels


LEVELS = 12
LEVEL_KINDS = ["unsolvable"] * 4 + ["trivial"] * 4 + ["learnable"] * 4


def LevelEnv(gymnasium: Any) -> Any:
    """A one-step environment of 12 levels: 4 never solvable, 4 always solved, 4 learnt with practice."""

    class _Levels(gymnasium.Env):
        observation_space = gymnasium.spaces.Discrete(1)
        action_space = gymnasium.spaces.Discrete(1)

        def __init__(self) -> None:
            self.level = 0
            self.practice = np.zeros(LEVELS)
            self.rng = np.random.default_rng(0)

        def set_task(self, task: Any) -> None:
            self.level = int(task)

        def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
            super().reset(seed=seed)
            return 0, {}

        def step(self, action: Any) -> tuple[int, float, bool, bool, dict[str, Any]]:
            kind = LEVEL_KINDS[self.level]
            p = {"unsolvable": 0.0, "trivial": 1.0}.get(kind, 0.3 + 0.4 * min(1.0, self.practice[self.level] / 400))
            self.practice[self.level] += 1
            return 0, float(self.rng.random() < p), True, False, {}

    return _Levels()


def play_levels(env: Any, episodes: int) -> Counter[int]:
    counts: Counter[int] = Counter()
    for ep in range(episodes):
        _, info = env.reset(seed=ep)
        counts[info["task"]] += 1
        env.step(0)
    return counts


def test_proposals_follow_the_weights_in_sum_trees_of_any_size() -> None:
    # groups of 3, 5 and 1 prompts: heaps that are not powers of two, and a heap of one leaf
    groups = [0, 1, 0, 1, 1, 0, 1, 2, 1]
    t = teachers.make("learnability", spaces.Discrete(9), seed=0, groups=groups, uniform_prob=0.0, noise_guard=False, gamma=0.0)
    rates = [0.5, 0.125, 0.25, 0.875, 0.375, 0.0, 0.625, 0.75, 1.0]
    t.observe(list(range(9)), rates)
    a = 0.5 + 8 * np.array(rates)
    p = a / 9.0
    expected = p * (1 - p) / np.sum(p * (1 - p))
    counts = np.bincount(t.propose(40_000), minlength=9) / 40_000
    np.testing.assert_allclose(counts, expected, atol=0.01)
