"""The cyclical curriculum schedule (pedagogy.cyclical, Kesgin & Amasyali, TNNLS 2024)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pedagogy.cyclical import CyclicalSchedule


def _scores(n: int = 200, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random(n)


def test_sizes_cycle_between_the_start_and_end_fractions():
    s = CyclicalSchedule(200, _scores())
    assert s.fractions(9) == [0.25, 0.5, 1.0, 0.5, 0.25, 0.5, 1.0, 0.5, 0.25]
    assert [s.size(e) for e in range(4)] == [50, 100, 200, 100]
    assert min(s.fractions(40)) == 0.25 and max(s.fractions(40)) == 1.0
    # an end below 1 and a multiplier that does not land on it exactly: capped at the end
    t = CyclicalSchedule(1000, _scores(1000), start_fraction=0.1, end_fraction=0.8, multiplier=0.4)
    assert t.fractions(6) == pytest.approx([0.1, 0.25, 0.625, 0.8, 0.625, 0.25])


def test_plain_curriculum_and_vanilla_strategies():
    inc = CyclicalSchedule(100, _scores(100), strategy="increase")
    assert inc.fractions(6) == [0.25, 0.5, 1.0, 1.0, 1.0, 1.0]
    van = CyclicalSchedule(100, _scores(100), strategy="vanilla")
    assert van.fractions(3) == [1.0, 1.0, 1.0] and sorted(van.subset(0).tolist()) == list(range(100))


def test_easiest_first():
    sc = _scores()
    s = CyclicalSchedule(200, sc)
    sub = s.subset(0)
    assert len(sub) == 50
    assert set(sub.tolist()) == set(np.argsort(-sc)[:50].tolist())
    assert np.all(np.diff(sc[sub]) <= 0)  # easiest first
    bigger = s.subset(1)
    assert set(sub.tolist()) <= set(bigger.tolist())  # a larger subset adds harder examples


def test_weighted_selection_follows_the_scores():
    sc = np.r_[np.full(100, 10.0), np.full(100, 0.1)]
    s = CyclicalSchedule(200, sc, selection="weighted", seed=3)
    sub = s.subset(0)
    assert len(set(sub.tolist())) == 50 and np.mean(sub < 100) > 0.85
    assert np.array_equal(sub, s.subset(0))  # seeded per epoch


def test_exact_resume_through_json():
    for selection in ("easiest", "weighted"):
        a = CyclicalSchedule(300, _scores(300), selection=selection, seed=5)
        for _ in range(7):
            a.next_subset()
        b = CyclicalSchedule(300, _scores(300), selection=selection, seed=5)
        b.load_state_dict(json.loads(json.dumps(a.state_dict())))
        assert b.epoch == 7
        for _ in range(10):
            assert np.array_equal(a.next_subset(), b.next_subset())


def test_bad_inputs():
    with pytest.raises(ValueError, match="one value per example"):
        CyclicalSchedule(10, np.ones(9))
    with pytest.raises(ValueError, match="finite"):
        CyclicalSchedule(2, [1.0, float("nan")])
    with pytest.raises(ValueError, match="must not exceed"):
        CyclicalSchedule(10, np.ones(10), start_fraction=0.9, end_fraction=0.5)
    with pytest.raises(ValueError, match="option 'multiplier'"):
        CyclicalSchedule(10, np.ones(10), multiplier=1.0)
    with pytest.raises(ValueError, match="option 'strategy'"):
        CyclicalSchedule(10, np.ones(10), strategy="sharp")
    with pytest.raises(ValueError, match="weighted"):
        CyclicalSchedule(2, [-1.0, 1.0], selection="weighted")
    s = CyclicalSchedule(10, np.ones(10))
    with pytest.raises(ValueError, match="different scores"):
        s.load_state_dict(CyclicalSchedule(10, np.arange(10.0)).state_dict())
    with pytest.raises(ValueError, match="start_fraction"):
        s.load_state_dict(CyclicalSchedule(10, np.ones(10), start_fraction=0.5).state_dict())
    with pytest.raises(ValueError, match="epoch"):
        s.fraction(-1)
