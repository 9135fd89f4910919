"""``mastery``: BKT mastery learning with prerequisite gating and remediation."""

from __future__ import annotations

import pytest

from pedagogy import spaces, teachers

CHAIN = spaces.SkillGraph({"a": [], "b": ["a"], "c": ["b"]})


def test_posterior_update_by_hand():
    t = teachers.make("mastery", CHAIN, seed=0, prior=0.5, learn=0.1, guess=0.2, slip=0.1)
    t.observe("a", 1.0)
    post = 0.5 * 0.9 / (0.5 * 0.9 + 0.5 * 0.2)
    expected = post + (1 - post) * 0.1
    assert t.report()["skills"][0]["p_known"] == pytest.approx(expected, abs=1e-4)
    t.observe("a", 0.0)
    post2 = expected * 0.1 / (expected * 0.1 + (1 - expected) * 0.8)
    assert t.state_dict()["state"]["p_known"][0] == pytest.approx(post2 + (1 - post2) * 0.1)


def test_drills_in_prerequisite_order_and_moves_on():
    t = teachers.make("mastery", CHAIN, seed=0)
    assert t.propose() == "a"
    proposals = []
    for _ in range(30):  # a perfect student
        x = t.propose()
        proposals.append(x)
        t.observe(x, 1.0)
    first = {s: proposals.index(s) for s in "abc"}
    assert first["a"] < first["b"] < first["c"]
    assert t.report()["mastered"] == 3


def test_never_proposes_skill_with_unmastered_prerequisite():
    t = teachers.make("mastery", CHAIN, seed=0)
    for _ in range(200):  # a student who never answers right: nothing is ever mastered
        x = t.propose()
        assert x == "a"
        t.observe(x, 0.0)


def test_wheel_spinning_remediates_prerequisites_then_moves_on():
    graph = spaces.SkillGraph({"a": [], "b": ["a"], "x": []})
    t = teachers.make("mastery", graph, seed=0, max_attempts=5, max_remediations=1)
    seen = []
    for _ in range(80):  # knows a and x, can never do b
        task = t.propose()
        seen.append(task)
        t.observe(task, 0.0 if task == "b" else 1.0)
    b_first = seen.index("b")
    # after 5 wrong answers on b, a is re-checked (remediation) before b is tried again
    assert "a" in seen[b_first + 5 : b_first + 8]
    # b never captures the student: x (independent) gets practised
    assert "x" in seen
    state = t.state_dict()["state"]
    assert state["remediations"][graph.skills.index("b")] == 1
    assert state["spinning"][graph.skills.index("b")]


def test_items_update_all_their_skills():
    graph = spaces.SkillGraph({"a": [], "b": []}, items={"q_ab": ["a", "b"], "q_a": "a", "q_b": "b"})
    t = teachers.make("mastery", graph, seed=0)
    before = t.state_dict()["state"]["p_known"]
    t.observe("q_ab", 1.0)
    after = t.state_dict()["state"]["p_known"]
    assert after[0] > before[0] and after[1] > before[1]


@pytest.mark.parametrize(
    "options, message",
    [
        ({"slip": 1.5}, "'slip'"),
        ({"guess": 0.6, "slip": 0.5}, "guess \\+ slip"),
        ({"threshold": 1.0}, "'threshold'"),
        ({"params": {"zz": {"slip": 0.1}}}, "unknown skill 'zz'"),
        ({"params": {"a": {"speed": 0.1}}}, "only have keys"),
        ({"max_attempts": 0}, "'max_attempts'"),
    ],
)
def test_bad_options(options, message):
    with pytest.raises(ValueError, match=message):
        teachers.make("mastery", CHAIN, **options)


def test_score_outside_unit_interval_rejected():
    t = teachers.make("mastery", CHAIN, seed=0)
    before = t.state_dict()
    with pytest.raises(ValueError, match="mastery.*score must be in \\[0, 1\\]"):
        t.observe("a", 1.5)
    assert t.state_dict() == before
