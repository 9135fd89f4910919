"""PromptLearner (prompt-level GRPO) dynamics and the ``prompts`` / ``prompts-noisy`` scenarios."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from pedagogy import bench, sim, teachers
from pedagogy.bench import loop
from pedagogy.bench.plan import ORACLE, RunSpec
from pedagogy.sim.prompts import DAPO_UNIFORM, PromptLearner

SMALL = {"sources": ("a", "b"), "prompts": 200, "held_out": 100, "noisy_sources": ("n",)}


def _prompts(learner: PromptLearner, source: str) -> list[str]:
    return [t for t in learner.space.tasks if t.startswith(source + "/")]


def _state(learner: PromptLearner) -> str:
    return json.dumps([learner.evaluate(), learner.rng.bit_generator.state], sort_keys=True, default=str)


def test_same_seed_same_run_other_seed_other_prompts():
    runs = []
    for seed in (3, 3, 4):
        learner = PromptLearner(seed=seed, **SMALL)
        rng = np.random.default_rng(0)
        tasks = [learner.space.tasks[i] for i in rng.integers(0, learner.space.n, 300)]
        runs.append((learner.practice_many(tasks), learner.evaluate(), learner.space.difficulty.tolist()))
    assert runs[0] == runs[1]
    assert runs[0][2] != runs[2][2] and runs[0][1] != runs[2][1]


def test_rollouts_are_counted_per_group():
    learner = PromptLearner(group=6, **SMALL)
    learner.practice_many(learner.space.tasks[:5])
    learner.practice(learner.space.tasks[7])
    assert learner.steps == 6 and learner.rollouts == 36


def test_scores_follow_the_signal():
    learner = PromptLearner(seed=1, **SMALL)
    easy = min(_prompts(learner, "a"), key=lambda t: -learner.pass_rate(t))
    adv = [learner.practice(easy) for _ in range(50)]
    # mean |advantage| of a 0/1 group with success share q: 2 q (1 - q) / sqrt(q (1 - q)) = 2 sqrt(q (1 - q)), 0 when all agree
    allowed = [2 * np.sqrt(k / 8 * (1 - k / 8)) for k in range(9)]
    assert all(min(abs(a - v) for v in allowed) < 1e-5 for a in adv) and any(a > 0 for a in adv)
    learner.use_signal("success_rate")
    rates = [learner.practice(easy) for _ in range(50)]
    assert all(r in {k / 8 for k in range(9)} for r in rates)
    assert learner.informative(0.5) and not learner.informative(1.0) and not learner.informative(0.0)
    with pytest.raises(ValueError, match="unknown signal 'loss'"):
        learner.use_signal("loss")


def test_training_transfers_to_neighbours_of_the_same_source_only():
    learner = PromptLearner(seed=2, rate=0.05, **SMALL)
    before = learner.evaluate()
    a = _prompts(learner, "a")
    d = {t: learner.space.difficulty[learner.space.index(t)] for t in a}
    practised = [t for t in a if d[t] <= 3][:20]  # easy prompts of source a
    neighbour = next(t for t in a if d[t] <= 3 and t not in practised)
    far = next(t for t in a if d[t] >= 9)
    p_neighbour, p_far = learner.pass_rate(neighbour), learner.pass_rate(far)
    b_rates = [learner.pass_rate(t) for t in _prompts(learner, "b")]
    for _ in range(30):
        learner.practice_many(practised)
    after = learner.evaluate()
    assert after["accuracy/a"] > before["accuracy/a"] + 0.05  # held-out prompts of a, never practised, got better
    assert learner.pass_rate(neighbour) > p_neighbour + 0.05  # a neighbour in difficulty gained
    assert learner.pass_rate(far) - p_far < (learner.pass_rate(neighbour) - p_neighbour) / 5  # a far harder one much less
    assert [learner.pass_rate(t) for t in _prompts(learner, "b")] == b_rates  # another source: nothing
    assert after["accuracy/b"] == before["accuracy/b"]


def test_noisy_source_reward_is_a_coin_whatever_the_training():
    learner = PromptLearner(seed=5, signal="success_rate", **SMALL)
    noisy = _prompts(learner, "n")

    def noisy_mean() -> float:
        return float(np.mean(learner.practice_many(noisy)))

    first = noisy_mean()
    real = _prompts(learner, "a") + _prompts(learner, "b")
    for _ in range(10):
        learner.practice_many(real)
    assert learner.evaluate()["mean_accuracy"] > 0.3  # the model learned a lot ...
    last = noisy_mean()
    for m in (first, last):  # ... and the noisy rewards are still a fair coin: 1,600 rollouts, 5 standard errors
        assert abs(m - 0.5) < 5 * 0.5 / np.sqrt(8 * len(noisy))
    ev = learner.evaluate()
    learner.practice_many(noisy * 3)  # practising the noisy source changes nothing real
    assert learner.evaluate() == ev and ev["accuracy/n"] == 0.5


def test_trivial_and_unlearnable_sources_never_change():
    learner = PromptLearner(seed=6, **SMALL)
    before = learner.evaluate()
    assert before["accuracy/echo"] > 0.99 and before["accuracy/parity"] < 0.001
    learner.practice_many((_prompts(learner, "echo") + _prompts(learner, "parity")) * 2)
    assert learner.evaluate() == before


def test_bad_input_is_rejected_with_a_clear_message():
    learner = PromptLearner(**SMALL)
    with pytest.raises(ValueError, match="unknown prompt 'zzz'"):
        learner.practice("zzz")
    assert learner.steps == 0
    with pytest.raises(ValueError, match="'a' is used twice"):
        PromptLearner(sources=("a", "b"), noisy_sources=("a",))
    with pytest.raises(ValueError, match="parameter 'prompts'"):
        PromptLearner(prompts=0)
    with pytest.raises(ValueError, match="parameter 'sources'"):
        PromptLearner(sources=("a/b",))


def test_oracle_is_a_real_prompt_changes_nothing_and_beats_random():
    learner = sim.make("prompts-noisy", seed=3)
    learner.practice_many(learner.space.tasks[::50])
    before = _state(learner)
    task = learner.oracle_task()
    assert learner.source_of(task) in learner.sources
    assert _state(learner) == before and learner.oracle_task() == task

    def final(oracle: bool, seed: int) -> float:
        spec = RunSpec("prompts-noisy", ORACLE if oracle else "random", 0, seed, seed + 1, 800, False, 0, "", {}, oracle)
        out = loop.run_one(spec)
        assert "error" not in out, out.get("traceback")
        return float(out["curve"]["mean_accuracy"][-1])

    for seed in (0, 1):
        assert final(True, seed) > final(False, seed)


def test_bench_runs_the_dapo_uniform_row_and_counts_its_dropped_rollouts():
    res = bench.run(scenarios=["prompts"], teachers=["random"], seeds=1, budget=203)  # 40 evaluations closer than a batch
    rows = res["scenarios"]["prompts"]["teachers"]
    assert {"random", DAPO_UNIFORM.name, ORACLE} <= set(rows)
    assert len({tuple(t["runs"][0]["episodes"]) for t in rows.values()}) == 1  # every row evaluated at the same episodes
    ds = rows[DAPO_UNIFORM.name]["runs"][0]["dynamic_sampling"]
    assert ds["groups"] == 203 and ds["rollouts"] == 203 * 8  # the budget is spent, dropped groups included
    assert 0 < ds["dropped_groups"] < 203 and ds["dropped_rollouts"] == 8 * ds["dropped_groups"]
    assert "dynamic_sampling" not in rows["random"]["runs"][0]
    checks = {c["target"]: c for c in res["targets"]}
    wanted = [c for t, c in checks.items() if t.startswith("learnability")]
    if "learnability" not in teachers.available():
        assert wanted and wanted[0]["met"] is None and "did not run" in wanted[0]["detail"]


def test_dynamic_sampling_needs_a_learner_of_groups():
    spec = RunSpec("skills", "random", 0, 1, 2, 20, False, 0, "", {}, False, dynamic_sampling=True)
    out: dict[str, Any] = loop.run_one(spec)
    assert "informative()" in out["error"] and "SkillsLearner" in out["error"]


def test_prompt_level_teachers_get_each_prompts_source(monkeypatch):
    learner = PromptLearner(**SMALL)
    assert learner.task_groups == [learner.source_of(t) for t in learner.space.tasks]
    from tests._grouped_teacher import registered

    made: dict[str, Any] = {}
    make = teachers.make

    def spy(name: str, space: Any, **kw: Any) -> Any:
        made[name] = kw
        return make(name, space, **kw)

    monkeypatch.setattr(teachers, "make", spy)
    with registered() as name:  # a teacher with a groups= option gets the learner's task_groups in the bench loop
        for teacher in (name, "random"):
            out = loop.run_one(RunSpec("prompts", teacher, 0, 1, 2, 16, False, 0))
            assert "error" not in out, out.get("traceback")
    assert made[name]["groups"] == sim.make("prompts").task_groups and "groups" not in made["random"]
