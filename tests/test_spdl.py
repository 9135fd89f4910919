"""Behaviour of ``spdl`` (Self-Paced Deep RL): the task distribution moves to the target only while the score bound holds."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pedagogy import spaces, teachers

BOX2 = spaces.Box([0.0, 0.0], [1.0, 1.0])
WIDE = spaces.Box([-2.0, 10.0], [2.0, 20.0])
FAST = {"update_every": 50, "update_offset": 0, "initial_mean": [0.1, 0.5]}


def _run(t: teachers.Teacher, score, episodes: int) -> None:
    for _ in range(episodes):
        x = t.propose()
        t.observe(x, score(x))


def test_moves_to_the_target_when_the_learner_does_well_everywhere():
    t = teachers.make("spdl", BOX2, seed=0, **FAST)
    start = t.report()
    _run(t, lambda x: 1.0, 1500)
    end = t.report()
    assert start["kl_to_target"] > 2.0
    assert end["kl_to_target"] < 0.01
    assert end["mean"] == pytest.approx([0.5, 0.5], abs=0.02)
    assert np.sqrt(np.diag(end["covariance"])) == pytest.approx([0.25, 0.25], abs=0.02)


def test_stays_when_the_learner_fails_everywhere():
    t = teachers.make("spdl", BOX2, seed=0, **FAST)
    before = t.state_dict()["state"]["x"]
    _run(t, lambda x: 0.0, 1500)
    r = t.report()
    assert r["updates"] == 30 and r["moves"] == 0
    assert t.state_dict()["state"]["x"] == before
    assert not r["performance_lb_reached"]


def test_stops_where_the_performance_bound_binds():
    """Only tasks with x0 < 0.3 are solved: the distribution moves towards the target but stops short of it."""
    t = teachers.make("spdl", BOX2, seed=0, **FAST)
    k0 = t.report()["kl_to_target"]
    _run(t, lambda x: float(x[0] < 0.3), 3000)
    r = t.report()
    assert r["performance_lb_reached"] and r["moves"] >= 3
    assert 0.05 < r["kl_to_target"] < k0
    assert r["mean"][0] < 0.45
    far = teachers.make("spdl", BOX2, seed=0, **FAST)
    _run(far, lambda x: 1.0, 3000)
    assert far.report()["kl_to_target"] < r["kl_to_target"] / 5


def test_first_moves_towards_good_tasks_when_the_bound_is_not_met():
    """Below V_LB (never reached), SPDL maximises the expected score inside the trust region."""
    t = teachers.make("spdl", BOX2, seed=1, **FAST)
    means = []
    while not t.report()["performance_lb_reached"]:  # a few of the first tasks succeed
        _run(t, lambda x: float(x[1] > 0.6), 50)
        means.append(t.report()["mean"][1])
        assert len(means) < 40
    # every update below the bound moved the mean up, towards the solved tasks (the last one met the bound)
    assert len(means) >= 3
    assert all(b > a for a, b in zip([0.5] + means[:-2], means[:-1])) and means[-2] > 0.6


def test_each_move_respects_the_trust_region():
    from pedagogy.teachers.spdl import _kl

    t = teachers.make("spdl", BOX2, seed=0, **FAST)
    prev = t._dist
    for _ in range(1000):
        x = t.propose()
        t.observe(x, 1.0)
        if t._dist is not prev:
            assert _kl(prev, t._dist) <= 0.05 + 1e-9
            prev = t._dist


def test_proposals_are_clipped_into_a_non_unit_box_and_resume():
    t = teachers.make("spdl", WIDE, seed=0, update_every=20, update_offset=0, target_mean=[2.0, 20.0], target_std=0.5)
    _run(t, lambda x: 1.0, 400)
    xs = t.propose(200)
    assert all(WIDE.contains(x) for x in xs)
    assert t.report()["mean"][0] > 0.0  # moved to the target corner
    t2 = teachers.load(json.loads(json.dumps(t.state_dict())))
    _run(t, lambda x: 1.0, 100)
    _run(t2, lambda x: 1.0, 100)
    assert t.state_dict() == t2.state_dict()


def test_option_errors():
    with pytest.raises(ValueError, match="teacher 'spdl': option 'initial_mean' must have 2 values"):
        teachers.make("spdl", BOX2, initial_mean=[0.5])
    with pytest.raises(ValueError, match="option 'max_kl' must be a number > 0"):
        teachers.make("spdl", BOX2, max_kl=0.0)
    with pytest.raises(ValueError, match="option 'target_std' must be a number > 0 or a list of them"):
        teachers.make("spdl", BOX2, target_std=[0.2, -0.1])
    with pytest.raises(ValueError, match="option 'initial_std' must have 2 values"):
        teachers.make("spdl", BOX2, initial_std=[0.2, 0.1, 0.1])


def test_a_given_target_gaussian_with_one_std_per_dimension():
    t = teachers.make("spdl", BOX2, seed=0, target_mean=[0.8, 0.2], target_std=[0.05, 0.2], **FAST)
    _run(t, lambda x: 1.0, 1500)
    r = t.report()
    assert r["mean"] == pytest.approx([0.8, 0.2], abs=0.02)
    assert np.sqrt(np.diag(r["covariance"])) == pytest.approx([0.05, 0.2], abs=0.01)
