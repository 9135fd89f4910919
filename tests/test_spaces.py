"""Task spaces: containment, sampling, clipping, serialisation, validation."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pedagogy import spaces

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def boxes(draw):
    d = draw(st.integers(1, 6))
    low = draw(st.lists(finite, min_size=d, max_size=d))
    width = draw(st.lists(st.floats(1e-3, 1e3), min_size=d, max_size=d))
    return spaces.Box(low, [lo + w for lo, w in zip(low, width)])


names = st.one_of(st.text(min_size=1, max_size=8), st.integers(-1000, 1000))


@settings(max_examples=60, deadline=None)
@given(boxes(), st.integers(0, 2**32 - 1), st.integers(1, 20))
def test_box_samples_inside_and_clip(box, seed, n):
    rng = np.random.default_rng(seed)
    one = box.sample(rng)
    assert one.shape == (box.ndim,) and box.contains(one)
    many = box.sample(rng, n)
    assert many.shape == (n, box.ndim)
    assert all(box.contains(x) for x in many)
    far = box.high + 10.0 * (box.high - box.low)
    assert not box.contains(far)
    assert box.contains(box.clip(far))
    assert np.allclose(box.denormalize(box.normalize(one)), one)


@settings(max_examples=60, deadline=None)
@given(boxes())
def test_box_round_trip(box):
    again = spaces.from_dict(json.loads(json.dumps(box.to_dict())))
    assert again == box and repr(again) == repr(box)


@settings(max_examples=60, deadline=None)
@given(st.lists(names, min_size=1, max_size=30, unique=True), st.integers(0, 2**32 - 1))
def test_discrete_names_kept_and_round_trip(tasks, seed):
    space = spaces.Discrete(tasks)
    rng = np.random.default_rng(seed)
    assert space.sample(rng) in tasks
    assert set(space.sample(rng, 50)) <= set(tasks)
    for i, t in enumerate(tasks):
        assert space.index(t) == i and space.contains(t)
    again = spaces.from_dict(json.loads(json.dumps(space.to_dict())))
    assert again == space and again.tasks == tasks


def test_discrete_int_count_and_difficulty():
    space = spaces.Discrete(5, difficulty=[0.1, 0.2, 0.3, 0.4, 0.5])
    assert space.tasks == [0, 1, 2, 3, 4]
    assert space.to_dict()["n"] == 5  # compact form for huge seed sets
    assert not space.contains(5) and not space.contains("0") and not space.contains(True)
    assert spaces.from_dict(space.to_dict()) == space
    by_name = spaces.Discrete(["a", "b"], difficulty={"b": 2.0, "a": 1.0})
    assert by_name.difficulty.tolist() == [1.0, 2.0]


@pytest.mark.parametrize(
    "build, message",
    [
        (lambda: spaces.Box([0, 0], [1]), "dimensions"),
        (lambda: spaces.Box([0], [0]), "not below"),
        (lambda: spaces.Box([0], [np.inf]), "finite"),
        (lambda: spaces.Box([0, 0], [1, 1], names=["x"]), "names"),
        (lambda: spaces.Discrete(0), "at least one"),
        (lambda: spaces.Discrete(["a", "a"]), "more than once"),
        (lambda: spaces.Discrete([1.5]), "str or int"),
        (lambda: spaces.Discrete("abc"), "not a string"),
        (lambda: spaces.Discrete(["a", "b"], difficulty=[1.0]), "difficulties"),
        (lambda: spaces.Discrete(["a"], difficulty={"z": 1.0}), "unknown task 'z'"),
        (lambda: spaces.Discrete(["a"], difficulty=[np.nan]), "finite"),
    ],
)
def test_bad_spaces_rejected(build, message):
    with pytest.raises(ValueError, match=message):
        build()


def test_skill_graph_order_items_and_round_trip():
    g = spaces.SkillGraph(
        {"div": ["mul", "sub"], "add": [], "sub": ["add"], "mul": ["add"]},
        items={"q1": "add", "q2": ["mul", "sub"], 7: "div"},
    )
    order = g.skills
    for skill, pre in g.prerequisites.items():
        assert all(order.index(p) < order.index(skill) for p in pre)
    assert g.tasks == ["q1", "q2", 7]  # a Discrete space over the items, names kept
    assert g.skills_of("q2") == ["mul", "sub"] and g.items_of("sub") == ["q2"]
    again = spaces.from_dict(json.loads(json.dumps(g.to_dict(), sort_keys=True)))
    assert again == g and again.tasks == g.tasks and again.skills == g.skills
    bare = spaces.SkillGraph({"a": [], "b": ["a"]})
    assert bare.tasks == ["a", "b"] and bare.skills_of("b") == ["b"]


@pytest.mark.parametrize(
    "prereq, items, message",
    [
        ({"a": ["b"], "b": ["a"]}, None, "cycle"),
        ({"a": ["a"]}, None, "its own prerequisite"),
        ({"a": ["ghost"]}, None, "unknown prerequisite 'ghost'"),
        ({"a": []}, {"q": "nope"}, "unknown skill 'nope'"),
        ({"a": []}, {"q": []}, "practises no skill"),
        ({}, None, "non-empty"),
    ],
)
def test_bad_skill_graphs_rejected(prereq, items, message):
    with pytest.raises(ValueError, match=message):
        spaces.SkillGraph(prereq, items=items)


def test_cycle_is_named():
    with pytest.raises(ValueError, match=r"a -> b -> c -> a|b -> c -> a -> b|c -> a -> b -> c"):
        spaces.SkillGraph({"a": ["c"], "b": ["a"], "c": ["b"], "d": []})


def test_from_dict_rejects_unknown():
    with pytest.raises(ValueError, match="unknown space type"):
        spaces.from_dict({"type": "torus"})
    with pytest.raises(ValueError, match="'type' key"):
        spaces.from_dict({"low": [0]})
