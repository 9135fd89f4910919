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


# ---------------------------------------------------------------- the RL learner (examples/ppo_reach.py)
gymnasium = pytest.importorskip("gymnasium")


def _episode(goal, policy, seed=0):
    import ppo_reach

    env = ppo_reach.UMazeReach()
    env.set_task(goal)
    obs, _ = env.reset(seed=seed)
    rewards, ys = [], []
    while True:
        obs, r, term, trunc, info = env.step(policy(obs))
        rewards.append(r)
        ys.append(env.pos.copy())
        if term or trunc:
            return rewards, info["is_success"], ys


def _toward(obs):
    d = obs[2:] - obs[:2]
    return np.clip(d / 0.12, -1, 1)


def test_ppo_reach_unreachable_half_is_never_reached_and_the_test_goals_are():
    import ppo_reach

    rng = np.random.default_rng(0)
    far = [g for g in rng.uniform(-1, 1, (400, 2)) if not ppo_reach.feasible(g)]
    assert 150 < len(far) < 250  # about half the goal box (48 %) is unreachable
    noisy = lambda o: rng.uniform(-1, 1, 2)  # noqa: E731
    for i, g in enumerate(far):
        for policy in (
            _toward,
            noisy,
            ppo_reach.oracle_action,
        ):  # straight at the goal and slide on the wall; at random; along the corridor
            rewards, success, path = _episode(g, policy, seed=i)
            assert not success and sum(rewards) == 0.0 and all(ppo_reach.free(p) for p in path)
    # every held-out test goal is feasible, and a policy that follows the corridor reaches each of them
    assert all(ppo_reach.feasible(g) for g in ppo_reach.TEST_GOALS)
    assert all(_episode(g, ppo_reach.oracle_action, seed=i)[1] for i, g in enumerate(ppo_reach.TEST_GOALS))
    # the far end is out of reach of a policy that ignores the corridor
    assert not _episode((-0.85, 0.85), _toward)[1]


def test_ppo_reach_reward_is_sparse_and_episodes_short():
    import ppo_reach

    rewards, success, _ = _episode((0.5, -0.85), _toward)
    assert success and rewards[-1] == 1.0 and sum(rewards) == 1.0 and len(rewards) <= ppo_reach.HORIZON
    rewards, success, _ = _episode((0.85, 0.85), lambda o: np.zeros(2))
    assert not success and len(rewards) == ppo_reach.HORIZON and set(rewards) == {0.0}
    with pytest.raises(ValueError, match="goal"):
        ppo_reach.UMazeReach().set_task((0.0, 1.5))


def test_ppo_reach_runs_through_the_task_wrapper_on_a_tiny_budget():
    pytest.importorskip("stable_baselines3")
    import ppo_reach

    out = ppo_reach.run("alp-gmm", seed=0, episodes=60, evals=2)
    assert [c["episodes"] for c in out["curve"]] == [30, 60]
    assert all(0.0 <= c["success"] <= 1.0 for c in out["curve"])
    assert 0.2 < out["infeasible_share"] < 0.8  # the teacher's goals, half of them unreachable at first
    assert out["timesteps"] >= 60


def test_summarize_ppo_needs_twice_uniforms_final_as_well():
    def run(teacher, seed, ys):
        return {"learner": "ppo", "teacher": teacher, "seed": seed, "final_success": ys[-1], "seconds": 1.0,
                "curve": [{"episodes": 10 * (i + 1), "success": y} for i, y in enumerate(ys)]}  # fmt: skip

    results = [run("random", 0, [0.1, 0.2, 0.3, 0.4]), run("alp-gmm", 0, [0.4, 0.5, 0.6, 0.7])]
    old = real_learners.TEACHERS["ppo"]
    real_learners.TEACHERS["ppo"] = ["random", "alp-gmm"]
    try:
        s = real_learners.summarize(results, "ppo", 40)
        assert (s["best_fraction"], s["goal_met"]) == (0.25, False)  # fast enough, but 1.75× < 2×
        results[1]["final_success"] = 0.8
        assert real_learners.summarize(results, "ppo", 40)["goal_met"]
    finally:
        real_learners.TEACHERS["ppo"] = old
