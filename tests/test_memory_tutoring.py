"""Forgetting students (``pedagogy.sim.memory``), the ``spaced-mastery`` and ``auto`` teachers, and the BKT twin scenario."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from pedagogy import sim, teachers
from pedagogy.kt import BKT, Responses
from pedagogy.sim.memory import MASTERY_LEVEL, MemoryStudent
from pedagogy.sim.students import StudentsLearner
from pedagogy.sim.twin import read_graph, twin_params, twin_scenario

CHAIN = {"a": [], "b": ["a"], "c": ["b"]}


def _first_all_mastered(learner, pick, budget=2000):
    """Answers until every skill is mastered at once (``pick(learner, last) -> task``), or None."""
    last = None
    for k in range(budget):
        if learner.evaluate()["all_mastered"]:
            return k
        task = pick(learner, last)
        last = (task, learner.practice(task))
    return None


def _teach(name, learner, **options):
    t = teachers.make(name, learner.space, seed=0, **options)

    def pick(_learner, last):
        if last is not None:
            t.observe(*last)
        return t.propose()

    return pick


# ------------------------------------------------------------------ the student
def test_memory_student_learns_with_practice_and_forgets_without():
    s = MemoryStudent(CHAIN, seed=0, prior=0.0, trait_sigma=0.0)
    assert s.p_correct("a") == pytest.approx(0.2)  # the guess floor
    for _ in range(15):
        s.practice("a")
    learned = s.p_correct("a")
    assert learned > MASTERY_LEVEL
    for _ in range(60):  # two half-lives of other work
        s.practice("c")  # closed (b unknown): teaches nothing, but time passes
    assert s.p_correct("a") < learned - 0.2
    assert s.p_correct("c") == pytest.approx(0.2)  # gated by b


def test_spaced_reviews_build_longer_memories_than_massed_practice():
    def half_life(gap):
        s = MemoryStudent({"x": [], "y": []}, seed=1, prior=0.0, trait_sigma=0.0, guess=0.0)
        for _ in range(8):
            s.practice("x")
        for _ in range(5):  # five more reviews, each after `gap` answers elsewhere
            for _ in range(gap):
                s.practice("y")
            s.practice("x")
        return s._h[s.space.index("x")]

    assert half_life(25) > 2 * half_life(0)


def test_memory_student_evaluate_oracle_and_errors():
    s = MemoryStudent(CHAIN, seed=3, prior=0.0)
    ev = s.evaluate()
    assert set(ev) == {"mastered_fraction", "all_mastered", "expected_accuracy", "mean_recall"} and ev["mastered_fraction"] == 0.0
    assert s.oracle_task() == "a"  # the only open skill
    assert MemoryStudent(CHAIN, seed=3).evaluate() == MemoryStudent(CHAIN, seed=3).evaluate()
    with pytest.raises(ValueError, match="MemoryStudent: unknown parameter 'speed'"):
        MemoryStudent(CHAIN, speed=2.0)
    with pytest.raises(ValueError, match="MemoryStudent: parameter 'learn'"):
        MemoryStudent(CHAIN, learn=1.5)
    with pytest.raises(ValueError, match="unknown skill"):
        s.practice("zzz")
    assert "students-forgetting" in sim.scenarios()


def test_oracle_masters_the_chain_and_random_is_slower():
    oracle = [_first_all_mastered(MemoryStudent(CHAIN, seed=i), lambda lr, _: lr.oracle_task()) for i in range(4)]
    rand = [_first_all_mastered(MemoryStudent(CHAIN, seed=i), _teach("random", MemoryStudent(CHAIN, seed=i))) for i in range(4)]
    assert all(o is not None for o in oracle)
    assert np.median(oracle) < np.median([r if r is not None else 10**6 for r in rand])


# ----------------------------------------------------------- spaced-mastery
def test_spaced_mastery_reaches_mastery_at_once_and_reviews():
    graph = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
    got = []
    for i in range(4):
        lr = MemoryStudent(graph, seed=i)
        got.append(_first_all_mastered(lr, _teach("spaced-mastery", lr)))
    assert all(g is not None for g in got), got
    # after every skill was learned, the teacher keeps coming back to the oldest ones
    lr = MemoryStudent(graph, seed=0)
    t = teachers.make("spaced-mastery", lr.space, seed=0)
    seen = []
    for _ in range(400):
        x = t.propose()
        t.observe(x, lr.practice(x))
        seen.append(x)
    assert {"a", "b", "c", "d"} <= set(seen[-100:])
    assert lr.evaluate()["mastered_fraction"] >= 0.75
    assert 0 < t.report()["answers_per_day"] < 1e5


def test_spaced_mastery_beats_bkt_mastery_on_forgetting_students():
    def median(name):
        runs = []
        for i in range(6):
            lr = MemoryStudent(seed=100 + i)
            runs.append(_first_all_mastered(lr, _teach(name, lr), budget=1500) or 10**6)
        return np.median(runs)

    assert median("spaced-mastery") < median("mastery")


SIX = {"a": [], "b": ["a"], "c": ["a"], "d": ["b"], "e": ["b", "c"], "f": ["d", "e"]}


def _answers_to_mastery(learner, teacher, budget=3000):
    for k in range(budget):
        if learner.evaluate()["all_mastered"]:
            return k
        x = teacher.propose()
        teacher.observe(x, learner.practice(x))
    return budget


def test_spaced_mastery_keeps_pace_with_mastery_on_a_learner_that_does_not_forget():
    # BKT students (no forgetting): FSRS' reviews and deep remediations only cost answers here
    # (before the forgetting fit and the shared remediation level it needed 26 % more than mastery)
    def mean(name):
        space = StudentsLearner(SIX).space
        return np.mean([_answers_to_mastery(StudentsLearner(SIX, seed=i), teachers.make(name, space, seed=i)) for i in range(40)])

    assert mean("spaced-mastery") <= 1.2 * mean("mastery")


def test_spaced_mastery_fits_from_the_answers_whether_the_learner_forgets():
    def weights(make_learner):
        out = []
        for i in range(12):
            lr = make_learner(i)
            t = teachers.make("spaced-mastery", lr.space, seed=i)
            for _ in range(600):
                x = t.propose()
                t.observe(x, lr.practice(x))
            out.append(t.report()["forgetting_weight"])
        return np.mean(out)

    assert weights(lambda i: StudentsLearner(SIX, seed=i)) < 0.35  # reviews after gaps succeed as often as fresh ones
    assert weights(lambda i: MemoryStudent(SIX, seed=i)) > 0.6  # they fail more the lower FSRS' recall: keep reviewing
    # forgetting="assume" trusts FSRS fully, as before the fit
    t = teachers.make("spaced-mastery", StudentsLearner(SIX).space, seed=0, forgetting="assume")
    lr = StudentsLearner(SIX, seed=0)
    for _ in range(300):
        x = t.propose()
        t.observe(x, lr.practice(x))
    assert t.report()["forgetting_weight"] == 1.0


def test_spaced_mastery_resumes_its_forgetting_fit_exactly():
    lr = StudentsLearner(SIX, seed=5)
    t = teachers.make("spaced-mastery", lr.space, seed=0)
    for _ in range(300):
        x = t.propose()
        t.observe(x, lr.practice(x))
    t2 = teachers.load(json.loads(json.dumps(t.state_dict())))
    assert 0.0 < t2.report()["forgetting_weight"] == t.report()["forgetting_weight"] < 1.0
    for _ in range(100):
        x = t.propose()
        assert t2.propose() == x
        y = lr.practice(x)
        t.observe(x, y)
        t2.observe(x, y)
    assert t2.state_dict() == t.state_dict()


def test_spaced_mastery_names_the_extra_when_fsrs_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "fsrs", None)
    with pytest.raises(ImportError, match=r"pedagogy\[memory\]"):
        teachers.make("spaced-mastery", MemoryStudent(CHAIN).space, seed=0)


# --------------------------------------------------------------------- auto
def test_auto_members_all_observe_every_outcome():
    lr = MemoryStudent(CHAIN, seed=0)
    t = teachers.make("auto", lr.space, seed=0)
    names = [m["teacher"] for m in t.report()["members"]]
    assert "auto" not in names and "random" in names and "mastery" in names
    for _ in range(50):
        xs = t.propose(2)
        t.observe(xs, [lr.practice(x) for x in xs])
    assert all(m.n_observed == 100 for m in t._members)
    assert sum(m["chosen"] for m in t.report()["members"]) == 50
    t2 = teachers.load(json.loads(json.dumps(t.state_dict())))
    assert [t2.propose() for _ in range(20)] == [t.propose() for _ in range(20)]


def test_auto_options():
    space = MemoryStudent(CHAIN).space
    t = teachers.make("auto", space, seed=0, members=["random", "mastery"])
    assert [m["teacher"] for m in t.report()["members"]] == ["random", "mastery"]
    assert t.score_range == (0.0, 1.0)  # mastery's range
    with pytest.raises(ValueError, match="teacher 'auto': option 'members': unknown teacher 'nope'"):
        teachers.make("auto", space, members=["nope"])
    with pytest.raises(ValueError, match="does not accept SkillGraph"):
        teachers.make("auto", space, members=["alp-gmm"])
    with pytest.raises(ValueError, match="option 'members'"):
        teachers.make("auto", space, members=["auto"])


def test_auto_prefers_a_member_with_learning_progress():
    """One member drills a learnable task, the other a task that never changes: the first is chosen more."""
    space = teachers.make("random", MemoryStudent({"x": [], "y": []}).space).space
    t = teachers.make("auto", space, seed=0, members=["sequential", "random"])
    p = {"x": 0.0, "y": 0.0}
    rng = np.random.default_rng(0)
    for _ in range(400):
        task = t.propose()
        if task == "x":
            p["x"] = min(1.0, p["x"] + 0.005)
        t.observe(task, float(rng.random() < p[task]))
    chosen = {m["teacher"]: m["chosen"] for m in t.report()["members"]}
    assert chosen["sequential"] > chosen["random"]


# --------------------------------------------------------------------- twin
TRUE = {
    "a": {"prior": 0.3, "learn": 0.15, "guess": 0.2, "slip": 0.1, "forget": 0.0},
    "b": {"prior": 0.6, "learn": 0.08, "guess": 0.3, "slip": 0.15, "forget": 0.0},
    "c": {"prior": 0.1, "learn": 0.25, "guess": 0.15, "slip": 0.05, "forget": 0.0},
}


def _fitted(params: dict, path) -> str:
    """A saved BKT carrying exactly ``params`` (as ``pedagogy kt fit`` would write it)."""
    users, skills, correct = [], [], []
    for u in range(30):
        for s in params:
            users.append(u)
            skills.append(s)
            correct.append(u % 2)
    model = BKT(n_restarts=1, max_iter=2).fit(Responses.from_arrays(users, skills, np.array(correct)))
    for k in ("prior", "learn", "guess", "slip", "forget"):
        getattr(model, f"{k}_")[:] = [params[s][k] for s in model.skill_names_]
    model.save(path)
    return str(path)


def test_twin_round_trip_gives_back_the_model(tmp_path):
    """Twins of a known BKT population (no prerequisites, no spread), refitted with BKT: parameters within 0.08 (prior) / 0.05."""
    from pedagogy import kt

    path = _fitted(TRUE, tmp_path / "bkt.json")
    sc = twin_scenario(path, {"a": [], "b": [], "c": []}, trait_sigma=0.0)
    users, skills, correct = [], [], []
    for u in range(600):
        lr = sc.factory(u)
        for _ in range(12):
            for s in "abc":
                users.append(u)
                skills.append(s)
                correct.append(int(lr.practice(s)))
    refit = BKT(seed=0).fit(Responses.from_arrays(users, skills, np.array(correct))).params_table()
    assert kt.load(path).params_table()["a"]["learn"] == pytest.approx(0.15)
    for s, p in TRUE.items():
        for k in ("learn", "guess", "slip"):
            assert refit[s][k] == pytest.approx(p[k], abs=0.05), (s, k)
        assert refit[s]["prior"] == pytest.approx(p["prior"], abs=0.08), s


def test_twin_prior_is_conditioned_on_prerequisites_and_graph_errors(tmp_path):
    class Model:
        def params_table(self):
            return {"a": {"prior": 0.8}, "b": {"prior": 0.4}}

        def defaults_(self):
            return {"prior": 0.5, "learn": 0.1, "guess": 0.2, "slip": 0.1, "forget": 0.0}

    p = twin_params(Model(), {"a": [], "b": ["a"], "new": ["b"]})
    assert p["a"]["prior"] == 0.8 and p["b"]["prior"] == pytest.approx(0.5) and p["new"]["prior"] == 1.0
    bad = tmp_path / "g.json"
    bad.write_text(json.dumps({"a": ["b"], "b": ["a"]}))
    with pytest.raises(ValueError):
        read_graph(bad)
    with pytest.raises(ValueError, match="fitted pedagogy.kt.BKT"):
        twin_params(object(), {"a": []})


def test_bench_students_from_cli(tmp_path, capsys):
    from pedagogy.cli import main

    model = _fitted(TRUE, tmp_path / "bkt.json")
    graph = tmp_path / "course.json"
    graph.write_text(json.dumps({"a": [], "b": ["a"], "c": ["a", "b"]}))
    out = tmp_path / "out"
    code = main(
        [
            "bench",
            "--students-from",
            model,
            "--graph",
            str(graph),
            "--teachers",
            "mastery,random",
            "--seeds",
            "2",
            "--budget",
            "150",
            "--jobs",
            "1",
            "--no-plots",
            "--no-progress",
            "--out",
            str(out),
        ]
    )
    assert code == 0
    results = json.loads((out / "results.json").read_text())
    assert list(results["scenarios"]) == ["students-twin"]
    # the twins are students learners, so the oracle reference row runs too
    assert set(results["scenarios"]["students-twin"]["teachers"]) == {"mastery", "random", "oracle"}
    assert main(["bench", "--graph", str(graph)]) == 2
    assert "go together" in capsys.readouterr().err
