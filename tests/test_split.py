"""The dev/test split of learners (:mod:`pedagogy.sim.split`) and ``pedagogy bench --split/--variants``."""

from __future__ import annotations

import json

import numpy as np
import pytest

from pedagogy import bench, cli, sim, teachers
from pedagogy.bench.loop import run_one
from pedagogy.bench.plan import RunSpec
from pedagogy.sim import split
from pedagogy.sim.graphs import random_graph
from pedagogy.spaces import SkillGraph


def _builtin_scenarios() -> list[str]:
    """The scenarios pedagogy.sim registers on import (not ones built at run time, e.g. a twin of a user's fitted KT model)."""
    return [
        s
        for s in sim.scenarios()
        if getattr(sim.get_scenario(s).factory, "__module__", "").startswith("pedagogy.sim.")
        and not sim.get_scenario(s).factory.__module__.endswith(".twin")
    ]


def _drive(learner, seed: int = 0, steps: int = 30) -> dict[str, float]:
    """A fixed random teacher for ``steps`` practice calls; the learner's evaluate() afterwards."""
    t = teachers.make("random", learner.space, seed=seed)
    for _ in range(steps):
        tasks = t.propose(1)
        t.observe(tasks, learner.practice_many(tasks))
    return learner.evaluate()


def test_every_built_in_family_has_a_generator():
    built_in = _builtin_scenarios()
    assert len(built_in) >= 14
    missing = [s for s in built_in if not split.has_variants(s)]
    assert not missing, f"scenario families without a variant generator: {missing}"
    assert set(built_in) <= set(split.families())


def test_dev_and_test_never_overlap_and_seed_0_is_dev():
    dev, test = split.variant_seeds("dev", 200), split.variant_seeds("test", 200)
    assert dev[0] == 0 and not set(dev) & set(test)
    assert all(split.split_of(s) == "dev" for s in dev) and all(split.split_of(s) == "test" for s in test)
    for family in split.families():
        names_dev = {v.name for v in split.variants(family, "dev", 3)}
        names_test = {v.name for v in split.variants(family, "test", 3)}
        assert not names_dev & names_test
        assert family in names_dev  # seed 0: the registered scenario itself


@pytest.mark.parametrize("family", _builtin_scenarios())
def test_variants_are_deterministic_by_seed_and_differ(family):
    a, b = split.variant(family, 3), split.variant(family, 3)
    assert a.name == b.name == f"{family}@3" and a.description == b.description
    assert a.factory.args == b.factory.args  # the same drawn learner arguments
    # the same learner seed and the same teacher give the same learner history
    assert _drive(a.factory(11)) == _drive(b.factory(11))
    # variants keep what the bench needs from the family
    base = sim.get_scenario(family)
    assert (a.metric, a.batch, a.budget_quick, a.targets, a.lower_is_better) == (
        base.metric,
        base.batch,
        base.budget_quick,
        base.targets,
        base.lower_is_better,
    )
    assert type(a.factory(0).space) is type(base.factory(0).space)
    # other seeds draw other learners
    descriptions = {split.variant(family, s).description.split(": ", 1)[1] for s in split.variant_seeds("test", 4)}
    assert len(descriptions) >= 3, descriptions


def test_seed_0_is_todays_scenario_bit_for_bit():
    for family in ("students", "grid-2d", "llm-mix-noisy"):
        assert split.variant(family, 0) is sim.get_scenario(family)
    # a run on variant 0 is the run without any variant (the RunSpec default)
    for family in ("students-forgetting", "rugged"):
        plain = RunSpec(family, "random", 0, 123, 456, 200)
        explicit = RunSpec(family, "random", 0, 123, 456, 200, variant=0)
        a, b = run_one(plain), run_one(explicit)
        assert a["curve"] == b["curve"] and "error" not in a
    res = bench.run(scenarios=["students"], teachers=["random"], seeds=2, budget=60, split="dev", variants=1)
    runs = res["scenarios"]["students"]["teachers"]["random"]["runs"]
    assert [r["variant"] for r in runs] == [0, 0]
    for r in runs:  # identical to a run of the registered scenario with the same seeds
        again = run_one(RunSpec("students", "random", r["seed_index"], r["learner_seed"], r["teacher_seed"], 60))
        assert again["curve"] == r["curve"]


def test_bench_runs_each_seed_on_a_variant_of_its_split():
    res = bench.run(scenarios=["students", "skills"], teachers=["random"], seeds=3, budget=40, split="test", variants=2)
    assert res["format"] == "pedagogy.bench/2"
    assert res["meta"]["split"] == "test" and res["meta"]["variants"] == 2
    for s in ("students", "skills"):
        info = res["scenarios"][s]
        assert [v["seed"] for v in info["variants"]] == [1, 3]
        assert all(v["split"] == "test" and v["description"] for v in info["variants"])
        for name, t in info["teachers"].items():
            assert [r["variant"] for r in t["runs"]] == [1, 3, 1], name  # seed index i -> variant i mod 2
    assert not res["failures"]


def test_scenarios_without_a_generator_run_as_registered():
    from pedagogy.sim.base import _SCENARIOS, Scenario

    sc = Scenario("split-test-plain", "no generator", lambda seed: sim.get_scenario("students").factory(seed), 30, 30, evaluations=2)
    sim.register_scenario(sc)
    try:
        assert not split.has_variants(sc.name)
        res = bench.run(scenarios=[sc.name], teachers=["random"], seeds=2, budget=20, split="test")
        assert [r["variant"] for r in res["scenarios"][sc.name]["teachers"]["random"]["runs"]] == [0, 0]
        with pytest.raises(ValueError, match="'split-test-plain' has no variant generator"):
            split.variant(sc.name, 1)
    finally:
        _SCENARIOS.unregister(sc.name)


def test_bad_input_is_rejected_with_a_clear_message():
    with pytest.raises(ValueError, match="split must be one of dev, test, got 'train'"):
        split.variant_seeds("train", 2)
    with pytest.raises(ValueError, match="number of variants must be an integer >= 1, got 0"):
        split.variant_seeds("dev", 0)
    for bad in (-1, 1.5, True, "3"):
        with pytest.raises(ValueError, match="variant seed must be an integer >= 0"):
            split.variant("students", bad)
    with pytest.raises(ValueError, match="unknown scenario"):
        split.variant("no-such-family", 1)
    gen = split._GENERATORS["students"]
    with pytest.raises(ValueError, match="'students' already has a variant generator"):
        split.register_variants("students", lambda base, seed: base)
    assert split._GENERATORS["students"] is gen  # unchanged
    with pytest.raises(bench.BenchError, match="argument 'split' must be"):
        bench.run(scenarios=["students"], teachers=["random"], split="train")
    with pytest.raises(bench.BenchError, match="argument 'variants' must be"):
        bench.run(scenarios=["students"], teachers=["random"], variants=0)


def test_draw_with_names_a_bad_draw():
    from pedagogy.sim.students import StudentsLearner

    gen = split.draw_with(StudentsLearner, lambda rng: {"trait_sigma": 99.0}, lambda p: "bad")
    with pytest.raises(ValueError, match=r"variant 5 of 'students' is not a valid StudentsLearner: .*trait_sigma"):
        gen(sim.get_scenario("students"), 5)


def test_random_graphs_are_valid_dags_and_deterministic():
    for seed in range(20):
        g = random_graph(np.random.default_rng(seed), 12)
        assert g == random_graph(np.random.default_rng(seed), 12)
        SkillGraph(g)  # acyclic, every prerequisite is a skill
        assert len(g) == 12 and all(len(p) <= 2 for p in g.values())
    with pytest.raises(ValueError, match="n_skills must be >= 1"):
        random_graph(np.random.default_rng(0), 0)


@pytest.fixture
def bench_only_cli(monkeypatch):
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("pedagogy.bench.cli",))


def test_cli_split_and_variants(tmp_path, capsys, bench_only_cli):
    out = tmp_path / "o"
    argv = ["bench", "--scenarios", "students", "--teachers", "random", "--seeds", "2", "--budget", "30", "--no-plots", "--no-progress"]
    assert cli.main([*argv, "--split", "dev", "--variants", "1", "--out", str(out)]) == 0
    res = json.loads((out / "results.json").read_text())
    assert res["meta"]["split"] == "dev" and res["meta"]["variants"] == 1
    assert "--split dev" in res["meta"]["command"] and "--variants 1" in res["meta"]["command"]
    text = capsys.readouterr().out
    assert "split: dev" in text
    assert "split: dev" in (out / "summary.md").read_text() and "split: dev" in (out / "report.html").read_text()
    assert cli.main([*argv, "--out", str(out)]) == 0  # the default is the test split
    res = json.loads((out / "results.json").read_text())
    assert res["meta"]["split"] == "test" and res["meta"]["variants"] == 2
    assert "variant 1 (test)" in capsys.readouterr().out
    for bad, needle in ((["--split", "train"], "invalid choice"), (["--variants", "0"], "--variants must be an integer >= 1")):
        try:
            code = cli.main([*argv, "--out", str(tmp_path / "x"), *bad])
        except SystemExit as exc:
            code = exc.code
        assert code == 2 and needle in capsys.readouterr().err


# ------------------------------------------------ learner options the variants draw (defaults = today's learners)
def _cube_centre(i: int, j: int, n: int) -> list[float]:
    return [(i + 0.5) / n, (j + 0.5) / n]


def _practise(learner, task, times: int) -> None:
    for _ in range(times):
        learner.practice(np.array(task))


def test_grid_unlock_rule_and_start_corner():
    from pedagogy.sim.grid import GridLearner

    for unlock, diagonal_learns in (("diagonal", True), ("axis", False)):
        g = GridLearner(cubes_per_dim=3, increment=25.0, unlock=unlock)
        _practise(g, _cube_centre(0, 0, 3), 3)  # 75: mastered
        before = g.evaluate()["mean_competence"]
        _practise(g, _cube_centre(1, 1, 3), 1)  # the diagonal neighbour
        assert (g.evaluate()["mean_competence"] > before) is diagonal_learns, unlock
    g = GridLearner(cubes_per_dim=3, increment=25.0, start_corner=3)  # both dimensions mirrored: start at the top corner
    _practise(g, _cube_centre(0, 0, 3), 3)
    assert g.evaluate()["mean_competence"] == 0.0
    _practise(g, _cube_centre(2, 2, 3), 3)
    assert g.evaluate()["mastered_fraction"] == pytest.approx(1 / 9)
    assert np.allclose(g.oracle_task(), _cube_centre(1, 2, 3)) or np.allclose(g.oracle_task(), _cube_centre(2, 1, 3))
    for kw, needle in (({"start_corner": 4}, "start_corner must be < 2\\*\\*dims = 4"), ({"unlock": "any"}, "unlock")):
        with pytest.raises(ValueError, match=needle):
            GridLearner(cubes_per_dim=3, **kw)


def test_power_law_forgetting_keeps_the_half_life_and_a_longer_tail():
    from pedagogy.sim.memory import MemoryStudent

    graph = {"a": []}
    recalls = {}
    for d in (0.0, 0.5):
        m = MemoryStudent(graph, seed=0, prior=0.0, trait_sigma=0.0, learn=1.0, power_decay=d)
        m.practice("a")  # learned now (learn = 1)
        m._h[0] = 30.0  # a half-life of 30 answers (a lucky guess would have grown it)
        m.answers = m._last[0] + 30
        at_half = m.recall(0)
        m.answers += 90
        recalls[d] = (at_half, m.recall(0))
    assert recalls[0.0][0] == pytest.approx(0.5) and recalls[0.5][0] == pytest.approx(0.5)
    assert recalls[0.5][1] > recalls[0.0][1] * 2  # the power law's long tail
    with pytest.raises(ValueError, match="power_decay"):
        MemoryStudent(graph, power_decay=-1.0)


def test_llm_mix_cross_transfer_and_per_prompt_noise():
    from pedagogy.sim.llm_mix import LLMMixLearner

    for cross, moves in ((0.0, False), (0.3, True)):
        m = LLMMixLearner(cross_transfer=cross, seed=0)
        before = m.success_probability("code/level1")
        for _ in range(200):
            m.practice("math/level1")
        assert (m.success_probability("code/level1") > before) is moves, cross
    adv = {}
    for model in ("coin", "per-prompt"):
        m = LLMMixLearner(noisy_sources=["noise"], noise_model=model, seed=1)
        adv[model] = np.mean([m.practice("noise/level1") for _ in range(2000)])
    assert adv["per-prompt"] < adv["coin"] - 0.1  # per-prompt coins agree more often: a weaker trap signal
    with pytest.raises(ValueError, match="noise_model"):
        LLMMixLearner(noise_model="gauss")
