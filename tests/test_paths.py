"""Goal-directed learning paths (pedagogy.paths) and the tutoring teachers' ``goals=`` option."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pedagogy import sim, spaces, teachers
from pedagogy.paths import path_cost, plan_items, plan_path, prerequisite_closure
from pedagogy.teachers import checks

# Two goals sharing prerequisites (a, b), a third branch (x, y) no goal needs.
#   a -> b -> c -> g1
#        b -> d -> g2
#   a -> x -> y
PRE = {"a": [], "b": ["a"], "c": ["b"], "d": ["b"], "g1": ["c"], "g2": ["d", "a"], "x": ["a"], "y": ["x"]}
GRAPH = spaces.SkillGraph(PRE)
GOALS = ["g1", "g2"]
CLOSURE = {"a", "b", "c", "d", "g1", "g2"}


def _valid_order(path: list[str], graph: spaces.SkillGraph, known: set[str]) -> bool:
    seen = set(known)
    for s in path:
        if any(p not in seen for p in graph.prerequisites[s]):
            return False
        seen.add(s)
    return True


def test_closure_and_plan_take_only_what_the_goals_need_in_prerequisite_order():
    assert prerequisite_closure(GRAPH, GOALS) == CLOSURE
    path = plan_path(GRAPH, {}, GOALS)
    assert set(path) == CLOSURE and len(path) == len(CLOSURE)
    assert _valid_order(path, GRAPH, set())
    # one goal alone
    assert plan_path(GRAPH, None, "g1") == ["a", "b", "c", "g1"]


def test_mastered_skills_are_sources_and_mastered_goals_need_nothing():
    mastery = {"a": 0.99, "b": 0.97, "c": 0.2}
    path = plan_path(GRAPH, mastery, GOALS)
    assert set(path) == {"c", "d", "g1", "g2"}
    assert _valid_order(path, GRAPH, {"a", "b"})
    assert plan_path(GRAPH, {"g1": 1.0, "g2": 0.96}, GOALS) == []
    # the threshold decides what counts as mastered
    assert "b" in plan_path(GRAPH, mastery, GOALS, threshold=0.98)


def test_cost_orders_ties_only():
    # after a, b: c and d are both ready; making d cheap puts it (and then g2) first
    cheap_d = plan_path(GRAPH, {}, GOALS, cost={"d": 0.1, "g2": 0.1})
    assert cheap_d.index("d") < cheap_d.index("c") and _valid_order(cheap_d, GRAPH, set())
    assert set(cheap_d) == CLOSURE
    by_fn = plan_path(GRAPH, {}, GOALS, cost=lambda s: 0.1 if s == "d" else 1.0)
    assert by_fn.index("d") < by_fn.index("c")
    expected = plan_path(GRAPH, {"c": 0.1, "d": 0.9}, GOALS, cost="expected")
    assert expected.index("d") < expected.index("c")
    assert path_cost(expected, GRAPH, {"c": 0.1, "d": 0.9}, cost="expected") == pytest.approx(4 + 0.9 + 0.1)


def test_bad_inputs_are_value_errors():
    with pytest.raises(ValueError, match="unknown goal skill 'zz'"):
        plan_path(GRAPH, {}, ["g1", "zz"])
    with pytest.raises(ValueError, match="at least one"):
        plan_path(GRAPH, {}, [])
    with pytest.raises(ValueError, match="unknown skill 'q'"):
        plan_path(GRAPH, {"q": 0.5}, GOALS)
    for bad in (1.5, -0.1, float("nan"), "high", True):
        with pytest.raises(ValueError, match="mastery of 'a'"):
            plan_path(GRAPH, {"a": bad}, GOALS)
    with pytest.raises(ValueError, match="cost of skill"):
        plan_path(GRAPH, {}, GOALS, cost={"a": -1})
    with pytest.raises(ValueError, match="cost must be"):
        plan_path(GRAPH, {}, GOALS, cost="cheap")
    with pytest.raises(ValueError, match="threshold"):
        plan_path(GRAPH, {}, GOALS, threshold=0)
    with pytest.raises(ValueError, match="SkillGraph"):
        plan_path(spaces.Discrete(3), {}, GOALS)  # type: ignore[arg-type]


def test_plan_items_is_a_greedy_cover_inside_the_closure():
    items = {
        "i_ab": ["a", "b"],
        "i_a": "a",
        "i_b": "b",
        "i_c": "c",
        "i_d": "d",
        "i_cd": ["c", "d"],
        "i_g1": "g1",
        "i_g2": "g2",
        "i_xy": ["x", "y"],
        "i_dx": ["d", "x"],
    }
    g = spaces.SkillGraph(PRE, items=items)
    picks = plan_items(g, {}, GOALS)
    covered = {s for it in picks for s in g.items[it]}
    assert covered == CLOSURE  # every planned skill, nothing outside (i_dx practises x)
    assert picks[:2] == ["i_ab", "i_cd"] and set(picks) == {"i_ab", "i_cd", "i_g1", "i_g2"}


GOAL_TEACHERS = ["mastery", "zpdes"]


@pytest.mark.parametrize("name", GOAL_TEACHERS)
def test_teachers_with_goals_never_leave_the_closure_and_review_along_it(name):
    rng = np.random.default_rng(0)
    t = teachers.make(name, GRAPH, seed=1, goals=GOALS)
    seen = []
    for _ in range(600):
        x = t.propose()
        seen.append(x)
        t.observe(x, float(rng.random() < 0.9))
    assert set(seen) <= CLOSURE
    assert {"g1", "g2"} <= set(seen)  # the goals themselves were reached
    assert set(seen[-100:]) <= CLOSURE  # reviews stay on the path too
    batch = t.propose(20)
    assert set(batch) <= CLOSURE
    if name == "mastery":
        fresh = teachers.make(name, GRAPH, seed=1, goals=GOALS).report()
        assert fresh["plan"] == plan_path(GRAPH, {s: 0.5 for s in PRE}, GOALS)  # the prior is below mastery
        assert t.report()["plan"] == []  # every goal mastered by now


@pytest.mark.parametrize("name", GOAL_TEACHERS)
def test_teachers_with_goals_on_items(name):
    items = {"i_ab": ["a", "b"], "i_c": "c", "i_d": "d", "i_g1": "g1", "i_g2": "g2", "i_xy": ["x", "y"], "i_dx": ["d", "x"], "i_a": "a"}
    g = spaces.SkillGraph(PRE, items=items)
    t = teachers.make(name, g, seed=2, goals=GOALS)
    rng = np.random.default_rng(1)
    for _ in range(400):
        x = t.propose()
        assert x not in ("i_xy", "i_dx")
        t.observe(x, float(rng.random() < 0.85))


@pytest.mark.parametrize("name", GOAL_TEACHERS)
def test_contract_with_goals(name):
    checks.check_teacher(name, GRAPH, {"goals": GOALS})


@pytest.mark.parametrize("name", GOAL_TEACHERS)
def test_goals_resume_exactly_and_bad_goals_name_the_teacher(name):
    t = teachers.make(name, GRAPH, seed=4, goals=["g2"])
    score = checks.stable_scorer(0)
    checks.cycle(t, score, 200)
    u = teachers.load(json.loads(json.dumps(t.state_dict())))
    assert checks.cycle(t, checks.stable_scorer(5), 200) == checks.cycle(u, checks.stable_scorer(5), 200)
    with pytest.raises(ValueError, match=f"teacher '{name}': option 'goals' names unknown skill 'nope'"):
        teachers.make(name, GRAPH, goals=["nope"])
    with pytest.raises(ValueError, match=f"teacher '{name}': option 'goals' must be"):
        teachers.make(name, GRAPH, goals="g1")


def test_default_teachers_unchanged_by_the_option():
    for name in GOAL_TEACHERS:
        a, b = teachers.make(name, GRAPH, seed=7), teachers.make(name, GRAPH, seed=7, goals=None)
        assert checks.cycle(a, checks.stable_scorer(1), 300) == checks.cycle(b, checks.stable_scorer(1), 300)


def test_students_goals_scenario_measures_the_goals():
    sc = sim.get_scenario("students-goals")
    learner = sc.factory(0)
    ev = learner.evaluate()
    assert {"mastered_fraction", "goals_mastered", "all_skills_fraction", "all_mastered"} <= set(ev)
    needed = prerequisite_closure(learner.space, learner.goals)
    t = teachers.make("mastery", learner.space, seed=0, goals=learner.goals)
    for _ in range(sc.budget_quick):
        x = t.propose()
        assert x in needed
        t.observe(x, learner.practice(x))
    ev = learner.evaluate()
    assert ev["mastered_fraction"] == 1.0 and ev["goals_mastered"] == 1.0
    assert ev["all_skills_fraction"] < 1.0  # the skills no goal needs were never taught
    with pytest.raises(ValueError, match="GoalStudentsLearner"):
        sim.students.GoalStudentsLearner(goals=["nope"])
