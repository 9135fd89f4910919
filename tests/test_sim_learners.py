"""SkillsLearner, StudentsLearner and LLMMixLearner dynamics, options and scenarios."""

from __future__ import annotations

import numpy as np
import pytest

from pedagogy import sim, teachers
from pedagogy.sim.grid import GridLearner
from pedagogy.sim.llm_mix import LLMMixLearner
from pedagogy.sim.skills import SkillsLearner
from pedagogy.sim.students import StudentsLearner
from pedagogy.spaces import Discrete, SkillGraph

CHAIN = {"a": [], "b": ["a"], "c": ["b"]}


# ------------------------------------------------------------------ skills
def test_skills_prerequisite_gate_holds():
    s = SkillsLearner(CHAIN, rate=0.1, rate_spread=0.0, trials=1)
    for _ in range(100):
        s.practice("b")  # a is not known: b never improves
    assert s.competence()["b"] == 0.0 and not s.is_open("b")
    while s.competence()["a"] < 0.5:
        s.practice("a")
    assert s.is_open("b") and not s.is_open("c")
    s.practice("b")
    assert s.competence()["b"] == pytest.approx(0.1)


def test_skills_unlearnable_and_rates():
    s = SkillsLearner(CHAIN, rate=0.1, rate_spread=0.0, unlearnable=["a"])
    for _ in range(200):
        assert s.practice("a") == 0.0
    assert s.evaluate() == {"mastered_fraction": 0.0, "mastered_learnable_fraction": 0.0, "mean_competence": 0.0}
    jittered = SkillsLearner(SKILLS := {f"t{i}": [] for i in range(10)}, rate_spread=0.5)
    assert len(set(jittered._rate)) == len(SKILLS)


def test_skills_forgetting_reduces_competence():
    s = SkillsLearner(CHAIN, rate=0.2, rate_spread=0.0, forgetting=0.01)
    for _ in range(30):
        s.practice("a")
    before = s.competence()["a"]
    assert before >= 0.8 and s.evaluate()["mastered_fraction"] == pytest.approx(1 / 3)
    for _ in range(50):
        s.practice("c")
    assert s.competence()["a"] == pytest.approx(before * 0.99**50)
    assert s.evaluate()["mastered_fraction"] == 0.0


def test_skills_score_is_batch_accuracy():
    s = SkillsLearner(CHAIN, rate=0.3, rate_spread=0.0, trials=10)
    for _ in range(30):
        s.practice("a")
    scores = [s.practice("a") for _ in range(300)]
    assert set(np.round(np.array(scores) * 10) / 10) <= {i / 10 for i in range(11)}
    assert np.mean(scores) == pytest.approx(s.competence()["a"], abs=0.03)


# ---------------------------------------------------------------- students
def test_bkt_correctness_matches_guess_and_slip():
    params = {"prior": 0.0, "learn": 0.0, "guess": 0.25, "slip": 0.1}
    unknown = StudentsLearner({"x": []}, params=params, seed=1)
    n = 4000
    rate = np.mean([unknown.practice("x") for _ in range(n)])
    assert abs(rate - 0.25) < 4 * np.sqrt(0.25 * 0.75 / n)
    known = StudentsLearner({"x": []}, params={**params, "prior": 1.0}, seed=1)
    rate = np.mean([known.practice("x") for _ in range(n)])
    assert abs(rate - 0.9) < 4 * np.sqrt(0.9 * 0.1 / n)


def test_students_prerequisite_gate_holds():
    st = StudentsLearner(CHAIN, params={"prior": 0.0, "learn": 0.9, "slip": 0.1}, trait_sigma=0.0, seed=0)
    for _ in range(200):
        st.practice("c")
        st.practice("b")
    assert not st.knows("b") and not st.knows("c")
    while not st.knows("a"):
        st.practice("a")
    while not st.knows("b"):
        st.practice("b")
    assert not st.knows("c")
    while not st.knows("c"):
        st.practice("c")
    ev = st.evaluate()
    assert ev["mastered_fraction"] == 1.0 and ev["all_mastered"] == 1.0
    assert ev["expected_accuracy"] == pytest.approx(0.9)


def test_students_initial_state_respects_prerequisites():
    for seed in range(50):
        st = StudentsLearner(params={"prior": 0.6}, seed=seed)
        for skill, pre in st.space.prerequisites.items():
            if st.knows(skill):
                assert all(st.knows(p) for p in pre)


def test_students_forgetting_and_traits():
    st = StudentsLearner({"x": []}, params={"prior": 1.0, "forget": 0.5}, seed=0)
    for _ in range(50):
        st.practice("x")
    assert st.answers == 50
    traits = [StudentsLearner(seed=s).trait for s in range(40)]
    assert np.std(np.log(traits)) == pytest.approx(0.5, abs=0.2)
    assert StudentsLearner(trait_sigma=0.0).trait == 1.0


# ----------------------------------------------------------------- llm-mix
def test_advantage_zero_when_rollouts_agree_positive_otherwise():
    m = LLMMixLearner(sources=["math"], levels=2, unlearnable=[], seed=0)
    m._z = [50.0, -50.0]  # level1 always solved (ceiling 1), level2 never
    assert m.practice("math/level1") == 0.0
    assert m.practice("math/level2") == 0.0
    assert m._z == [50.0, -50.0]  # no signal, no learning
    m._z = [0.0, -50.0]
    scores = [m.practice("math/level1") for _ in range(200)]
    assert all(s >= 0.0 for s in scores) and max(scores) > 0.5
    # a positive score means a non-zero advantage, which means learning happened
    assert m._z[0] > 0.0 and m._z[1] > -50.0  # with transfer to the next level
    nonzero = [s for s in scores if s > 0]
    assert all(0.6 < s <= 1.0 + 1e-9 for s in nonzero)  # 2 sqrt(q(1-q)) for q in [1/8, 7/8]


def test_llm_mix_unlearnable_and_transfer():
    m = LLMMixLearner(sources=["a", "b"], levels=3, unlearnable=["a/level3"], seed=0)
    p3 = m.success_probability("a/level3")
    p2 = m.success_probability("a/level2")
    for _ in range(3000):
        m.practice("a/level1")
    assert m.success_probability("a/level3") == p3
    assert m.success_probability("a/level2") > p2  # transfer from level 1
    assert m.success_probability("b/level1") == pytest.approx(m.evaluate()["accuracy/b/level1"])
    ev = m.evaluate()
    assert ev["mean_accuracy"] == pytest.approx(np.mean([ev[f"accuracy/{t}"] for t in m.space.tasks]))


def test_llm_mix_space_names():
    m = LLMMixLearner()
    assert isinstance(m.space, Discrete) and len(m.space) == 12
    assert "math/level3" in m.space and m.space.difficulty is not None


# ------------------------------------------------------------ bad options
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: SkillsLearner({"a": ["b"], "b": ["a"]}), "cycle"),
        (lambda: SkillsLearner(CHAIN, rate=0), "rate"),
        (lambda: SkillsLearner(CHAIN, unlearnable=["zz"]), "unknown task"),
        (lambda: SkillsLearner(CHAIN, unlearnable="a"), "not a string"),
        (lambda: SkillsLearner(CHAIN, trials=0), "trials"),
        (lambda: SkillsLearner(CHAIN, forgetting=2), "forgetting"),
        (lambda: StudentsLearner(CHAIN, params={"slip": 1.5}), "slip"),
        (lambda: StudentsLearner(CHAIN, params={"guess": 0.6, "slip": 0.5}), "guess \\+ slip"),
        (lambda: StudentsLearner(CHAIN, params={"learning": 0.1}), "unknown BKT parameter"),
        (lambda: StudentsLearner(CHAIN, params={"zz": {"learn": 0.1}}), "unknown skill"),
        (lambda: StudentsLearner(CHAIN, trait_sigma=-1), "trait_sigma"),
        (lambda: LLMMixLearner(group=1), "group"),
        (lambda: LLMMixLearner(sources="math"), "sources"),
        (lambda: LLMMixLearner(sources=["a", "a"]), "unique"),
        (lambda: LLMMixLearner(unlearnable=["nope"]), "unknown distribution"),
        (lambda: LLMMixLearner(transfer=1.5), "transfer"),
    ],
)
def test_bad_options_raise(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    "learner, task",
    [(SkillsLearner(CHAIN), "zz"), (StudentsLearner(CHAIN), 3), (LLMMixLearner(), "math/level9")],
)
def test_unknown_task_raises(learner, task):
    with pytest.raises(ValueError, match="unknown"):
        learner.practice(task)


# -------------------------------------------------------------- scenarios
SCENARIOS = {
    "skills": (SkillGraph, "mastered_learnable_fraction"),
    "students": (SkillGraph, "mastered_fraction"),
    "llm-mix": (Discrete, "mean_accuracy"),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_scenarios_exist_and_are_reproducible(name):
    space_type, metric = SCENARIOS[name]
    sc = sim.get_scenario(name)
    assert sc.metric == metric and 0 < sc.budget_quick <= sc.budget_full
    a, b = sim.make(name, seed=3), sim.make(name, seed=3)
    assert isinstance(a.space, space_type)
    tasks = a.space.sample(np.random.default_rng(0), 500)
    sa = [a.practice(t) for t in tasks]
    assert sa == [b.practice(t) for t in tasks]
    ev = a.evaluate()
    assert ev == b.evaluate() and metric in ev
    assert all(0.0 <= v <= 1.0 for v in ev.values())
    c = sim.make(name, seed=4)
    assert [c.practice(t) for t in tasks] != sa


def test_llm_mix_scenario_trains_in_batches():
    assert sim.get_scenario("llm-mix").batch > 1


def test_teachers_accept_scenario_spaces():
    for name in sim.scenarios():
        space = sim.make(name).space
        learner_tasks = space.sample(np.random.default_rng(0), 3)
        t = teachers.make("random", space, seed=0)
        proposed = t.propose(3)
        assert all(space.contains(x) for x in proposed)
        assert len(learner_tasks) == 3


def test_all_scenarios_registered():
    expected = {
        "grid-2d",
        "mostly-unlearnable",
        "mostly-trivial",
        "rugged",
        "high-dim",
        "forgetting",
        "slow-learner",
        "fast-learner",
        "skills",
        "students",
        "llm-mix",
    }
    assert expected <= set(sim.scenarios())


# ------------------------------------------------- declared parameters
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: StudentsLearner(trait_sigma=5), "StudentsLearner: parameter 'trait_sigma' must be a number in [0, 3], got 5"),
        (lambda: StudentsLearner(seed=-1), "StudentsLearner: parameter 'seed' must be an integer >= 0, got -1"),
        (lambda: StudentsLearner(params=[0.1]), "StudentsLearner: parameter 'params' must be None or a dict of BKT parameters"),
        (
            lambda: StudentsLearner(CHAIN, params={"b": {"slip": 1.5}}),
            "StudentsLearner: BKT parameter 'slip' of skill 'b' must be a probability in [0, 1], got 1.5",
        ),
        (lambda: GridLearner(noise=-1), "GridLearner: parameter 'noise' must be a number >= 0, got -1"),
        (lambda: GridLearner(increment=0), "GridLearner: parameter 'increment' must be a number > 0, got 0"),
        (lambda: GridLearner(difficulty="hard"), "GridLearner: parameter 'difficulty' must be one of 'monotone', 'rugged', got 'hard'"),
        (lambda: GridLearner(seed=True), "GridLearner: parameter 'seed' must be an integer >= 0, got True"),
        (lambda: SkillsLearner(CHAIN, trials=0), "SkillsLearner: parameter 'trials' must be an integer >= 1, got 0"),
        (lambda: SkillsLearner(CHAIN, rate=0), "SkillsLearner: parameter 'rate' must be a number in (0, 1], got 0"),
        (
            lambda: SkillsLearner(CHAIN, unlearnable="a"),
            "SkillsLearner: parameter 'unlearnable' must be a list of task names, not a string",
        ),
        (lambda: LLMMixLearner(levels=30), "LLMMixLearner: parameter 'levels' must be an integer in [1, 20], got 30"),
        (
            lambda: LLMMixLearner(sources=["a", "a"]),
            "LLMMixLearner: parameter 'sources' must be a non-empty list of unique names without '/'",
        ),
        (lambda: LLMMixLearner(rate=float("inf")), "LLMMixLearner: parameter 'rate' must be a number >= 0, got inf"),
    ],
)
def test_bad_parameters_get_the_declared_message(make, message):
    with pytest.raises(ValueError) as exc:
        make()
    assert str(exc.value).startswith(message), str(exc.value)


def test_every_learner_declares_the_parameters_it_checks():
    import inspect

    for cls in (StudentsLearner, GridLearner, SkillsLearner, LLMMixLearner):
        args = set(inspect.signature(cls.__init__).parameters) - {"self"}
        assert set(cls.parameters) == args, cls.__name__


def test_students_expected_accuracy_is_the_bkt_emission():
    from pedagogy.kt.core import bkt_p_correct

    s = StudentsLearner(CHAIN, params={"guess": 0.3, "slip": 0.1}, seed=2)
    want = np.mean([bkt_p_correct(1.0 if s.knows(k) else 0.0, 0.3, 0.1) for k in "abc"])
    assert s.evaluate()["expected_accuracy"] == pytest.approx(want)
    s._known = [True, False, False]
    assert s.evaluate()["expected_accuracy"] == pytest.approx((0.9 + 0.3 + 0.3) / 3)
