"""Behaviour of ``goal-gan`` (Goal GAN) on a toy learner defined here; the torch extra is needed."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from pedagogy import spaces, teachers

BOX2 = spaces.Box([0.0, 0.0], [1.0, 1.0])


def _success(x: np.ndarray) -> float:
    """Mastered below 0.5 on the first axis, half the time in [0.5, 0.75) (intermediate), never above."""
    return 1.0 if x[0] < 0.5 else (0.5 if x[0] < 0.75 else 0.0)


def test_missing_torch_is_a_clear_import_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # `import torch` now raises ImportError
    with pytest.raises(ImportError, match=r"teacher 'goal-gan' needs torch: pip install 'pedagogy\[torch\]'"):
        teachers.make("goal-gan", BOX2, seed=0)


def test_each_generated_goal_is_proposed_n_rollouts_times():
    pytest.importorskip("torch")
    t = teachers.make("goal-gan", BOX2, seed=0, n_rollouts=3, pretrain_episodes=0)
    xs = t.propose(9)
    for i in range(0, 9, 3):
        assert np.array_equal(xs[i], xs[i + 1]) and np.array_equal(xs[i], xs[i + 2])
    assert not np.array_equal(xs[0], xs[3])
    t.observe(xs[:2], [0.5, 0.5])
    assert t.report()["outstanding_goals"] == 3  # a goal is labelled after its third rollout only
    t.observe(xs[2], 0.5)
    assert t.report()["outstanding_goals"] == 2 and t.report()["labelled_since_training"] == 1


def test_proposes_mostly_goals_of_intermediate_difficulty():
    pytest.importorskip("torch")
    t = teachers.make("goal-gan", BOX2, seed=0, pretrain_episodes=0)
    xs = []
    for _ in range(2500):
        x = t.propose()
        t.observe(x, _success(x))
        xs.append(x[0])
    a = np.asarray(xs)
    in_band = (a >= 0.5) & (a < 0.75)  # a quarter of the box
    assert in_band[:250].mean() < 0.2  # the untrained generator misses the band
    assert in_band[-500:].mean() > 0.7
    r = t.report()
    assert r["trainings"] >= 5 and r["old_goals"] > 0  # mastered goals are kept for replay


@pytest.mark.parametrize("saved_at", [30, 300])  # during the warm-up, and after the pretraining and a training
def test_weights_and_optimiser_resume_exactly(saved_at):
    pytest.importorskip("torch")
    t = teachers.make("goal-gan", BOX2, seed=1, update_size=20, gan_iterations=5, pretrain_episodes=50, pretrain_iterations=5)
    for _ in range(saved_at):
        x = t.propose()
        t.observe(x, _success(x))
    assert t.report()["pretrained"] == (saved_at > 50)
    assert saved_at < 50 or t.report()["trainings"] >= 1
    t2 = teachers.load(json.loads(json.dumps(t.state_dict())))
    for a in (t, t2):
        for _ in range(200):
            x = a.propose()
            a.observe(x, _success(x))
    assert t.state_dict() == t2.state_dict()


def _corner_visits(name: str, seed: int, **options: object) -> int:
    """Episodes spent in the learnable corner ``[0, 0.25)^2`` out of 2,000; elsewhere the learner never succeeds.

    The learner's success in the corner is its competence there, which
    grows by 0.01 per episode spent in it (so a teacher has to find the
    corner and stay in it).
    """
    t = teachers.make(name, BOX2, seed=seed, **options)
    competence, visits = 0.0, 0
    for _ in range(2000):
        x = t.propose()
        inside = bool((x < 0.25).all())
        if inside:
            competence = min(competence + 0.01, 1.0)
            visits += 1
        t.observe(x, competence if inside else 0.0)
    return visits


@pytest.mark.parametrize("seed", [0, 1])
def test_pretraining_on_reached_goals_finds_the_learnable_corner(seed):
    pytest.importorskip("torch")
    new = _corner_visits("goal-gan", seed)
    old = _corner_visits("goal-gan", seed, pretrain_episodes=0)  # the untrained generator stays near the centre
    uniform = _corner_visits("random", seed)
    assert new > 2 * max(old, 1) and new >= 2 * uniform
    assert new > 250  # about 60 in the 1,000 uniform warm-up episodes, then mostly the corner


def test_option_errors():
    with pytest.raises(ValueError, match="teacher 'goal-gan': option 'success_low' must not exceed 'success_high'"):
        teachers.make("goal-gan", BOX2, success_low=0.8, success_high=0.2)
    with pytest.raises(ValueError, match=r"score must be in \[0, 1\]"):
        pytest.importorskip("torch")
        t = teachers.make("goal-gan", BOX2, seed=0)
        t.observe(t.propose(), 2.0)
