"""Behaviour of the tutoring teachers ``zpdes`` and ``ability-matched``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pedagogy import spaces, teachers

CHAIN = spaces.SkillGraph({"a": [], "b": ["a"], "c": ["b"], "d": ["c"]})


def _state_size(t: teachers.Teacher) -> int:
    """Number of scalar values in the teacher's state (digits may change, the count must not grow)."""

    def count(x) -> int:
        if isinstance(x, dict):
            return sum(count(v) for v in x.values())
        if isinstance(x, list):
            return sum(count(v) for v in x)
        return 1

    state = t.state_dict()
    state.pop("pending")  # the base class's bounded record of outstanding proposals
    json.dumps(state, allow_nan=False)
    return count(state)


# ----------------------------------------------------------------- zpdes
class ChainStudent:
    """Knows a skill only after its prerequisite is mastered; each practice adds skill."""

    def __init__(self, graph: spaces.SkillGraph, rate: float = 0.15, seed: int = 0):
        self.g = graph
        self.p = {s: 0.0 for s in graph.skills}
        self.rate = rate
        self.rng = np.random.default_rng(seed)

    def answer(self, task) -> float:
        skills = self.g.skills_of(task)
        ok = all(self.p[q] > 0.8 for s in skills for q in self.g.prerequisites[s])
        correct = float(self.rng.random() < np.mean([self.p[s] for s in skills]))
        if ok:
            for s in skills:
                self.p[s] += self.rate * (1.0 - self.p[s])
        return correct


def _zpd(t) -> set[str]:
    return set(t.report()["zpd"])


def test_zpdes_starts_with_skills_without_prerequisites():
    g = spaces.SkillGraph({"a": [], "x": [], "b": ["a"], "c": ["a", "x"]})
    t = teachers.make("zpdes", g, seed=0)
    assert _zpd(t) == {"a", "x"}
    assert {t.propose() for _ in range(200)} == {"a", "x"}


def test_zpdes_respects_prerequisites_and_moves_the_zpd():
    t = teachers.make("zpdes", CHAIN, seed=1)
    student = ChainStudent(CHAIN, seed=1)
    thr = t.options["activation_threshold"]
    entered: dict[str, int] = {}
    left: dict[str, int] = {}
    for step in range(3000):
        before = t.report()
        task = t.propose()
        (skill,) = CHAIN.skills_of(task)
        if not before["reviewing"]:
            assert skill in before["zpd"], f"step {step}: proposed {skill} outside the ZPD {before['zpd']}"
        # Never a skill whose prerequisites are not known well enough.
        for pre in CHAIN.prerequisites[skill]:
            assert pre in before["mastered"] or np.mean(list(t._skill_hist[CHAIN.skill_index(pre)])) >= thr
        t.observe(task, student.answer(task))
        after = t.report()
        for s in set(after["zpd"]) - set(before["zpd"]):
            entered.setdefault(s, step)
        for s in set(after["mastered"]) - set(before["mastered"]):
            left.setdefault(s, step)
    # Every skill entered the ZPD in prerequisite order and left it once mastered.
    assert set(left) == {"a", "b", "c", "d"}
    assert entered["b"] < entered["c"] < entered["d"]
    for pre, s in (("a", "b"), ("b", "c"), ("c", "d")):
        assert left[pre] < left[s]
    # A mastered skill's success rate reached the threshold.
    for s in "abcd":
        assert np.mean(list(t._skill_hist[CHAIN.skill_index(s)])) >= t.options["activation_threshold"]


def test_zpdes_mastery_needs_a_full_window_above_threshold():
    t = teachers.make("zpdes", CHAIN, seed=0, success_window=5, mastery_threshold=0.8, activation_threshold=0.8)
    for _ in range(4):
        t.observe("a", 1.0)
    assert _zpd(t) == {"a"}  # four answers: window not full yet
    t.observe("a", 1.0)
    assert _zpd(t) == {"b"} and t.report()["mastered"] == ["a"]
    assert {t.propose() for _ in range(100)} == {"b"}
    for _ in range(5):
        t.observe("b", 0.5)
    assert _zpd(t) == {"b"}  # half right: not mastered


def test_zpdes_reviews_when_everything_is_mastered():
    t = teachers.make("zpdes", CHAIN, seed=0, success_window=2, review_skills=2)
    for s in "abcd":
        for _ in range(2):
            t.observe(s, 1.0)
    r = t.report()
    assert r["zpd"] == [] and r["reviewing"] and r["n_mastered"] == 4
    assert {t.propose() for _ in range(200)} == {"c", "d"}  # the two last mastered


def test_zpdes_items_are_activated_with_their_skills():
    g = spaces.SkillGraph(
        {"add": [], "mul": ["add"]},
        items={"q1": "add", "q2": "add", "q3": "mul", "q4": ["add", "mul"]},
    )
    t = teachers.make("zpdes", g, seed=0, success_window=4)
    assert {t.propose() for _ in range(200)} == {"q1", "q2"}
    for _ in range(4):
        t.observe("q1", 1.0)  # mastery is tracked per skill, from any of its items
    assert _zpd(t) == {"mul"}
    assert {t.propose() for _ in range(200)} == {"q3", "q4"}


def test_zpdes_bandit_prefers_progress():
    # Four skills without prerequisites; only "s0" improves with practice (the
    # score is the success probability, which ZPDES accepts), up to 0.85 < the
    # mastery threshold, so every skill stays in the ZPD.
    g = spaces.SkillGraph({f"s{i}": [] for i in range(4)})
    t = teachers.make("zpdes", g, seed=3)
    p = 0.0
    counts = {s: 0 for s in g.skills}
    for step in range(600):
        s = t.propose()
        counts[s] += 1
        if s == "s0":
            t.observe(s, p)
            p = min(0.85, p + 0.003)
        else:
            t.observe(s, 0.0)
        if step == 250:
            arms = {a["task"]: a for a in t.report()["arms"]}
            assert p < 0.85  # still learning
            assert arms["s0"]["probability"] > 0.6
            assert pytest.approx(sum(a["probability"] for a in arms.values())) == 1.0
            assert all(a["probability"] >= t.options["gamma"] / 4 - 1e-12 for a in arms.values())
    assert counts["s0"] > 2 * max(counts[s] for s in ("s1", "s2", "s3"))
    assert t.report()["zpd_size"] == 4


def test_zpdes_memory_is_bounded():
    g = spaces.SkillGraph({f"s{i}": [] for i in range(5)})
    t = teachers.make("zpdes", g, seed=0)
    rng = np.random.default_rng(0)
    for _ in range(500):
        x = t.propose()
        t.observe(x, float(rng.random() < 0.3))
    size = _state_size(t)
    for _ in range(5000):
        x = t.propose()
        t.observe(x, float(rng.random() < 0.3))
    assert _state_size(t) <= size + len(g.skills)  # at most the list of mastered skills grows, up to the graph


@pytest.mark.parametrize(
    "opts",
    [
        {"gamma": 1.0},
        {"gamma": -0.1},
        {"beta": 1.5},
        {"eta": 0},
        {"window": 5},
        {"window": 0},
        {"success_window": 0},
        {"mastery_threshold": 0.0},
        {"activation_threshold": 0.95, "mastery_threshold": 0.9},
        {"initial_weight": -1},
        {"review_skills": 0},
        {"window": True},
    ],
)
def test_zpdes_bad_options(opts):
    with pytest.raises(ValueError, match="zpdes"):
        teachers.make("zpdes", CHAIN, **opts)


def test_zpdes_rejects_scores_outside_unit_interval_and_non_graphs():
    t = teachers.make("zpdes", CHAIN, seed=0)
    with pytest.raises(ValueError, match="zpdes.*\\[0, 1\\]"):
        t.observe("a", 1.5)
    with pytest.raises(ValueError, match="zpdes"):
        teachers.make("zpdes", spaces.Discrete(["a", "b"]))


# ------------------------------------------------------- ability-matched
def _rasch(theta: float, b: float) -> float:
    return 1.0 / (1.0 + np.exp(-(theta - b)))


def test_ability_rises_with_correct_answers_and_falls_with_wrong_ones():
    space = spaces.Discrete(10, difficulty=np.linspace(-2, 2, 10))
    t = teachers.make("ability-matched", space, seed=0)
    thetas = [t.theta]
    for _ in range(30):
        x = t.propose()
        t.observe(x, 1.0)
        thetas.append(t.theta)
    assert thetas[-1] > 1.5 and all(b >= a - 1e-12 for a, b in zip(thetas, thetas[1:]))
    for _ in range(150):
        x = t.propose()
        t.observe(x, 0.0)
    assert t.theta < -1.5


@pytest.mark.parametrize("true_theta", [-1.0, 0.5, 2.0])
def test_ability_estimate_tracks_the_learner_and_selection_follows(true_theta):
    b = np.linspace(-3, 3, 61)
    t = teachers.make("ability-matched", spaces.Discrete(61, difficulty=b), seed=1)
    rng = np.random.default_rng(2)
    proposed = []
    for _ in range(1500):
        x = t.propose()
        proposed.append(b[x])
        t.observe(x, float(rng.random() < _rasch(true_theta, b[x])))
    r = t.report()
    assert abs(r["theta"] - true_theta) < 3 * r["theta_se"] + 0.2
    # Proposals are tasks no harder than the ability estimate (the DDS-MAE rule).
    late = np.array(proposed[-300:])
    assert late.max() <= true_theta + 0.8
    assert late.min() == pytest.approx(-3.0)  # uniform over the eligible prefix reaches the easiest
    assert r["eligible"] == int(np.sum(b <= r["theta"]))


def test_eligible_set_never_empty():
    b = [1.0, 2.0, 2.0, 3.0]
    t = teachers.make("ability-matched", spaces.Discrete(["w", "x", "y", "z"], difficulty=b), seed=0, min_eligible=2)
    for _ in range(50):
        t.observe("w", 0.0)  # ability far below every task
    assert t.theta < 0
    assert {t.propose() for _ in range(300)} == {"w", "x", "y"}  # the two easiest, ties included
    assert t.report()["eligible"] == 3


@pytest.mark.parametrize("n", [30, 5000])  # sorted bookkeeping and rejection sampling
def test_difficulties_estimated_when_not_given(n):
    true_b = np.linspace(-2, 2, n)
    t = teachers.make("ability-matched", spaces.Discrete(n), seed=0, margin=10.0)  # margin: practise everything
    rng = np.random.default_rng(0)
    for _ in range(max(3000, 2 * n)):
        x = t.propose()
        t.observe(x, float(rng.random() < _rasch(0.0, true_b[x])))
    est = t.difficulty
    seen = np.asarray(t._count) > 0
    assert np.corrcoef(est[seen], true_b[seen])[0, 1] > 0.6
    hard, easy = true_b > 1, true_b < -1
    assert est[hard & seen].mean() > est[easy & seen].mean() + 0.5
    r = t.report()
    assert r["difficulty_estimated"] is True
    json.dumps(r, allow_nan=False)


def test_estimated_difficulties_drive_selection():
    # Tasks 0-9 are easy for the learner, 10-19 impossible.
    t = teachers.make("ability-matched", spaces.Discrete(20), seed=4)
    rng = np.random.default_rng(4)
    seen = []
    for _ in range(1500):
        x = t.propose()
        seen.append(x)
        t.observe(x, float(rng.random() < (0.9 if x < 10 else 0.05)))
    late = np.array(seen[-500:])
    assert np.mean(late < 10) > 0.8
    assert min(t.difficulty[10:]) > max(t.difficulty[:10])


def test_ability_matched_memory_is_bounded():
    t = teachers.make("ability-matched", spaces.Discrete(50), seed=0, window=20)
    rng = np.random.default_rng(0)
    for _ in range(300):
        x = t.propose()
        t.observe(x, float(rng.random() < 0.5))
    size = _state_size(t)
    for _ in range(5000):
        x = t.propose()
        t.observe(x, float(rng.random() < 0.5))
    assert _state_size(t) == size  # window and per-task arrays are fixed


def test_ability_matched_skill_graph_and_batches():
    g = spaces.SkillGraph({"a": [], "b": ["a"]}, difficulty=[-1.0, 1.0])
    t = teachers.make("ability-matched", g, seed=0)
    tasks = t.propose(8)
    assert set(tasks) <= {"a", "b"}
    t.observe(tasks, [1.0] * 8)  # accuracy of a batch is accepted too
    assert t.theta > 0


@pytest.mark.parametrize(
    "opts",
    [
        {"prior_sd": 0},
        {"window": 0},
        {"newton_steps": 0},
        {"refit_every": 1.5},
        {"margin": float("nan")},
        {"margin": "x"},
        {"min_eligible": 0},
        {"min_eligible": 11},
        {"difficulty_lr": -1},
        {"difficulty_decay": -0.1},
    ],
)
def test_ability_matched_bad_options(opts):
    with pytest.raises(ValueError, match="ability-matched"):
        teachers.make("ability-matched", spaces.Discrete(10), **opts)


def test_ability_matched_rejects_bad_scores_and_boxes():
    t = teachers.make("ability-matched", spaces.Discrete(3), seed=0)
    with pytest.raises(ValueError, match="ability-matched.*\\[0, 1\\]"):
        t.observe(0, -0.1)
    with pytest.raises(ValueError, match="ability-matched"):
        teachers.make("ability-matched", spaces.Box([0], [1]))


def test_zpdes_reviews_mastered_skills_when_the_zpd_stalls():
    graph = spaces.SkillGraph({"known": [], "stuck": []})

    def run(share: float) -> list[str]:
        t = teachers.make("zpdes", graph, seed=0, review_when_stalled=share)
        seen = []
        for _ in range(600):  # "known" is always right (mastered early), "stuck" always wrong
            x = t.propose()
            t.observe(x, 1.0 if x == "known" else 0.0)
            seen.append(x)
        return seen[-300:]

    late_with_review = run(0.5)
    late_paper = run(0.0)
    assert late_paper.count("known") == 0  # the paper's rule: mastered skills never come back
    assert 0.3 < late_with_review.count("known") / 300 < 0.7  # about half the proposals review


def test_zpdes_progress_reward_is_clipped_at_zero():
    """As in the reference (kidlearn's ZpdesSsb): falling success is no reward, so weights stay >= 0."""
    t = teachers.make("zpdes", spaces.SkillGraph({"a": [], "b": []}), seed=0, beta=0.5, eta=1.0, initial_weight=0.3)
    for _ in range(10):
        t.observe("a", 1.0)
    for _ in range(30):
        t.observe("a", 0.0)  # success collapses: r < 0 at every step
    w = dict(zip(t.space.tasks, t.state_dict()["state"]["weights"]))
    assert 0.0 <= w["a"] < 1e-6  # decayed towards 0, never below it
