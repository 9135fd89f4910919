"""Behaviour of ``adr`` (Automatic Domain Randomization) on small learners defined here."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pedagogy import spaces, teachers

LINE = spaces.Box([0.0], [1.0])
BOX2 = spaces.Box([0.0, 0.0], [1.0, 1.0])


def _bounds(t: teachers.Teacher) -> tuple[list[float], list[float]]:
    r = t.report()
    return r["low"], r["high"]


def test_starts_collapsed_at_the_nominal_task():
    assert _bounds(teachers.make("adr", BOX2, seed=0)) == ([0.5, 0.5], [0.5, 0.5])
    assert _bounds(teachers.make("adr", BOX2, seed=0, initial="low")) == ([0.0, 0.0], [0.0, 0.0])
    t = teachers.make("adr", BOX2, seed=0, initial=[0.2, 0.7])
    assert _bounds(t) == ([0.2, 0.7], [0.2, 0.7])
    assert all(np.array_equal(x, [0.2, 0.7]) for x in t.propose(5))


def test_widens_a_side_only_once_its_buffer_of_good_scores_is_full():
    t = teachers.make("adr", LINE, seed=1, boundary_prob=1.0, buffer_size=4, step=0.1)
    moves = 0
    for _ in range(200):
        lo, hi = _bounds(t)
        before = t.report()["buffered"][0]
        x = t.propose()
        assert x[0] in (lo[0], hi[0])  # every proposal is a boundary evaluation here
        t.observe(x, 1.0)
        after = t.report()["buffered"][0]
        lo2, hi2 = _bounds(t)
        side = 0 if after[0] != before[0] else 1
        assert after[1 - side] == before[1 - side]
        if before[side] == 3:  # the 4th score: the buffer is full, checked and cleared
            assert after[side] == 0
            if side == 0:
                assert lo2[0] == pytest.approx(max(lo[0] - 0.1, 0.0)) and hi2 == hi
            else:
                assert hi2[0] == pytest.approx(min(hi[0] + 0.1, 1.0)) and lo2 == lo
            moves += (lo2, hi2) != (lo, hi)
        else:
            assert after[side] == before[side] + 1
            assert (lo2, hi2) == (lo, hi), "a bound moved before its buffer was full"
    assert moves == 10
    assert _bounds(t) == ([0.0], [1.0])  # good everywhere: the whole box, clipped to it


def test_training_episodes_do_not_move_the_bounds():
    t = teachers.make("adr", BOX2, seed=0, boundary_prob=0.0, buffer_size=2)
    for _ in range(300):
        x = t.propose()
        t.observe(x, 1.0)
    assert _bounds(t) == ([0.5, 0.5], [0.5, 0.5])
    # and a task the teacher never proposed (even one on a boundary) counts as training only
    t = teachers.make("adr", BOX2, seed=0, boundary_prob=1.0, buffer_size=1)
    for _ in range(50):
        t.observe(np.array([0.5, 0.5]), 1.0)
    assert _bounds(t) == ([0.5, 0.5], [0.5, 0.5])


def test_narrows_after_bad_performance_and_never_crosses():
    t = teachers.make("adr", LINE, seed=2, initial="low", boundary_prob=1.0, buffer_size=3, step=0.1)
    for _ in range(60):  # good: the upper side grows
        x = t.propose()
        t.observe(x, 1.0)
    hi_good = _bounds(t)[1][0]
    assert hi_good >= 0.5
    for _ in range(200):  # bad: it shrinks back to the lower side, not past it
        x = t.propose()
        t.observe(x, 0.0)
        lo, hi = _bounds(t)
        assert lo[0] <= hi[0]
    assert _bounds(t) == ([0.0], [0.0])


def test_tracks_a_competence_frontier():
    """Tasks below 0.55 are solved, the rest failed: the upper bound settles at the frontier."""
    t = teachers.make("adr", BOX2, seed=3, initial="low", boundary_prob=0.5)
    for _ in range(6000):
        x = t.propose()
        t.observe(x, float(x[0] < 0.55 and x[1] < 0.55))
    lo, hi = _bounds(t)
    assert lo == [0.0, 0.0]
    assert all(0.45 <= h <= 0.65 for h in hi), hi


def test_middle_scores_leave_the_bounds_alone():
    t = teachers.make("adr", BOX2, seed=0, boundary_prob=1.0, buffer_size=2)
    for _ in range(300):
        x = t.propose()
        t.observe(x, 0.5)  # between t_L = 0.3 and t_H = 0.66
    assert _bounds(t) == ([0.5, 0.5], [0.5, 0.5])
    assert t.report()["updates"] == 0


def test_a_score_for_a_boundary_that_has_moved_is_dropped():
    t = teachers.make("adr", LINE, seed=0, boundary_prob=1.0, buffer_size=1, initial="low")
    first = t.propose(2)  # both evaluate the upper side at 0.0 (the lower one cannot widen)
    t.observe(first[0], 1.0)  # upper side -> 0.1
    assert _bounds(t) == ([0.0], [pytest.approx(0.1)])
    t.observe(first[1], 1.0)  # measured the old upper bound: ignored
    assert _bounds(t) == ([0.0], [pytest.approx(0.1)])
    assert t.report()["outstanding_boundary_evaluations"] == 0


def test_outstanding_boundary_evaluations_survive_a_resume():
    t = teachers.make("adr", BOX2, seed=4, boundary_prob=1.0, buffer_size=1)
    batch = t.propose(6)
    t2 = teachers.load(json.loads(json.dumps(t.state_dict())))
    for a in (t, t2):
        a.observe(batch, [1.0] * 6)
    assert _bounds(t) == _bounds(t2) and _bounds(t) != ([0.5, 0.5], [0.5, 0.5])


def test_option_errors():
    with pytest.raises(ValueError, match="teacher 'adr': option 'threshold_low' must be below 'threshold_high'"):
        teachers.make("adr", BOX2, threshold_low=0.8, threshold_high=0.5)
    with pytest.raises(ValueError, match="option 'initial' must have 2 coordinates"):
        teachers.make("adr", BOX2, initial=[0.5])
    with pytest.raises(ValueError, match="option 'initial' must be inside the space"):
        teachers.make("adr", BOX2, initial=[0.5, 2.0])
    with pytest.raises(ValueError, match="option 'initial' must be 'centre', 'low', 'high'"):
        teachers.make("adr", BOX2, initial="middle")
