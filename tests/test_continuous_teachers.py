"""Behaviour of the continuous-space teachers ``alp-gmm``, ``covar-gmm`` and ``riac``."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from pedagogy import spaces, teachers
from pedagogy.teachers._gmm import fit_gmm, fit_gmms, proportional_index, select_gmm

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


@pytest.mark.parametrize(
    "name, options, message",
    [
        ("alp-gmm", {"fit_rate": 1}, "option 'fit_rate' must be an integer >= 2, got 1"),
        ("alp-gmm", {"fit_rate": 250.0}, "option 'fit_rate' must be an integer >= 2, got 250.0"),
        ("alp-gmm", {"alp_max_size": 0}, "option 'alp_max_size' must be None or an integer >= 1, got 0"),
        ("alp-gmm", {"alp_max_size": True}, "option 'alp_max_size' must be None or an integer >= 1, got True"),
        ("alp-gmm", {"alp_recent_radius": 0.0}, "option 'alp_recent_radius' must be None or a number > 0, got 0.0"),
        ("alp-gmm", {"potential_ks": [2, 0]}, "option 'potential_ks' must be a non-empty list of integers >= 1, got [2, 0]"),
        ("alp-gmm", {"gmm_fitness": "mdl"}, "option 'gmm_fitness' must be one of 'aic', 'bic', 'aicc', got 'mdl'"),
        ("covar-gmm", {"random_task_ratio": -0.1}, "option 'random_task_ratio' must be a number in [0, 1], got -0.1"),
        ("covar-gmm", {"absolute_lp": 1}, "option 'absolute_lp' must be true or false, got 1"),
        ("riac", {"max_regions": 0}, "option 'max_regions' must be None or an integer >= 1, got 0"),
        ("riac", {"discard_ratio": 0.0}, "option 'discard_ratio' must be a number in (0, 1), got 0.0"),
        ("riac", {"max_region_size": 3}, "option 'max_region_size' must be an integer >= 4, got 3"),
        (
            "riac",
            {"random_task_ratio": 0.8, "mutation_ratio": 0.5},
            "options 'random_task_ratio' + 'mutation_ratio' must not exceed 1, got 0.8 + 0.5",
        ),
    ],
)
@pytest.mark.parametrize("preset", [None, "paper"])
def test_bad_options_rejected_with_the_declared_message(name, options, message, preset):
    cls = teachers.get(name)
    defaults_before = json.dumps(cls.defaults)
    other = teachers.make(name, BOX, seed=0, preset=preset)
    _run(other, lambda x: float(x[0]), 300)
    before = json.dumps(other.state_dict())
    with pytest.raises(ValueError, match="^" + re.escape(f"teacher '{name}': {message}") + "$"):
        teachers.make(name, BOX, seed=0, preset=preset, **options)
    # Nothing changed: not the declared defaults, not another teacher of the kind.
    assert json.dumps(cls.defaults) == defaults_before
    assert json.dumps(other.state_dict()) == before


# ------------------------------------------------------ the paper's settings
PAPER = {
    # teachDeepRL's teachers/algos/*.py defaults, the settings of Portelas et al. 2019
    "alp-gmm": {
        "fit_rate": 250,
        "nb_bootstrap": None,
        "random_task_ratio": 0.2,
        "potential_ks": list(range(2, 11)),
        "gmm_fitness": "aic",
        "nb_em_init": 1,
        "alp_max_size": None,
        "alp_buffer_size": 500,
        "alp_recent_size": None,
    },
    "covar-gmm": {
        "fit_rate": 250,
        "nb_bootstrap": None,
        "random_task_ratio": 0.2,
        "potential_ks": list(range(2, 11)),
        "gmm_fitness": "aic",
        "nb_em_init": 1,
        "absolute_lp": False,
    },
    "riac": {
        "max_region_size": 200,
        "alp_window_size": None,
        "nb_split_attempts": 50,
        "min_reg_size": None,
        "min_dims_range_ratio": 1.0 / 15.0,
        "discard_ratio": 0.25,
        "sampling_in_leaves_only": False,
        "random_task_ratio": 0.2,
        "mutation_ratio": 0.1,
        "mutation_std": 0.1,
        "max_regions": None,
    },
}
DEPARTURES = {"alp-gmm": {"alp_max_size", "alp_recent_size", "relevance_alpha"}, "covar-gmm": set(), "riac": {"max_regions"}}


@pytest.mark.parametrize("name", NAMES)
def test_preset_paper_gives_the_papers_settings(name):
    cls = teachers.get(name)
    t = teachers.make(name, BOX, seed=0, preset="paper")
    for key, value in PAPER[name].items():
        assert t.options[key] == value, key
    # The options that depart from the paper are exactly those declared so,
    # each with a reason; everything else is the paper's by default.
    assert set(cls.paper_departures()) == DEPARTURES[name]
    assert all(p.why for p in cls.paper_departures().values())
    plain = teachers.make(name, BOX, seed=0)
    changed = {k for k in plain.options if plain.options[k] != t.options[k]}
    assert changed == DEPARTURES[name]
    # An explicit option still wins over the preset.
    key, value = {"alp-gmm": ("alp_max_size", 50), "covar-gmm": ("absolute_lp", True), "riac": ("max_regions", 9)}[name]
    assert teachers.make(name, BOX, seed=0, preset="paper", **{key: value}).options[key] == value


def test_gmm_teachers_share_one_base_class():
    from pedagogy.teachers import alp_gmm, covar_gmm
    from pedagogy.teachers._gmm_teacher import GMMTeacher

    a, c = teachers.get("alp-gmm"), teachers.get("covar-gmm")
    assert issubclass(a, GMMTeacher) and issubclass(c, GMMTeacher)
    shared = set(GMMTeacher.params)
    assert shared <= set(a.params) and shared <= set(c.params)
    assert all(a.params[k] is GMMTeacher.params[k] is c.params[k] for k in shared)
    # covar-gmm does not borrow private names from alp-gmm.
    assert not any(
        getattr(covar_gmm, n, None) is getattr(alp_gmm, n) for n in vars(alp_gmm) if n.startswith("_") and not n.startswith("__")
    )


def _history_len(t: teachers.Teacher) -> int:
    h = t.state_dict()["state"]["history"]
    return len(h["old_r"]) + len(h["new_r"])


def test_alp_max_size_none_keeps_every_past_task():
    rng = np.random.default_rng(0)
    kept = teachers.make("alp-gmm", BOX, seed=0, alp_max_size=None, alp_buffer_size=50, fit_rate=100)
    bounded = teachers.make("alp-gmm", BOX, seed=0, alp_max_size=200, alp_buffer_size=50, fit_rate=100)
    sizes = []
    for _ in range(3):
        for t in (kept, bounded):
            _run(t, lambda x: float(x[0] + 0.1 * rng.random()), 600)
        sizes.append(_state_size(kept))
    assert _history_len(kept) == 1800
    assert _history_len(bounded) <= 250
    # Memory grows with the episodes, about evenly (the documented cost):
    # D + 1 = 3 floats per episode on a 2-D box.
    g1, g2 = sizes[1] - sizes[0], sizes[2] - sizes[1]
    assert g1 > 600 * 3 * 10 and 0.8 < g2 / g1 < 1.25


def test_alp_max_size_none_finds_the_oldest_neighbour():
    # The reference compares with the nearest of *all* past tasks: a task next
    # to the very first one gets its ALP against it, however long ago it was.
    def alp_of_return(options):
        t = teachers.make("alp-gmm", BOX, seed=0, fit_rate=1000, alp_buffer_size=10, alp_recent_size=None, **options)
        t.observe([0.05, 0.05], 1.0)
        for i in range(300):
            t.observe([0.5 + 0.4 * (i % 20) / 20, 0.5 + 0.4 * (i // 20) / 15], 0.0)
        t.observe([0.06, 0.05], 0.25)
        return np.array(t.state_dict()["state"]["window"])[301, -1]

    assert alp_of_return({"alp_max_size": None}) == pytest.approx(0.75)
    assert alp_of_return({}) == pytest.approx(0.75)  # 1,000 tasks still reach back 302 episodes
    assert alp_of_return({"alp_max_size": 100}) == pytest.approx(0.25)  # the first task was dropped


def test_alp_max_size_none_resumes_exactly():
    rng = np.random.default_rng(0)
    t = teachers.make("alp-gmm", BOX, seed=5, preset="paper", alp_buffer_size=40, fit_rate=60)
    _run(t, lambda x: float(x[0] * x[1] + 0.1 * rng.random()), 777)
    saved = json.loads(json.dumps(t.state_dict(), allow_nan=False))
    assert saved["options"]["alp_max_size"] is None and _history_len(t) == 777
    resumed = teachers.load(saved)
    r1, r2 = np.random.default_rng(1), np.random.default_rng(1)
    a = _run(t, lambda x: float(x[0] + 0.1 * r1.random()), 300)
    b = _run(resumed, lambda x: float(x[0] + 0.1 * r2.random()), 300)
    assert np.array_equal(np.array(a), np.array(b))
    assert json.dumps(t.state_dict()) == json.dumps(resumed.state_dict())
    assert _history_len(resumed) == 1077


def test_riac_max_regions_none_lets_the_tree_grow():
    def regions(**options):
        t = teachers.make("riac", BOX, seed=1, max_region_size=20, **options)
        noise = np.random.default_rng(0)
        _run(t, lambda x: float(x[0] > 0.5) * 0.5 + 0.5 * float(noise.random()), 2000)
        return len(t.report()["regions"])

    assert regions(max_regions=7) <= 7
    assert regions(max_regions=None) > 7


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


def test_stacked_em_equals_one_fit_per_k():
    # fit_gmms runs every k's EM in one stack of components; each run must end
    # where its own EM loop would, with the same k-means++ draws in the same order.
    rng = np.random.default_rng(3)
    X = np.column_stack([rng.random((250, 2)), np.abs(rng.normal(0, 0.1, 250))])
    ks = [2, 3, 5, 10]
    for n_init in (1, 2):
        stacked = fit_gmms(X, ks, np.random.default_rng(4), n_init=n_init)
        one_rng = np.random.default_rng(4)
        for k, (mix, loglik) in zip(ks, stacked):
            alone, alone_ll = fit_gmm(X, k, one_rng, n_init=n_init)
            assert mix.k == k
            assert np.isclose(loglik, alone_ll, rtol=1e-9)
            assert np.allclose(mix.means, alone.means, atol=1e-9)
            assert np.allclose(mix.covariances, alone.covariances, atol=1e-9)
            assert np.isclose(mix.weights.sum(), 1.0)


def test_nearest_history_brute_force_equals_tree():
    # Small histories are searched by brute force, large ones through a KD-tree: same answers.
    from pedagogy.teachers.alp_gmm import _NearestHistory

    rng = np.random.default_rng(5)
    X, R = rng.random((1200, 3)), rng.random(1200)
    brute = _NearestHistory(3, None, 100)
    tree = _NearestHistory(3, None, 100)
    tree.TREE_FROM = 0  # this one builds its tree at the first flush
    for x, r in zip(X, R):
        brute.add(x, r)
        tree.add(x, r)
    assert brute.tree is None and tree.tree is not None
    for q in rng.random((200, 3)):
        assert brute.nearest_score(q) == tree.nearest_score(q)


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
    t.observe([0.1, 0.1], 0.2)  # nearest previous: (0.9, 0.1), score 0.0 -> ALP 0.2
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


def _alp_gmm_grid_mastery(options, seeds, episodes, check=None, **grid):
    """Mean mastered fraction of ``alp-gmm`` (``options``) on a ``GridLearner(**grid)`` over ``seeds``.

    ``check(teacher)``, when given, runs on each teacher after its episodes.
    """
    from pedagogy.sim.grid import GridLearner

    out = []
    for seed in range(seeds):
        learner = GridLearner(seed=seed, **grid)
        t = teachers.make("alp-gmm", learner.space, seed=seed, **options)
        _run(t, learner.practice, episodes)
        out.append(learner.evaluate()["mastered_fraction"])
        if check is not None:
            check(t)
    return np.mean(out)


def test_alp_recent_size_follows_a_moving_frontier_better():
    # A 5x5 grid whose cubes unlock one after another (the paper's toy
    # environment, smaller): ALP at two time scales (the default) masters more
    # of it than the paper's ALP alone over the same budget and seeds.
    def mastered(options):
        return _alp_gmm_grid_mastery(options, seeds=3, episodes=3000, cubes_per_dim=5)

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


def test_relevant_dimensions_finds_the_parameters_the_score_depends_on():
    from pedagogy.teachers.alp_gmm import relevant_dimensions

    rng = np.random.default_rng(6)
    XT = rng.random((6, 1500))
    noise = 0.3 * rng.random(1500)
    assert relevant_dimensions(XT, (XT[1] > 0.5) + noise, 0.01).tolist() == [1]
    assert relevant_dimensions(XT, XT[0] * XT[4] + noise, 0.01).tolist() == [0, 4]
    # Scores that depend on nothing, or too few tasks to tell: every dimension stays.
    assert relevant_dimensions(XT, noise, 0.01).tolist() == list(range(6))
    assert relevant_dimensions(XT[:, :100], (XT[1, :100] > 0.5) * 1.0, 0.01).tolist() == list(range(6))


def test_alp_gmm_leaves_irrelevant_parameters_out_and_masters_more():
    # The paper's 10x10 grid plus 8 task parameters that change nothing: the
    # mixture is fitted on the two that matter (the others are drawn
    # uniformly), which masters more of the grid over 12,000 episodes than
    # fitting all ten (relevance_alpha=None).
    def mastered(options):
        def check(t):
            report = t.report()
            assert report["fit_dims"] == ([0, 1] if options == {} else list(range(10)))
            assert len(report["components"][0]["mean"]) == 10

        return _alp_gmm_grid_mastery(options, seeds=2, episodes=12000, check=check, irrelevant_dims=8)

    assert mastered({}) > mastered({"relevance_alpha": None}) + 0.03


def test_alp_gmm_resumes_exactly_with_dimensions_left_out():
    from pedagogy.sim.grid import GridLearner

    learner = GridLearner(cubes_per_dim=5, irrelevant_dims=3, seed=0)
    t = teachers.make("alp-gmm", learner.space, seed=0)
    _run(t, learner.practice, 1200)
    assert len(t.report()["fit_dims"]) < 5
    twin = teachers.load(json.loads(json.dumps(t.state_dict())))
    for _ in range(600):
        a, b = t.propose(), twin.propose()
        assert np.array_equal(a, b)
        s = learner.practice(a)
        t.observe(a, s)
        twin.observe(b, s)
    assert t.state_dict() == twin.state_dict()
