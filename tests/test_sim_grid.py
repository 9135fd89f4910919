"""GridLearner dynamics, options and the grid scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from pedagogy import sim
from pedagogy.sim.grid import GridLearner
from pedagogy.spaces import Box


def centre(i: int, j: int, n: int = 10) -> np.ndarray:
    """Centre of box bin (i, j)."""
    return np.array([(i + 0.5) / n, (j + 0.5) / n])


def test_start_cube_learns_and_locked_cube_does_not():
    g = GridLearner()
    assert g.practice(centre(0, 0)) == pytest.approx(0.01)
    for _ in range(200):
        assert g.practice(centre(5, 5)) == 0.0  # locked: never improves
    assert g.competence()[5, 5] == 0.0


def test_unlocking_proceeds_from_the_corner():
    g = GridLearner()
    for _ in range(74):
        g.practice(centre(0, 0))
    assert g.practice(centre(1, 0)) == 0.0  # (0,0) at 74 < 75: (1,0) still locked
    g.practice(centre(0, 0))  # reaches 75: mastered
    assert g.evaluate()["mastered_fraction"] == pytest.approx(0.01)
    for cube in [(1, 0), (0, 1), (1, 1)]:  # every next neighbour, diagonal included
        assert g.practice(centre(*cube)) == pytest.approx(0.01)
    assert g.practice(centre(2, 0)) == 0.0  # two steps away: still locked
    assert g.practice(centre(2, 2)) == 0.0


def test_competence_is_capped_and_score_is_normalised():
    g = GridLearner(increment=7.0)
    scores = [g.practice(centre(0, 0)) for _ in range(30)]
    assert max(scores) == 1.0
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert np.all(np.diff(scores) >= 0)


def test_perfect_curriculum_masters_everything():
    g = GridLearner()
    for i in range(10):
        for j in range(10):
            for _ in range(75):
                g.practice(centre(i, j))
    ev = g.evaluate()
    assert ev["mastered_fraction"] == 1.0 and ev["unlocked_fraction"] == 1.0


def test_unlearnable_cubes_never_improve_and_unlock_nothing():
    g = GridLearner(unlearnable_fraction=0.8)
    assert g.n_learnable == 20
    grid_learnable = g._learnable_arr.reshape(10, 10, order="F")
    assert grid_learnable[0, 0] and not grid_learnable[9, 9]
    # Master every learnable cube in order of distance from the corner.
    for s in range(19):
        for i in range(10):
            j = s - i
            if 0 <= j < 10 and grid_learnable[i, j]:
                for _ in range(75):
                    g.practice(centre(i, j))
    ev = g.evaluate()
    assert ev["mastered_learnable_fraction"] == 1.0
    assert ev["mastered_fraction"] == pytest.approx(0.2)
    for _ in range(100):
        assert g.practice(centre(9, 9)) == 0.0
    # an unlearnable cube next to mastered ones stays at zero
    i, j = np.argwhere(~grid_learnable)[0]
    assert g.practice(centre(i, j)) == 0.0


def test_trivial_cubes_are_mastered_in_one_episode():
    g = GridLearner(trivial_fraction=0.8)
    assert g.practice(centre(3, 3)) == 1.0  # trivial and always unlocked
    assert g.practice(centre(9, 9)) == 0.0  # hard corner, locked


def test_forgetting_reduces_competence():
    g = GridLearner(forgetting=0.5)
    for _ in range(80):
        g.practice(centre(0, 0))
    before = g.competence()[0, 0]
    for _ in range(20):
        g.practice(centre(9, 9))  # elsewhere (locked): (0,0) is not practised
    after = g.competence()[0, 0]
    assert after == pytest.approx(before - 20 * 0.5 / 100)
    # forgotten below the threshold: the neighbour locks again
    assert g.evaluate()["mastered_fraction"] == 0.0
    assert g.practice(centre(1, 0)) == 0.0
    for _ in range(1000):
        g.practice(centre(9, 9))
    assert g.competence()[0, 0] == 0.0  # floored at zero


def test_irrelevant_dimensions_do_not_matter():
    g = GridLearner(irrelevant_dims=8)
    assert g.space.ndim == 10
    rng = np.random.default_rng(0)
    for _ in range(75):
        x = np.concatenate([centre(0, 0), rng.random(8)])
        g.practice(x)
    assert g.evaluate()["mastered_fraction"] == pytest.approx(0.01)


def test_rugged_layout_is_not_monotone_and_reproducible():
    a = GridLearner(difficulty="rugged", seed=3)
    b = GridLearner(difficulty="rugged", seed=3)
    assert a._perm == b._perm
    assert any(p != list(range(10)) for p in a._perm)
    assert len(set(a._gain)) > 50  # per-cube learning rates
    # the start cube is where the permutation sends logical 0, not necessarily bin (0, 0)
    start = tuple(p.index(0) for p in a._perm)
    assert a.practice(centre(*start)) > 0.0


def test_noise_and_reproducibility():
    rng = np.random.default_rng(1)
    tasks = rng.random((500, 2))
    a, b = GridLearner(noise=0.1, seed=5), GridLearner(noise=0.1, seed=5)
    sa = [a.practice(x) for x in tasks]
    sb = [b.practice(x) for x in tasks]
    assert sa == sb and a.evaluate() == b.evaluate()
    c = GridLearner(noise=0.1, seed=6)
    assert [c.practice(x) for x in tasks] != sa
    assert all(0.0 <= s <= 1.0 for s in sa)
    assert np.std(sa) > 0.03  # noise is there even where competence is 0


def test_out_of_box_task_raises():
    g = GridLearner()
    with pytest.raises(ValueError, match="outside"):
        g.practice(np.array([1.2, 0.5]))
    with pytest.raises(ValueError, match="outside"):
        g.practice(np.array([np.nan, 0.5]))
    with pytest.raises(ValueError, match="2 parameters"):
        g.practice(np.array([0.5, 0.5, 0.5]))
    assert g.episodes == 0


@pytest.mark.parametrize(
    "options, message",
    [
        ({"dims": 0}, "dims"),
        ({"cubes_per_dim": 2.5}, "cubes_per_dim"),
        ({"unlearnable_fraction": 1.0}, "no learnable cube"),
        ({"unlearnable_fraction": -0.1}, "unlearnable_fraction"),
        ({"unlearnable_fraction": 0.6, "trivial_fraction": 0.6}, "more than 1"),
        ({"noise": -1}, "noise"),
        ({"forgetting": float("nan")}, "forgetting"),
        ({"threshold": 150}, "threshold"),
        ({"increment": 0}, "increment"),
        ({"difficulty": "hard"}, "difficulty"),
        ({"dims": 7}, "cubes"),
    ],
)
def test_bad_options_raise(options, message):
    with pytest.raises(ValueError, match=message):
        GridLearner(**options)


GRID_SCENARIOS = ["grid-2d", "mostly-unlearnable", "mostly-trivial", "rugged", "high-dim", "forgetting", "slow-learner", "fast-learner"]


@pytest.mark.parametrize("name", GRID_SCENARIOS)
def test_grid_scenarios(name):
    sc = sim.get_scenario(name)
    assert 0 < sc.budget_quick <= sc.budget_full
    a, b = sim.make(name, seed=1), sim.make(name, seed=1)
    assert isinstance(a.space, Box) and np.all(a.space.low == 0) and np.all(a.space.high == 1)
    rng = np.random.default_rng(0)
    tasks = a.space.sample(rng, 300)
    sa = [a.practice(x) for x in tasks]
    assert sa == [b.practice(x) for x in tasks]
    ev = a.evaluate()
    assert ev == b.evaluate()
    assert sc.metric in ev
    for key in ("mastered_fraction", "mastered_learnable_fraction", "mean_competence", "unlocked_fraction"):
        assert 0.0 <= ev[key] <= 1.0


def test_scenario_specifics():
    assert sim.make("mostly-unlearnable").n_learnable <= 20
    assert sim.make("high-dim").space.ndim == 10
    assert sim.make("slow-learner").increment < 1 < sim.make("fast-learner").increment
    assert sim.make("forgetting").forgetting > 0
