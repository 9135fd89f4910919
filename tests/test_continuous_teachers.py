"""Behaviour of the continuous-space teachers ``alp-gmm``, ``covar-gmm`` and ``riac``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pedagogy import spaces, teachers
from pedagogy.teachers._gmm import fit_gmm, proportional_index, select_gmm

BOX = spaces.Box([0.0, 0.0], [1.0, 1.0])
WIDE = spaces.Box([-10.0, 100.0], [10.0, 300.0])
NAMES = ["alp-gmm", "covar-gmm", "riac"]


def _state_size(t: teachers.Teacher) -> int:
    return len(json.dumps(t.state_dict()))


def _run(t: teachers.Teacher, score, n: int) -> list[np.ndarray]:
    out = []
    for _ in range(n):
        x = t.propose()
        t.observe(x, score(x))
        out.append(x)
    return out


# ------------------------------------------------------------- memory bound
@pytest.mark.parametrize(
    "name, options",
    [
        ("alp-gmm", {"fit_rate": 20, "alp_max_size": 50, "alp_buffer_size": 10, "potential_ks": [1, 2]}),
        ("alp-gmm", {"fit_rate": 20, "alp_max_size": 50, "alp_recent_size": 30, "potential_ks": [1, 2]}),
        ("covar-gmm", {"fit_rate": 20, "potential_ks": [1, 2]}),
        ("riac", {"max_region_size": 20, "max_regions": 9}),
    ],
)
def test_state_size_stops_growing(name, options):
    rng = np.random.default_rng(0)
    t = teachers.make(name, BOX, seed=0, **options)
    _run(t, lambda x: float(x[0] + 0.1 * rng.random()), 1500)
    size_a = _state_size(t)
    _run(t, lambda x: float(x[0] + 0.1 * rng.random()), 3000)
    size_b = _state_size(t)
    # Bounded buffers: after the first 1500 episodes the state no longer grows
    # (a few percent of slack for the digits of the floats).
    assert size_b < 1.1 * size_a


def test_riac_respects_max_regions():
    t = teachers.make("riac", BOX, seed=1, max_region_size=20, max_regions=7)
    _run(t, lambda x: float(x[0] > 0.5) * 0.5 + 0.5 * float(np.random.default_rng(0).random()), 2000)
    assert len(t.report()["regions"]) <= 7


# -------------------------------------------------------------- options
@pytest.mark.parametrize(
    "name, options, match",
    [
        ("alp-gmm", {"fit_rate": 0}, "fit_rate"),
        ("alp-gmm", {"fit_rate": 1}, "fit_rate"),
        ("alp-gmm", {"random_task_ratio": 1.5}, "random_task_ratio"),
        ("alp-gmm", {"potential_ks": []}, "potential_ks"),
        ("alp-gmm", {"potential_ks": [2, "x"]}, "potential_ks"),
        ("alp-gmm", {"gmm_fitness": "mdl"}, "gmm_fitness"),
        ("alp-gmm", {"alp_max_size": -3}, "alp_max_size"),
        ("alp-gmm", {"nb_bootstrap": 0}, "nb_bootstrap"),
        ("alp-gmm", {"alp_recent_size": 0}, "alp_recent_size"),
        ("alp-gmm", {"alp_recent_size": 2.5}, "alp_recent_size"),
        ("alp-gmm", {"alp_recent_radius": -0.1}, "alp_recent_radius"),
        ("covar-gmm", {"absolute_lp": "yes"}, "absolute_lp"),
        ("covar-gmm", {"fit_rate": 2.5}, "fit_rate"),
        ("riac", {"max_region_size": 2}, "max_region_size"),
        ("riac", {"discard_ratio": 1.0}, "discard_ratio"),
        ("riac", {"random_task_ratio": 0.8, "mutation_ratio": 0.5}, "mutation_ratio"),
        ("riac", {"max_regions": 0}, "max_regions"),
        ("riac", {"sampling_in_leaves_only": 1}, "sampling_in_leaves_only"),
    ],
)
def test_bad_options_rejected(name, options, match):
    with pytest.raises(ValueError, match=f"teacher '{name}'.*{match}"):
        teachers.make(name, BOX, **options)


@pytest.mark.parametrize("name", NAMES)
def test_discrete_space_rejected(name):
    with pytest.raises(ValueError, match=name):
        teachers.make(name, spaces.Discrete(4))


# ------------------------------------------------------------ GMM toolkit
def test_em_recovers_two_clusters():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal([0.2, 0.2], 0.03, (150, 2)), rng.normal([0.8, 0.6], 0.05, (150, 2))])
    mix, loglik = fit_gmm(X, 2, np.random.default_rng(1))
    order = np.argsort(mix.means[:, 0])
    assert np.allclose(mix.means[order], [[0.2, 0.2], [0.8, 0.6]], atol=0.02)
    assert np.allclose(mix.weights, 0.5, atol=0.02)
    assert np.allclose(np.sqrt(mix.covariances[order[0]].diagonal()), 0.03, atol=0.01)
    # AIC prefers 2 components over 1 on two well-separated clusters.
    assert select_gmm(X, [1, 2], np.random.default_rng(2)).k == 2
    assert np.isfinite(loglik)


def test_proportional_index():
    v = np.array([0.0, 1.0, 3.0])
    picks = [proportional_index(v, u) for u in np.linspace(0, 0.999, 400)]
    assert picks.count(0) == 0
    assert abs(picks.count(2) / 400 - 0.75) < 0.01
    assert proportional_index(np.zeros(4), 0.6) == 2  # all zero: uniform


# ------------------------------------------------------------- ALP-GMM
def test_alp_is_against_nearest_previous_task():
    # The paper's ALP alone (alp_recent_size=None).
    t = teachers.make("alp-gmm", BOX, seed=0, fit_rate=1000, alp_recent_size=None)
    # Six far-away tasks first (the reference gives ALP 0 until 6 are stored).
    for i in range(6):
        t.observe([0.9, 0.1 * i], 0.0)
    t.observe([0.1, 0.1], 0.2)   # nearest previous: (0.9, 0.1), score 0.0 -> ALP 0.2
    t.observe([0.12, 0.1], 0.7)  # nearest previous: (0.1, 0.1), score 0.2 -> ALP 0.5
    t.observe([0.9, 0.49], 0.1)  # nearest previous: (0.9, 0.5), score 0.0 -> ALP 0.1
    alps = np.array(t.state_dict()["state"]["window"])[6:9, -1]
    assert np.allclose(alps, [0.2, 0.5, 0.1])


def test_alp_nearest_neighbour_crosses_kd_tree_and_buffer():
    t = teachers.make("alp-gmm", BOX, seed=0, alp_buffer_size=4, fit_rate=1000, alp_recent_size=None)
    pts = [[0.1, 0.1], [0.5, 0.5], [0.9, 0.9], [0.1, 0.9], [0.9, 0.1], [0.3, 0.7], [0.7, 0.3]]
    for i, p in enumerate(pts):
        t.observe(p, float(i))  # the first 4 go to the KD-tree, the rest to the buffer
    t.observe([0.12, 0.1], 10.0)  # nearest is (0.1, 0.1), score 0 (in the tree)
    t.observe([0.69, 0.3], 3.0)  # nearest is (0.7, 0.3), score 6 (in the buffer)
    alps = np.array(t.state_dict()["state"]["window"])[7:9, -1]
    assert np.allclose(alps, [10.0, 3.0])


def _alps_after(options, steps):
    t = teachers.make("alp-gmm", BOX, seed=0, fit_rate=1000, **options)
    for x, r in steps:
        t.observe(x, r)
    return np.array(t.state_dict()["state"]["window"])[: len(steps), -1]


def test_alp_recent_size_takes_the_larger_of_two_time_scales():
    steps = [([0.9, 0.1 * i], 0.0) for i in range(6)]
    steps += [([0.1, 0.1], 0.2), ([0.12, 0.1], 0.7), ([0.9, 0.05], 0.0)]
    paper = _alps_after({"alp_recent_size": None}, steps)
    both = _alps_after({"alp_recent_size": 2, "alp_recent_radius": None}, steps)
    near = _alps_after({"alp_recent_size": 2, "alp_recent_radius": 0.3}, steps)
    # Up to step 8 the nearest of the last 2 tasks agrees with the long history.
    for alps in (paper, both, near):
        assert np.allclose(alps[6:8], [0.2, 0.5])
    # (0.9, 0.05): nearest of all tasks scores 0.0 -> ALP 0; nearest of the
    # last two, (0.12, 0.1), scored 0.7 -> ALP 0.7, and the larger one is kept,
    # unless that recent task is beyond the radius (0.78 > 0.3).
    assert paper[8] == pytest.approx(0.0) and both[8] == pytest.approx(0.7) and near[8] == pytest.approx(0.0)


def test_alp_recent_size_resumes_exactly():
    rng = np.random.default_rng(0)
    t = teachers.make("alp-gmm", BOX, seed=4, fit_rate=50, alp_recent_size=20)
    _run(t, lambda x: float(x[0] + 0.1 * rng.random()), 333)
    saved = json.loads(json.dumps(t.state_dict(), allow_nan=False))
    resumed = teachers.load(saved)
    r1, r2 = np.random.default_rng(1), np.random.default_rng(1)
    a = _run(t, lambda x: float(x[0] + 0.1 * r1.random()), 200)
    b = _run(resumed, lambda x: float(x[0] + 0.1 * r2.random()), 200)
    assert np.array_equal(np.array(a), np.array(b))


def test_alp_recent_size_follows_a_moving_frontier_better():
    # A 5x5 grid whose cubes unlock one after another (the paper's toy
    # environment, smaller): ALP at two time scales (the default) masters more
    # of it than the paper's ALP alone over the same budget and seeds.
    from pedagogy.sim.grid import GridLearner

    def mastered(options):
        out = []
        for seed in range(3):
            learner = GridLearner(cubes_per_dim=5, seed=seed)
            t = teachers.make("alp-gmm", learner.space, seed=seed, **options)
            _run(t, learner.practice, 3000)
            out.append(learner.evaluate()["mastered_fraction"])
        return np.mean(out)

    assert mastered({}) > mastered({"alp_recent_size": None}) + 0.03


def _progress_in_corner(rng):
    """Score rises with practice only in the corner x < 0.25, y < 0.25."""
    count = [0]

    def score(x):
        if x[0] < 0.25 and x[1] < 0.25:
            count[0] += 1
            return min(1.0, 0.005 * count[0]) + 0.02 * rng.random()
        return 0.02 * rng.random()

    return score


@pytest.mark.parametrize("name", NAMES)
def test_concentrates_where_progress_is(name):
    rng = np.random.default_rng(0)
    t = teachers.make(name, BOX, seed=0)
    _run(t, _progress_in_corner(rng), 1000)
    later = np.array(_run(t, _progress_in_corner(rng), 500))
    share = np.mean((later[:, 0] < 0.25) & (later[:, 1] < 0.25))
    assert share > 0.25  # uniform sampling would give 0.0625


def test_alp_gmm_bootstrap_is_uniform_then_fits():
    t = teachers.make("alp-gmm", BOX, seed=0, fit_rate=100)
    rng = np.random.default_rng(0)
    _run(t, lambda x: float(rng.random()), 99)
    assert t.report()["fitted"] is False
    _run(t, lambda x: float(rng.random()), 1)
    rep = t.report()
    assert rep["fitted"] is True
    comps = rep["components"]
    assert 2 <= len(comps) <= 10
    assert abs(sum(c["weight"] for c in comps) - 1.0) < 1e-9
    for c in comps:
        assert len(c["mean"]) == 2 and np.array(c["covariance"]).shape == (2, 2)
        assert c["alp"] >= -1e-12  # a weighted mean of absolute progress values


def test_report_in_box_coordinates():
    t = teachers.make("alp-gmm", WIDE, seed=0, fit_rate=50)
    rng = np.random.default_rng(0)
    xs = _run(t, lambda x: float(rng.random()), 200)
    assert all(WIDE.contains(x) for x in xs)
    for c in t.report()["components"]:
        assert -12 < c["mean"][0] < 12 and 90 < c["mean"][1] < 310


# ------------------------------------------------------------- Covar-GMM
def test_covar_gmm_interest_is_positive_time_score_covariance():
    t = teachers.make("covar-gmm", BOX, seed=0, fit_rate=200, potential_ks=[2])
    rng = np.random.default_rng(0)
    for i in range(200):
        trend = i / 200.0
        # Two tight task clusters: the left one improves over the window, the right one gets worse.
        if i % 2:
            t.observe([0.2 + 0.02 * rng.random(), 0.5], trend + 0.01 * rng.random())
        else:
            t.observe([0.8 + 0.02 * rng.random(), 0.5], 1.0 - trend + 0.01 * rng.random())
    comps = t.report()["components"]
    assert len(comps) == 2
    left = min(comps, key=lambda c: c["mean"][0])
    right = max(comps, key=lambda c: c["mean"][0])
    assert left["mean"][0] < 0.3 and right["mean"][0] > 0.7
    assert left["time_score_covariance"] > 0 and left["learning_progress"] == left["time_score_covariance"]
    assert right["time_score_covariance"] < 0 and right["learning_progress"] == 0.0
    # Every GMM proposal now comes from the progressing (left) component.
    xs = np.array(t.propose(300))
    assert np.mean(xs[:, 0] < 0.5) > 0.8


# ------------------------------------------------------------------ RIAC
def test_riac_splits_at_progress_boundary():
    t = teachers.make("riac", BOX, seed=0, max_region_size=100)
    rng = np.random.default_rng(0)
    count = [0]

    def score(x):
        if x[0] < 0.3:
            count[0] += 1
            return min(1.0, 0.004 * count[0]) + 0.01 * rng.random()
        return 0.01 * rng.random()

    _run(t, score, 600)
    rep = t.report()
    assert rep["splits"] >= 1
    regions = rep["regions"]
    assert regions[0]["parent"] is None and regions[0]["low"] == [0.0, 0.0] and regions[0]["high"] == [1.0, 1.0]
    # The first split separates progress (x < 0.3) from no progress: it cuts x near 0.3.
    first = regions[1]
    cut_dim_x = first["high"][0] < 1.0 or first["low"][0] > 0.0
    assert cut_dim_x
    cut = first["high"][0] if first["high"][0] < 1.0 else first["low"][0]
    assert 0.15 < cut < 0.5
    leaves = [r for r in regions if r["leaf"]]
    best = max(leaves, key=lambda r: r["interest"])
    assert best["low"][0] < 0.3
    for r in regions:
        assert r["points"] <= 101 and r["interest"] >= 0


def test_riac_no_split_below_capacity():
    t = teachers.make("riac", BOX, seed=0, max_region_size=200)
    rng = np.random.default_rng(0)
    _run(t, lambda x: float(rng.random()), 200)
    assert t.report()["splits"] == 0 and len(t.report()["regions"]) == 1
