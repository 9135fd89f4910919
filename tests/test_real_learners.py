"""The real-learner benchmark's goal measure, and the GRPO learner's data and reward."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import grpo_mix  # noqa: E402
import real_learners  # noqa: E402


def test_budget_to_reach_is_the_first_point_at_the_target():
    xs = [10, 20, 30, 40]
    assert real_learners.budget_to_reach(xs, np.array([0.1, 0.5, 0.4, 0.6]), 0.5, 40) == 0.5
    assert real_learners.budget_to_reach(xs, np.array([0.1, 0.2, 0.3, 0.4]), 0.5, 40) is None


def _run(teacher: str, seed: int, ys: list[float]) -> dict:
    curve = [{"step": 10 * (i + 1), "accuracy": y} for i, y in enumerate(ys)]
    return {"learner": "grpo", "teacher": teacher, "seed": seed, "curve": curve, "final_accuracy": ys[-1], "seconds": 1.0}


def test_summarize_meets_the_goal_from_the_mean_curves():
    results = [_run("random", 0, [0.1, 0.2, 0.3, 0.4]), _run("random", 1, [0.1, 0.2, 0.3, 0.6])]
    results += [_run("sec-lp", 0, [0.2, 0.5, 0.6, 0.6]), _run("sec-lp", 1, [0.2, 0.5, 0.6, 0.7])]  # mean 0.5 at step 20
    results += [_run("dump", 0, [0.1, 0.1, 0.1, 0.1]), _run("dump", 1, [0.1, 0.1, 0.1, 0.1])]
    old = real_learners.TEACHERS["grpo"]
    real_learners.TEACHERS["grpo"] = ["random", "sec-lp", "dump"]
    try:
        s = real_learners.summarize(results, "grpo", 40)
    finally:
        real_learners.TEACHERS["grpo"] = old
    assert s["random_final"] == pytest.approx(0.5)
    assert s["teachers"]["random"]["budget_to_random_final"] == 1.0
    assert s["teachers"]["dump"]["budget_to_random_final"] is None
    assert (s["best_teacher"], s["best_fraction"], s["goal_met"]) == ("sec-lp", 0.5, True)


def test_grpo_mix_held_out_prompts_are_disjoint_and_answers_right():
    train, test = grpo_mix.make_prompts(0)
    assert not {r["prompt"] for r in train} & {r["prompt"] for r in test}
    assert {r["group"] for r in test} == set(grpo_mix.GROUPS)
    row = next(r for r in train if r["group"] == "max-6")
    assert row["answer"] == str(max(int(d) for d in row["prompt"].split()[1:]))


def test_grpo_mix_noisy_reward_ignores_the_answer():
    reward = grpo_mix.make_reward(0)
    right = reward(["1"] * 400, group=["noisy-4"] * 400, answer=[""] * 400)
    assert 0.35 < np.mean(right) < 0.65
    assert reward(["7", "3", ""], group=["max-3"] * 3, answer=["7"] * 3) == [1.0, 0.0, 0.0]
