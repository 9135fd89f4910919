"""The oracle reference (``Learner.oracle_task``) and the ``llm-mix-noisy`` scenario's coin-flip sources."""

from __future__ import annotations

import copy
import json
from typing import Any

import numpy as np
import pytest

from pedagogy import bench, sim, teachers
from pedagogy.bench import loop
from pedagogy.bench.plan import ORACLE, RunSpec
from pedagogy.bench.report import write_report
from pedagogy.sim.grid import GridLearner
from pedagogy.sim.llm_mix import NOISY_SOURCES, LLMMixLearner
from pedagogy.sim.skills import SKILLS_GRAPH, SKILLS_UNLEARNABLE, SkillsLearner
from pedagogy.sim.students import StudentsLearner

#: a learner of every kind implements the oracle (each scenario's factory, seed 3)
ORACLE_SCENARIOS = [
    "grid-2d",
    "forgetting",
    "rugged",
    "mostly-trivial",
    "mostly-unlearnable",
    "high-dim",
    "skills",
    "students",
    "llm-mix",
    "llm-mix-noisy",
]


def _state(learner: Any) -> str:
    """Everything that can change when a learner practises: its evaluation and its random generator."""
    return json.dumps([learner.evaluate(), learner.rng.bit_generator.state], sort_keys=True, default=str)


@pytest.mark.parametrize("scenario", ORACLE_SCENARIOS)
def test_oracle_task_is_a_valid_task_and_changes_nothing(scenario):
    learner = sim.make(scenario, seed=3)
    for t in learner.space.sample(np.random.default_rng(0), 25):  # somewhere along a run, not only at the start
        learner.practice(t)
    before = _state(learner)
    task = learner.oracle_task()
    assert learner.space.contains(task), task
    assert _state(learner) == before  # reading the ground truth is not practice
    assert np.array_equal(np.asarray(learner.oracle_task()), np.asarray(task))  # same state, same pick


def _final(scenario: str, oracle: bool, budget: int, seed: int, key: str | None = None) -> float:
    sc = sim.get_scenario(scenario)
    spec = RunSpec(scenario, ORACLE if oracle else "random", 0, seed, seed + 1, budget, False, 0, "", {}, oracle)
    out = loop.run_one(spec)  # the oracle goes through the same loop as every teacher
    assert "error" not in out, out.get("traceback")
    return out["curve"][key or sc.metric][-1]


@pytest.mark.parametrize(
    "scenario, budget",
    [("grid-2d", 600), ("forgetting", 600), ("rugged", 600), ("skills", 400), ("students", 120), ("llm-mix", 800), ("llm-mix-noisy", 800)],
)
def test_oracle_beats_random_on_a_tiny_budget(scenario, budget):
    for seed in (0, 1):
        assert _final(scenario, True, budget, seed) > _final(scenario, False, budget, seed), seed


def test_oracle_rules_per_learner():
    grid = GridLearner(seed=0)
    assert grid.cube_of(grid.oracle_task()) == 0  # only the start cube is unlocked
    for _ in range(75):
        grid.practice(grid.oracle_task())
    assert grid.evaluate()["mastered_fraction"] == pytest.approx(0.01)  # mastered in exactly 75 episodes
    assert grid.cube_of(grid.oracle_task()) != 0  # then moves on to an unlocked neighbour
    rugged = GridLearner(difficulty="rugged", seed=4)
    assert rugged._is_unlocked(rugged.cube_of(rugged.oracle_task()), 0)  # the start cube wherever the shuffle put it
    skills = SkillsLearner(SKILLS_GRAPH, unlearnable=SKILLS_UNLEARNABLE, seed=0)
    assert skills.oracle_task() == "add1"  # first in topological order, never the unlearnable noise tasks
    student = StudentsLearner(seed=5)
    task = student.oracle_task()
    assert not student.knows(task) and all(student.knows(p) for p in student.space.prerequisites[task])
    llm = LLMMixLearner(noisy_sources=NOISY_SOURCES, seed=0)
    assert llm.oracle_task().endswith("level1") and not llm.oracle_task().startswith("noisy")


def test_bench_oracle_row_is_shown_never_ranked():
    res = bench.run(scenarios=["students", "llm-mix"], teachers=["random", "sec"], seeds=2, budget=80, jobs=1)
    assert ORACLE not in teachers.available() and res["meta"]["oracle"] == ["students", "llm-mix"]
    for s in ("students", "llm-mix"):
        info = res["scenarios"][s]
        orc = info["teachers"][ORACLE]
        assert orc["oracle"] is True and orc["rank"] is None and len(orc["runs"]) == 2
        assert orc["ratio_to_oracle"] == pytest.approx(1.0)
        rnd = info["teachers"]["random"]
        assert rnd["ratio_to_oracle"] == pytest.approx(rnd["final_mean"] / orc["final_mean"])
        assert [r["learner_seed"] for r in orc["runs"]] == [r["learner_seed"] for r in rnd["runs"]]  # the same learners
        assert info["best_teacher"] != ORACLE
    assert ORACLE not in {row["teacher"] for row in res["leaderboard"]}
    with pytest.raises(bench.BenchError, match="unknown teacher 'oracle'"):
        bench.run(scenarios=["students"], teachers=[ORACLE], seeds=1, budget=10)
    again = bench.run(scenarios=["students", "llm-mix"], teachers=["random", "sec"], seeds=2, budget=80, jobs=2)
    key = ("final_mean", "ratio_to_oracle", "budget_ratio_to_oracle")
    assert [[t.get(k) for k in key] for t in again["scenarios"]["llm-mix"]["teachers"].values()] == [
        [t.get(k) for k in key] for t in res["scenarios"]["llm-mix"]["teachers"].values()
    ]  # seeded: same numbers


def test_oracle_in_reports_and_excluded_from_targets(tmp_path):
    res = bench.run(scenarios=["llm-mix"], teachers=["random", "dump"], seeds=1, budget=400, jobs=1)
    write_report(res, tmp_path, plots=False)
    summary = (tmp_path / "summary.md").read_text()
    assert "`oracle` (reference, reads the ground truth)" in summary and "Against the oracle" in summary
    page = (tmp_path / "report.html").read_text()
    assert "÷ oracle" in page and ">ref<" in page
    # a "best teacher" target never picks the oracle, even when it is the best row
    from pedagogy.bench.targets import judge
    from pedagogy.sim.targets import Final, Target

    info = copy.deepcopy(res["scenarios"]["llm-mix"])
    info["teachers"][ORACLE]["curve_mean"]["mean_accuracy"][-1] = 9.0
    row = judge("llm-mix", Target("best", Final(), 0.0), info)
    assert ORACLE not in row["detail"]


# ------------------------------------------------------------ llm-mix-noisy
def test_noisy_sources_never_improve_and_look_learnable():
    learner = sim.make("llm-mix-noisy", seed=0)
    noisy = [t for t in learner.space.tasks if t.split("/")[0] in NOISY_SOURCES]
    assert len(noisy) == 8 and learner.space.n == 20
    before = learner.evaluate()
    adv = [learner.practice(noisy[i % 8]) for i in range(2000)]
    after = learner.evaluate()
    assert after == before  # 2,000 steps on coin-flip sources: nothing learned, nothing transferred, nothing forgotten
    assert all(after[f"accuracy/{t}"] == 0.5 for t in noisy)
    assert np.mean(adv) > 0.9  # ... yet their mean |advantage| is near its maximum: the DUMP/SEC trap
    learner.use_signal("success_rate")
    rates = [learner.practice(noisy[0]) for _ in range(2000)]
    assert abs(np.mean(rates) - 0.5) < 0.02 and learner.evaluate() == before
    assert learner.success_probability(noisy[3]) == 0.5
    assert set(learner.space.tasks[:12]) == set(sim.make("llm-mix", seed=0).space.tasks)  # the real distributions are llm-mix's


def test_llm_mix_default_signal_and_metric_unchanged():
    plain, noisy = sim.make("llm-mix", seed=2), sim.make("llm-mix-noisy", seed=2)
    assert plain.signal == "advantage" and noisy.signal == "advantage"
    tasks = [f"math/level{1 + i % 2}" for i in range(300)]
    assert plain.practice_many(tasks) == noisy.practice_many(tasks)  # same seed, same real tasks: same run
    assert plain.evaluate()["mean_accuracy"] == noisy.evaluate()["mean_accuracy"]
    with pytest.raises(ValueError, match="unknown signal 'loss'"):
        plain.use_signal("loss")
    with pytest.raises(ValueError, match="both a real and a noisy source"):
        LLMMixLearner(noisy_sources=["math"])
    with pytest.raises(ValueError, match="signal"):
        LLMMixLearner(signal="reward")
    with pytest.raises(ValueError, match="has no signal"):
        GridLearner().use_signal("success_rate")
    for name in ("llm-mix", "llm-mix-noisy"):
        signals = sim.get_scenario(name).signals
        assert signals["sec-lp"] == signals["lp"] == signals["mastery"] == "success_rate"
        assert "dump" not in signals and "sec" not in signals  # they observe |advantage|, what they document
