"""``mastery``: BKT mastery learning with prerequisite gating and remediation."""

from __future__ import annotations

import json

import numpy as np
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
        ({"params": {"a": {"speed": 0.1}}}, "unknown BKT parameter 'speed' of skill 'a'"),
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


# ----------------------------------------------------------- a fitted model as the teacher's student model
def test_teacher_from_a_fitted_bkt_tracks_exactly_what_the_models_tracker_tracks():
    from pathlib import Path

    from pedagogy import kt

    data = kt.read(Path(__file__).parent / "fixtures" / "kt" / "assist2009_train_50.csv")
    model = kt.BKT(forgets=True, seed=0).fit(data)
    skills = list(model.skill_names_)
    graph = spaces.SkillGraph({s: [] for s in skills + ["never-seen"]})
    teacher = teachers.make("mastery", graph, seed=0, model=model)
    tracker = model.tracker()
    rng = np.random.default_rng(0)
    for _ in range(200):
        skill = skills[int(rng.integers(len(skills)))] if rng.random() < 0.9 else "never-seen"
        correct = int(rng.random() < 0.6)
        tracker.update("s", skill, correct)
        teacher.observe(skill, float(correct))
    ours = dict(zip(graph.skills, teacher.state_dict()["state"]["p_known"]))
    theirs = tracker.mastery("s")
    assert ours == pytest.approx({s: theirs[s] for s in graph.skills}, abs=1e-12, rel=0)
    # the state is still plain JSON and resumes with the model's parameters
    again = teachers.load(json.loads(json.dumps(teacher.state_dict())))
    assert again.options["params"] == teacher.options["params"]


def test_model_and_bkt_options_are_exclusive():
    with pytest.raises(ValueError, match="teacher 'mastery': give either model= or the BKT option 'slip'"):
        teachers.make("mastery", spaces.SkillGraph({"a": []}), model=object(), slip=0.1)
    with pytest.raises(ValueError, match="teacher 'mastery': model must be a fitted pedagogy.kt.BKT"):
        teachers.make("mastery", spaces.SkillGraph({"a": []}), model=object())
