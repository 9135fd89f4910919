"""Behaviour of the discrete teachers: sequential, lp, tscl, plr, dump, sec."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pedagogy import spaces, teachers

D10 = spaces.Discrete([f"t{i}" for i in range(10)])


def _size(t: teachers.Teacher) -> int:
    return len(json.dumps(t.state_dict()))


# ----------------------------------------------------------------- sequential
def test_sequential_advances_only_after_threshold():
    t = teachers.make("sequential", D10, seed=0, curriculum=["t0", ["t1", "t2"], "t3"], threshold=0.8, window=5)
    for _ in range(50):  # below threshold: stays on stage 0
        x = t.propose()
        assert x == "t0"
        t.observe(x, 0.5)
    assert t.report()["stage"] == 0
    for _ in range(2):
        t.observe("t0", 1.0)
    assert t.report()["stage"] == 0  # window mean (3 * 0.5 + 2) / 5 = 0.7 < 0.8
    t.observe("t0", 1.0)  # (2 * 0.5 + 3) / 5 = 0.8: advance
    assert t.report()["stage"] == 1
    assert set(t.propose(50)) == {"t1", "t2"}
    t.observe(["t9"] * 10, [1.0] * 10)  # scores outside the stage do not count
    assert t.report()["stage"] == 1 and t.report()["window_fill"] == 0


def test_sequential_defaults_and_validation():
    graph = spaces.SkillGraph({"b": ["a"], "a": [], "c": ["b"]}, items={"i1": "c", "i2": "a", "i3": ["a", "b"]})
    t = teachers.make("sequential", graph, seed=0, window=1, threshold=0.5)
    assert set(t.propose(20)) == {"i2"}  # skill a first
    t.observe("i2", 1.0)
    assert set(t.propose(20)) == {"i3"}  # i3 needs b, learnt after a
    diff = spaces.Discrete(["x", "y", "z"], difficulty=[2.0, 1.0, 2.0])
    t = teachers.make("sequential", diff, seed=0)
    assert set(t.propose(20)) == {"y"}
    box = spaces.Box([0.0, 0.0], [1.0, 2.0])
    t = teachers.make("sequential", box, seed=0)
    xs = np.array(t.propose(100))
    assert xs[:, 0].max() <= 0.2 and xs[:, 1].max() > 1.0  # first slice of the first dimension
    t = teachers.make("sequential", box, seed=0, curriculum=[[[0, 0], [0.5, 0.5]], [[0.5, 0.5], [1, 2]]])
    assert np.array(t.propose(50)).max() <= 0.5
    with pytest.raises(ValueError, match="sequential.*not in the space"):
        teachers.make("sequential", D10, curriculum=["t0", "nope"])
    with pytest.raises(ValueError, match="sequential.*not inside"):
        teachers.make("sequential", box, curriculum=[[[0, 0], [2, 2]]])
    with pytest.raises(ValueError, match="sequential.*sub-box"):
        teachers.make("sequential", box, curriculum=[[0, 1]])
    with pytest.raises(ValueError, match="sequential.*window"):
        teachers.make("sequential", D10, window=0)


# ------------------------------------------------------------------------- lp
def test_lp_probability_rises_for_climbing_task():
    t = teachers.make("lp", D10, seed=0)
    for _ in range(20):  # every task seen, never succeeding: no progress anywhere, uniform
        for k in range(10):
            t.observe(f"t{k}", 0.0)
    p0 = t.probabilities()[3]
    assert p0 == pytest.approx(0.1)
    for step in range(30):  # task t3 starts succeeding more and more
        t.observe("t3", 0.02 * step)
        t.observe(["t0", "t1", "t2"], [0.0, 0.0, 0.0])
    p = t.probabilities()
    assert p[3] > 0.5 and p[3] == p.max()
    with pytest.raises(ValueError, match="lp.*\\[0, 1\\]"):
        t.observe("t0", 1.5)


# ----------------------------------------------------------------------- tscl
def test_tscl_window_prefers_slope_and_exp3_rejects_unproposed():
    t = teachers.make("tscl", D10, seed=0, epsilon=0.0)
    for step in range(30):  # t5 climbs, others flat
        for k in range(10):
            t.observe(f"t{k}", 0.02 * step if k == 5 else 0.3)
    assert t.propose(20) == ["t5"] * 20
    t = teachers.make("tscl", D10, seed=0, algorithm="thompson")
    for step in range(30):
        for k in range(10):
            t.observe(f"t{k}", 0.03 * step if k == 7 else 0.3)
    assert t.propose(10) == ["t7"] * 10
    t = teachers.make("tscl", D10, seed=0, algorithm="exp3")
    x = t.propose()
    other = next(n for n in D10.tasks if n != x)
    with pytest.raises(ValueError, match="not proposed"):
        t.observe(other, 0.5)
    t.observe(x, 0.5)
    with pytest.raises(ValueError, match="not proposed"):
        t.observe(x, 0.5)
    with pytest.raises(ValueError, match="tscl.*algorithm"):
        teachers.make("tscl", D10, algorithm="ucb")


def test_tscl_exp3_learns():
    t = teachers.make("tscl", D10, seed=1, algorithm="exp3", exp3_gamma=0.1)
    s = {n: 0.0 for n in D10.tasks}
    for _ in range(3000):
        x = t.propose()
        if x == "t2":  # a task whose score keeps changing
            s[x] = 1.0 - s[x]
        t.observe(x, s[x])
    assert t.probabilities()[2] > 0.5


# ------------------------------------------------------------------------ plr
def test_plr_large_space_bounded_and_replays_high_scores():
    space = spaces.Discrete(100_000)
    t = teachers.make("plr", space, seed=0, buffer_size=200)
    good = set(range(0, 100_000, 100))  # 1 % of the levels have learning potential
    counts: dict[int, int] = {}
    for _ in range(3000):
        x = t.propose()
        counts[x] = counts.get(x, 0) + 1
        t.observe(x, 1.0 if x in good else 0.01 * (x % 7))
    st = t.state_dict()["state"]
    assert len(st["levels"]) <= 200 and t.report()["levels_seen"] <= 200
    # the buffer is full, and replays stop at replay_prob: half the episodes still explore new levels
    assert t.report()["replay_decision_probability"] == 0.5
    replays_good = sum(c for lv, c in counts.items() if lv in good)
    assert replays_good > 0.3 * 3000  # 1 % of the levels get > 30 % of the episodes
    top = t.report()["top"][0]
    assert top["score"] == 1.0 and top["task"] in good


def test_plr_keeps_proposing_new_levels_after_the_buffer_fills():
    t = teachers.make("plr", spaces.Discrete(100_000), seed=0, buffer_size=200)
    seen: set[int] = set()
    for _ in range(400):  # fill the buffer
        x = t.propose()
        seen.add(x)
        t.observe(x, 0.5)
    assert t.report()["levels_seen"] == 200
    new = 0
    for _ in range(1000):
        x = t.propose()
        new += x not in seen
        seen.add(x)
        t.observe(x, 0.5)
    assert 400 <= new <= 600  # about replay_prob = 0.5 of the proposals are new levels


def test_plr_new_level_with_higher_score_evicts_the_lowest():
    t = teachers.make("plr", spaces.Discrete(100_000), seed=0, buffer_size=3)
    for lv, score in [(10, 0.3), (20, 0.1), (30, 0.2)]:
        t.observe(lv, score)
    assert sorted(t.state_dict()["state"]["levels"]) == [10, 20, 30]
    t.observe(40, 0.05)  # lower than every stored level: forgotten
    assert sorted(t.state_dict()["state"]["levels"]) == [10, 20, 30]
    t.observe(50, 0.9)  # higher: replaces the lowest-scoring level (20)
    assert sorted(t.state_dict()["state"]["levels"]) == [10, 30, 50]
    assert t.report()["top"][0] == {**t.report()["top"][0], "task": 50, "score": 0.9}


def test_plr_proportionate_schedule_is_seen_over_all_levels_on_a_small_space():
    t = teachers.make("plr", spaces.Discrete(10), seed=0)
    for lv in range(4):
        t.observe(lv, 0.5)
    assert t.report()["replay_decision_probability"] == pytest.approx(0.4)


def test_plr_state_stops_growing_and_resumes():
    t = teachers.make("plr", spaces.Discrete(100_000), seed=0, buffer_size=100)
    rng = np.random.default_rng(0)
    sizes = []
    for _ in range(4):
        for _ in range(1000):
            x = t.propose()
            t.observe(x, float(rng.random()))
        sizes.append(_size(t))
    assert sizes[-1] <= sizes[1] * 1.05
    r = teachers.load(json.loads(json.dumps(t.state_dict())))
    assert r.propose(50) == t.propose(50)
    with pytest.raises(ValueError, match="plr.*buffer_size"):
        teachers.make("plr", space=spaces.Discrete(5), buffer_size=0)


# ----------------------------------------------------------------------- dump
def test_dump_rejects_negative_and_prefers_high_advantage():
    t = teachers.make("dump", D10, seed=0)
    before = json.dumps(t.state_dict())
    with pytest.raises(ValueError, match="dump.*>= 0"):
        t.observe(["t0", "t1"], [0.5, -0.1])
    assert json.dumps(t.state_dict()) == before
    for _ in range(100):
        batch = t.propose(16)
        t.observe(batch, [0.9 if x == "t4" else 0.1 for x in batch])
    p = np.array([r["probability"] for r in t.report()["top"]])
    assert t.report()["top"][0]["task"] == "t4" and p[0] > 0.5
    # bounded window
    t = teachers.make("dump", D10, seed=0, window=5)
    for _ in range(200):
        t.observe("t0", 0.5)
    assert len(t.state_dict()["state"]["windows"][0]) == 5


# ------------------------------------------------------------------------ sec
def test_sec_td0_update_per_call():
    t = teachers.make("sec", D10, seed=0, alpha=0.5)
    t.observe(["t1", "t1", "t2"], [0.2, 0.6, 1.0])  # one step: r(t1) = 0.4, r(t2) = 1.0
    assert t._q[1] == pytest.approx(0.2) and t._q[2] == pytest.approx(0.5)
    t.observe("t1", 1.0)
    assert t._q[1] == pytest.approx(0.5 * 1.0 + 0.5 * 0.2)
    p = t.probabilities()
    assert p[1] == pytest.approx(np.exp(0.6 / 0.2) / (np.exp(0.6 / 0.2) + np.exp(0.5 / 0.2) + 8))
    with pytest.raises(ValueError, match="sec.*>= 0"):
        t.observe("t1", -1.0)
    with pytest.raises(ValueError, match="sec.*alpha"):
        teachers.make("sec", D10, alpha=0.0)


@pytest.mark.parametrize(
    "name,opts",
    [
        ("sequential", {}),
        ("lp", {}),
        ("tscl", {}),
        ("tscl", {"algorithm": "thompson"}),
        ("tscl", {"algorithm": "exp3"}),
        ("dump", {"window": 50}),
        ("sec", {}),
    ],
)
def test_state_size_bounded(name, opts):
    t = teachers.make(name, D10, seed=0, **opts)
    rng = np.random.default_rng(0)
    sizes = []
    for _ in range(3):
        for _ in range(1500):
            x = t.propose()
            t.observe(x, float(rng.random()))
        sizes.append(_size(t))
    assert sizes[2] <= sizes[1] * 1.05 + 200
