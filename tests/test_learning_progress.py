"""Behaviour: a learning-progress teacher prefers what is learnable.

Two regions: a learnable one (20 % of the space) whose success probability
rises with practice, and the rest, which never improves.  After a fixed
budget each learning-progress teacher must have sent at least twice as many
tasks to the learnable region as ``random`` does, for several fixed seeds.
"""

from __future__ import annotations

import numpy as np
import pytest

from pedagogy import spaces, teachers
from tests.conftest import TwoRegionLearner, drive

SEEDS = [0, 1, 2]
BOX = spaces.Box([0.0, 0.0], [1.0, 1.0])
DISC = spaces.Discrete([f"t{i}" for i in range(20)])
LEARNABLE_DISC = {"t3", "t8", "t11", "t17"}  # 20 % of the tasks
# A skill graph whose 20 items are split the same way; prerequisites are all known.
GRAPH = spaces.SkillGraph({f"s{i}": [] for i in range(20)})
LEARNABLE_GRAPH = {"s3", "s8", "s11", "s17"}


def box_learnable(x) -> bool:
    return bool(x[0] < 0.2)


# name -> (space, learnable predicate, signal, budget in episodes, batch size).
# The signal is the one each teacher documents: a noisy reward-like "score",
# a 0/1 "success" (an answer's correctness), or the "advantage" of DUMP/SEC.
CASES = {
    "alp-gmm": (BOX, box_learnable, "score", 2000, 1),
    "covar-gmm": (BOX, box_learnable, "score", 2000, 1),
    "riac": (BOX, box_learnable, "score", 2000, 1),
    "lp": (DISC, LEARNABLE_DISC.__contains__, "success", 2000, 1),
    "tscl": (DISC, LEARNABLE_DISC.__contains__, "score", 2000, 1),
    "plr": (DISC, LEARNABLE_DISC.__contains__, "advantage", 2000, 1),
    "dump": (DISC, LEARNABLE_DISC.__contains__, "advantage", 2000, 8),
    "sec": (DISC, LEARNABLE_DISC.__contains__, "advantage", 2000, 8),
    # zpdes gets raw 0/1 answers, the input it documents for a human student.
    "zpdes": (GRAPH, LEARNABLE_GRAPH.__contains__, "success", 2000, 1),
}


def _share_learnable(name: str, seed: int) -> float:
    space, learnable, signal, budget, batch = CASES[name]
    learner = TwoRegionLearner(learnable, rate=0.01, noise=0.05, seed=seed)
    teacher = teachers.make(name, space, seed=seed)
    seen = drive(teacher, getattr(learner, SIGNALS[signal]), budget // batch, batch=batch)
    return float(np.mean([learnable(x) for x in seen]))


SIGNALS = {"score": "score", "success": "success", "advantage": "abs_advantage"}


def _share_random(name: str, seed: int) -> float:
    space, learnable, signal, budget, batch = CASES[name]
    learner = TwoRegionLearner(learnable, rate=0.01, noise=0.05, seed=seed)
    teacher = teachers.make("random", space, seed=seed)
    seen = drive(teacher, getattr(learner, SIGNALS[signal]), budget // batch, batch=batch)
    return float(np.mean([learnable(x) for x in seen]))


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("seed", SEEDS)
def test_prefers_learnable_region(name, seed):
    if name not in teachers.available():
        pytest.fail(f"teacher {name!r} is not registered")
    ours = _share_learnable(name, seed)
    base = _share_random(name, seed)
    assert base > 0.1  # sanity: random does visit the learnable region
    assert ours >= 2.0 * base, f"{name} sent {ours:.1%} of tasks to the learnable region, random {base:.1%}"
