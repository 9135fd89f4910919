"""``hierarchical``: a source teacher over sources, ``learnability`` inside each, one object and one state."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pedagogy import spaces, teachers
from pedagogy.teachers.hierarchical import HierarchicalTeacher
from tests.test_learnability import PromptLearner, run

# 4 sources of 30 prompts each
KINDS = ["trivial"] * 30 + ["unsolvable"] * 30 + ["learnable"] * 30 + ["coin"] * 30


def _snapshot(t: teachers.Teacher) -> str:
    return json.dumps(t.state_dict(), sort_keys=True, allow_nan=False)


@pytest.mark.parametrize("source", ["sec-lp", "sec", "lp"])
def test_exact_resume_with_each_source_teacher(source: str) -> None:
    t = teachers.make("hierarchical", spaces.Discrete(len(KINDS)), seed=4, groups=KINDS, source_teacher=source)
    learner = PromptLearner(KINDS, seed=0)
    run(t, learner, 800)
    saved = json.loads(_snapshot(t))
    assert "space" not in saved["state"]["prompts"]  # the space is stored once
    u = teachers.load(saved)
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b = t.propose(4), u.propose(4)
        assert a == b
        scores = [float(x) for x in rng.random(4)]
        t.observe(a, scores)
        u.observe(b, scores)
    assert _snapshot(t) == _snapshot(u)


def test_an_observation_feeds_both_levels_with_the_signal_each_expects() -> None:
    space = spaces.Discrete([f"p{i}" for i in range(6)])
    groups = {f"p{i}": ("math" if i < 3 else "code") for i in range(6)}
    t = teachers.make("hierarchical", space, seed=0, groups=groups, source_teacher="sec", source_options={"alpha": 1.0})
    assert isinstance(t, HierarchicalTeacher)
    t.observe(["p0", "p4"], [0.5, 1.0])
    rows = {r["task"]: r for r in t.report()["sources"]["top"]}
    assert rows["math"]["q"] == pytest.approx(1.0)  # sec gets mean |advantage| = 2 sqrt(q (1 - q))
    assert rows["code"]["q"] == pytest.approx(0.0)
    assert t.report()["prompts"]["prompts_seen"] == 2
    s = teachers.make("hierarchical", space, seed=0, groups=groups)  # sec-lp: the success rate itself
    s.observe("p0", 0.25)
    assert {r["task"]: r for r in s.report()["sources"]["top"]}["math"]["success_ema"] == pytest.approx(0.25)
    assert "groups=<2 sources>" in repr(s)


def test_bad_input_is_rejected_naming_what_is_wrong_and_changes_nothing() -> None:
    space = spaces.Discrete(["a", "b", "c"])
    with pytest.raises(ValueError, match="teacher 'hierarchical': groups: prompt 'c' has no group"):
        teachers.make("hierarchical", space, groups={"a": "x", "b": "y"})
    with pytest.raises(ValueError, match="teacher 'hierarchical': option 'source_teacher'"):
        teachers.make("hierarchical", space, source_teacher="alp-gmm")
    with pytest.raises(ValueError, match="teacher 'hierarchical': source teacher: teacher 'sec-lp': unknown option 'nope'"):
        teachers.make("hierarchical", space, source_options={"nope": 1})
    with pytest.raises(ValueError, match="prompt_options"):
        teachers.make("hierarchical", space, prompt_options={"groups": [0, 0, 0]})
    t = teachers.make("hierarchical", space, seed=0, groups=["x", "x", "y"])
    t.observe("a", 0.5)
    before = _snapshot(t)
    for task, score, msg in [
        ("z", 0.5, "task 'z'"),
        ("a", 2.0, r"\(prompt 'a'\)"),
        ("b", float("nan"), r"\(prompt 'b'\)"),
        (["a", "z"], [0.5, 0.5], "task 'z'"),
    ]:
        with pytest.raises(ValueError, match=f"teacher 'hierarchical': .*{msg}"):
            t.observe(task, score)
        assert _snapshot(t) == before


def test_a_source_teacher_that_rejects_an_observation_leaves_both_levels_unchanged() -> None:
    t = teachers.make(
        "hierarchical", spaces.Discrete(4), seed=0, groups=[0, 0, 1, 1], source_teacher="tscl", source_options={"algorithm": "exp3"}
    )
    x = t.propose()
    t.observe(x, 1.0)
    before = _snapshot(t)
    with pytest.raises(ValueError, match="teacher 'hierarchical': source teacher: .*not proposed"):
        t.observe(x, 1.0)
    assert _snapshot(t) == before


def test_the_mixture_leaves_trivial_and_unsolvable_sources_and_finds_the_learnable_one() -> None:
    # On this learner sec-lp's gate lets the coin-flip source keep a large share at first (its |advantage| is the
    # largest there is): see docs/guides/learnability.md; the test asserts what the composition does achieve.
    n = len(KINDS)
    h = teachers.make("hierarchical", spaces.Discrete(n), seed=0, groups=KINDS)
    learner = PromptLearner(KINDS, seed=0)
    first = run(h, learner, 1600)
    second = run(h, learner, 1600)
    assert (first["trivial"] + first["unsolvable"] + second["trivial"] + second["unsolvable"]) / 3200 < 0.35  # uniform: 1/2
    assert second["learnable"] / 1600 > 0.28  # uniform: 1/4
