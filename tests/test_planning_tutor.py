"""``planning-mastery``: expected-gain tutoring on a BKT posterior with forgetting and per-learner rates."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from pedagogy import spaces, teachers
from pedagogy.teachers import checks

CHAIN4 = spaces.SkillGraph({"a": [], "b": ["a"], "c": ["b"], "d": ["c"]})


class BKTStudent:
    """A small BKT student: gated learning, guess/slip, optional exponential forgetting (half-life in answers)."""

    def __init__(self, graph, seed, learn=0.2, guess=0.2, slip=0.1, known=(), half_life=math.inf):
        self.graph, self.rng = graph, np.random.default_rng(seed)
        self.learn, self.guess, self.slip, self.half_life = learn, guess, slip, half_life
        self.known = {s: s in known for s in graph.skills}
        self.answers = 0

    def practice(self, skill):
        if self.half_life < math.inf:
            for s in self.known:  # forgetting: a known skill is lost at a constant hazard per answer
                if self.known[s] and self.rng.random() < 1 - 2 ** (-1 / self.half_life):
                    self.known[s] = False
        right = self.rng.random() < (1 - self.slip if self.known[skill] else self.guess)
        if not self.known[skill] and all(self.known[p] for p in self.graph.prerequisites[skill]):
            self.known[skill] = bool(self.rng.random() < self.learn)
        self.answers += 1
        return 1.0 if right else 0.0

    def all_known(self):
        return all(self.known.values())


def answers_to_mastery(make_task, student, budget=2000):
    """Answers until the student knows every skill (``make_task(i)`` gives the i-th task)."""
    for i in range(budget):
        make_task(i, student)
        if student.all_known():
            return i + 1
    return budget


def test_contract_resume_and_bad_input():
    checks.check_teacher("planning-mastery", CHAIN4)
    checks.check_teacher("planning-mastery", spaces.Discrete(["x", "y", "z"]))
    graph = spaces.SkillGraph({"a": [], "b": ["a"]}, items={"i1": ["a"], "i2": ["a", "b"], "i3": ["b"]})
    checks.check_teacher("planning-mastery", graph)


def test_bad_options_name_the_problem():
    with pytest.raises(ValueError, match="half_lives"):
        teachers.make("planning-mastery", CHAIN4, half_lives=[-1.0])
    with pytest.raises(ValueError, match="unknown skill 'zz'"):
        teachers.make("planning-mastery", CHAIN4, params={"zz": {"learn": 0.2}})
    with pytest.raises(ValueError, match="guess"):
        teachers.make("planning-mastery", CHAIN4, guess=0.6, slip=0.6)
    with pytest.raises(ValueError, match="not both"):
        teachers.make("planning-mastery", CHAIN4, model={"learn": 0.2}, learn=0.3)


def test_model_dict_sets_the_population():
    t = teachers.make("planning-mastery", CHAIN4, model={"prior": 0.9, "learn": 0.3, "guess": 0.1, "slip": 0.05, "forget": 0.0})
    assert t.options["learn"] == 0.3 and t.options["prior"] == 0.9
    assert t.report()["skills"][0]["p_known"] == pytest.approx(0.9)


def test_resume_mid_run_gives_the_same_proposals():
    t = teachers.make("planning-mastery", CHAIN4, seed=3)
    student = BKTStudent(CHAIN4, seed=3)
    for _ in range(40):
        x = t.propose()
        t.observe(x, student.practice(x))
    u = teachers.load(json.loads(json.dumps(t.state_dict())))
    for _ in range(40):
        x, y = t.propose(), u.propose()
        assert x == y
        score = student.practice(x)
        t.observe(x, score)
        u.observe(y, score)
    assert t.state_dict() == u.state_dict()


def test_masters_a_chain_in_fewer_answers_than_round_robin():
    def planned(seed):
        t = teachers.make("planning-mastery", CHAIN4, seed=seed)

        def step(i, student):
            x = t.propose()
            t.observe(x, student.practice(x))

        return answers_to_mastery(step, BKTStudent(CHAIN4, seed))

    def round_robin(seed):
        return answers_to_mastery(lambda i, student: student.practice(CHAIN4.skills[i % 4]), BKTStudent(CHAIN4, seed))

    ours = [planned(s) for s in range(20)]
    fixed = [round_robin(s) for s in range(20)]
    assert max(ours) < 2000  # every student gets there
    assert np.median(ours) < 0.8 * np.median(fixed)


def test_stops_practising_a_mastered_skill():
    graph = spaces.SkillGraph({"a": [], "b": [], "c": []})
    t = teachers.make("planning-mastery", graph, seed=0, forgetting="none")
    seen = []
    for _ in range(12):  # a and c are learned at their first practice, b at its 8th
        x = t.propose()
        seen.append(x)
        t.observe(x, 1.0 if x != "b" or seen.count("b") >= 8 else 0.0)
    for _ in range(3):
        t.observe(t.propose(), 1.0)
    rows = {r["skill"]: r for r in t.report()["skills"]}
    assert rows["a"]["mastered"] or rows["c"]["mastered"]
    first_b = seen.index("b")
    # while b is being learned, the skills already answered right get at most a check each
    assert seen[first_b:].count("a") + seen[first_b:].count("c") <= 2
    assert seen.count("b") >= 8


def test_an_unlearnable_skill_does_not_capture_the_student():
    graph = spaces.SkillGraph({"x": [], "a": [], "c": []})
    t = teachers.make("planning-mastery", graph, seed=0)
    seen = []
    for _ in range(150):  # x is label noise (always wrong); a is known; c is learned at its 40th practice
        task = t.propose()
        seen.append(task)
        t.observe(task, 1.0 if task == "a" or (task == "c" and seen.count("c") >= 40) else 0.0)
    rows = {r["skill"]: r for r in t.report()["skills"]}
    assert rows["x"]["learnable"] < 0.2 < 0.9 < rows["a"]["learnable"]
    assert seen.count("c") >= 40  # c got its practice: x did not take the turns
    c_learned = [i for i, task in enumerate(seen) if task == "c"][39]
    assert c_learned < 100


def test_returns_to_a_forgotten_prerequisite():
    graph = spaces.SkillGraph({"a": [], "b": ["a"]})
    t = teachers.make("planning-mastery", graph, seed=0)
    for _ in range(40):  # a student who knows both
        x = t.propose()
        t.observe(x, 1.0)
    assert t.report()["mastered"] == 2
    seen = []
    for _ in range(25):  # then forgets a: every answer is wrong
        x = t.propose()
        seen.append(x)
        t.observe(x, 0.0)
    assert "a" in seen[:15]
    assert seen[-10:].count("a") >= 5  # drills the prerequisite again


def _rates_after(student, t, n=400):
    for _ in range(n):
        x = t.propose()
        t.observe(x, student.practice(x))
    return t.rates()


def test_learning_rate_moves_toward_the_learner():
    graph = spaces.SkillGraph({f"s{i}": [] for i in range(8)})
    fast, slow = [], []
    for seed in range(4):
        opts = {"forgetting": "none", "prior": 0.2}
        fast.append(_rates_after(BKTStudent(graph, seed, learn=0.5), teachers.make("planning-mastery", graph, seed=seed, **opts))["learn"])
        slow.append(_rates_after(BKTStudent(graph, seed, learn=0.03), teachers.make("planning-mastery", graph, seed=seed, **opts))["learn"])
    assert np.mean(fast) > 0.2 > 0.1 > 0.06 > np.mean(slow)


def test_forgetting_posterior_moves_toward_the_learner():
    graph = spaces.SkillGraph({f"s{i}": [] for i in range(6)})
    keeps, forgets = [], []
    for seed in range(4):
        keeps.append(_rates_after(BKTStudent(graph, seed, learn=0.3), teachers.make("planning-mastery", graph, seed=seed))["p_forgets"])
        student = BKTStudent(graph, seed, learn=0.3, half_life=25.0)
        forgets.append(_rates_after(student, teachers.make("planning-mastery", graph, seed=seed))["p_forgets"])
    assert np.mean(keeps) < 0.25
    assert np.mean(forgets) > 0.75
