"""PromptCurriculum: a teacher over row indices, fed each prompt's rewards; exact resume, bad input rejected."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

pytest.importorskip("torch")

from pedagogy import spaces, teachers  # noqa: E402
from pedagogy.data import PromptCurriculum  # noqa: E402
from tests._grouped_teacher import registered  # noqa: E402

N = 30
LEVEL = [0.9] * 10 + [0.5] * 10 + [0.05] * 10  # a prompt's chance of a correct response


def rollouts(rng, rows, n=4):
    return [(rng.random(n) < LEVEL[r]).astype(float).tolist() for r in rows]


def run(cur, rng, steps, batch=6):
    drawn = []
    for _ in range(steps):
        rows = cur.next_indices(batch)
        drawn.append(rows)
        cur.observe(rows, rollouts(rng, rows))
    return drawn


@pytest.mark.parametrize("name", ["sec-lp", "lp", "random"])
def test_indices_are_the_teachers_proposals_and_it_sees_one_signal_per_prompt(name):
    cur = PromptCurriculum(N, name, seed=3)
    twin = teachers.make(name, spaces.Discrete(list(range(N))), seed=3)
    rng = np.random.default_rng(0)
    for _ in range(5):
        rows = cur.next_indices(6)
        assert rows == twin.propose(6) and all(0 <= r < N for r in rows)
        rewards = rollouts(rng, rows)
        signals = cur.observe(rows, rewards)
        assert signals == [pytest.approx(float(np.mean(r))) for r in rewards]  # success rates by default
        twin.observe(rows, [float(np.mean(r)) for r in rewards])
    assert cur.teacher.state_dict() == twin.state_dict()
    assert cur.report()["prompts"] == N and cur.report()["observed"] == 30


def test_a_learning_teacher_shifts_the_draws_away_from_prompts_that_stop_changing():
    """sec-lp moves toward the prompts whose success rate changes; its draws are not the uniform ones."""
    cur = PromptCurriculum(4, "sec-lp", seed=1)
    rates = {0: 0.0, 1: 0.0, 2: 1.0, 3: 0.5}
    counts = np.zeros(4)
    for step in range(300):
        rows = cur.next_indices(4)
        for r in rows:
            counts[r] += 1
        rates[0] = min(1.0, step / 300)  # prompt 0 is being learned; the others never move
        cur.observe_rates(rows, [rates[r] for r in rows])
    late = np.zeros(4)
    for r in cur.next_indices(400):
        late[r] += 1
    assert late[0] > 1.5 * max(late[1], late[2])  # far from a uniform 100 each


def test_abs_advantage_signal_and_nan_rewards():
    cur = PromptCurriculum(N, "dump", signal="abs_advantage", seed=0)
    signals = cur.observe([0, 1, 2], [[1.0, 1.0], [1.0, 0.0], [float("nan")]])
    assert signals[0] == 0.0 and signals[1] == pytest.approx(0.5 / (math.sqrt(0.5) + 1e-4)) and signals[2] is None
    assert cur.teacher.n_observed == 2  # the prompt without a scorable response is skipped


@pytest.mark.parametrize("name", ["sec-lp", "dump", "random"])
def test_resume_is_exact(name):
    signal = "abs_advantage" if name == "dump" else "mean_reward"
    cur = PromptCurriculum(N, name, seed=5, signal=signal)
    run(cur, np.random.default_rng(1), 4)
    state = json.loads(json.dumps(cur.state_dict()))  # plain JSON data
    rest = run(cur, np.random.default_rng(2), 4)
    resumed = PromptCurriculum(N, name, seed=99, signal=signal)
    resumed.load_state_dict(state)
    assert run(resumed, np.random.default_rng(2), 4) == rest
    assert resumed.state_dict() == cur.state_dict()


def test_bad_input_is_rejected_by_name_and_leaves_the_teacher_unchanged():
    cur = PromptCurriculum(N, "sec-lp", seed=0)
    run(cur, np.random.default_rng(0), 2)
    before = cur.state_dict()
    with pytest.raises(ValueError, match=r"prompt 30 is not a row index in \[0, 30\)"):
        cur.observe([1, 30], [[1.0], [0.0]])
    with pytest.raises(ValueError, match="prompt -1 is not a row index"):
        cur.observe_rates([-1], [0.5])
    with pytest.raises(ValueError, match=r"the rate of prompt 4 must be a finite number, got nan"):
        cur.observe_rates([3, 4], [0.5, float("nan")])
    with pytest.raises(ValueError, match=r"mean_reward of prompt 7 is 2, outside \[0, 1\]"):
        cur.observe([6, 7], [[1.0], [2.0, 2.0]])
    with pytest.raises(ValueError, match="mean_reward of prompt 2 is 1.5, outside"):
        cur.observe_rates([2], [1.5])
    with pytest.raises(ValueError, match="rewards of prompt 5 must be a sequence of numbers"):
        cur.observe([5], [["a"]])
    with pytest.raises(ValueError, match="2 prompts but 1 reward groups"):
        cur.observe([1, 2], [[1.0]])
    with pytest.raises(ValueError, match="prompt True is not a row index"):
        cur.observe_rates([True], [0.5])
    assert cur.state_dict() == before
    with pytest.raises(ValueError, match="state is of 30 prompts, this dataset has 31"):
        PromptCurriculum(31, "sec-lp").load_state_dict(before)
    with pytest.raises(ValueError, match="not a prompt-curriculum state"):
        cur.load_state_dict({"teacher": {}})
    assert cur.state_dict() == before


def test_construction_errors():
    with pytest.raises(ValueError, match="n_prompts must be a positive integer"):
        PromptCurriculum(0, "random")
    with pytest.raises(ValueError, match="signal must be one of mean_reward, abs_advantage"):
        PromptCurriculum(3, "random", signal="loss")
    with pytest.raises(ValueError, match="teacher 'sec-lp' has no groups option"):
        PromptCurriculum(3, "sec-lp", groups=["a", "b", "a"])
    with pytest.raises(ValueError, match="groups has 2 labels for 3 prompts"):
        PromptCurriculum(3, "sec-lp", groups=["a", "b"])
    with pytest.raises(ValueError, match="group of prompt 1 must be a str or int label"):
        PromptCurriculum(3, "sec-lp", groups=["a", 1.5, "b"])
    with pytest.raises(ValueError, match=r"needs the space Discrete\(range\(3\)\)"):
        PromptCurriculum(3, teachers.make("random", spaces.Discrete(["a", "b", "c"]), seed=0))
    with pytest.raises(ValueError, match="only apply when the teacher is given by name"):
        PromptCurriculum(3, teachers.make("random", spaces.Discrete([0, 1, 2]), seed=0), teacher_options={"x": 1})
    with pytest.raises(ValueError, match="unknown option 'temp'"):
        PromptCurriculum(3, "sec-lp", teacher_options={"temp": 1})
    with pytest.raises(ValueError, match="n must be a positive integer"):
        PromptCurriculum(3, "random").next_indices(0)


def test_groups_reach_a_teacher_that_takes_them():
    """A teacher declaring a ``groups`` option gets one label per prompt (as learnability does)."""
    groups = ["a", "a", "b", "b", "c", "c"]
    with registered() as name:
        check_groups(name, groups)


def check_groups(grouped_teacher, groups):
    cur = PromptCurriculum(6, grouped_teacher, groups=groups, seed=0)
    assert cur.teacher.options["groups"] == groups
    first = cur.next_indices(2)
    assert {groups[r] for r in first} == {"a"}  # group "a" sorts first, untried
    cur.observe(first, [[1.0, 1.0]] * 2)  # group a: always solved
    assert {groups[r] for r in cur.next_indices(2)} == {"b"}
    with pytest.raises(ValueError, match="give the groups as groups=, not in teacher_options"):
        PromptCurriculum(6, grouped_teacher, groups=groups, teacher_options={"groups": groups})


def test_reward_range_maps_rewards_onto_0_1():
    cur = PromptCurriculum(3, "sec-lp", seed=0, reward_range=(-1, 1))
    assert cur.observe([0, 1], [[1.0, -1.0, 1.0, 1.0], [-1.0, -1.0]]) == [pytest.approx(0.75), 0.0]
    before = cur.state_dict()
    with pytest.raises(ValueError, match=r"a reward of prompt 2 is outside reward_range \[-1, 1\]"):
        cur.observe([0, 2], [[1.0], [2.0]])
    assert cur.state_dict() == before
    resumed = PromptCurriculum(3, "sec-lp")
    resumed.load_state_dict(json.loads(json.dumps(before)))
    assert resumed.reward_range == (-1.0, 1.0) and resumed.state_dict() == before
    with pytest.raises(ValueError, match="reward_range must be finite with low < high"):
        PromptCurriculum(3, "random", reward_range=(1, 1))
    with pytest.raises(ValueError, match="reward_range must be a pair"):
        PromptCurriculum(3, "random", reward_range=3)
