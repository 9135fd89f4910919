"""``pedagogy bench``: the runner, the results schema, reproducibility, the report files and the CLI."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest

from pedagogy import bench, cli, teachers
from pedagogy.bench import runner
from pedagogy.sim import base as sim_base
from pedagogy.sim.base import Learner, Scenario
from pedagogy.spaces import Box, Discrete
from pedagogy.teachers.base import Teacher

DISC = "bench-test-discrete"
BOX = "bench-test-box"
GREEDY = "bench-test-greedy"


class TinyDiscreteLearner(Learner):
    """Six tasks; tasks 0-2 are learnable (success probability rises with practice), 3-5 never are."""

    def __init__(self, seed: int):
        self.space = Discrete([f"t{i}" for i in range(6)])
        self.rng = np.random.default_rng(seed)
        self.p = np.zeros(6)
        self.rate = 0.05 + 0.05 * self.rng.random()  # learners differ by seed

    def practice(self, task: Any) -> float:
        i = self.space.index(task)
        score = float(self.rng.random() < self.p[i])
        if i < 3:
            self.p[i] += self.rate * (1.0 - self.p[i])
        return score

    def evaluate(self) -> dict[str, float]:
        return {"mastered_fraction": float(np.mean(self.p[:3] > 0.6)), "mean_p": float(self.p.mean())}


class TinyBoxLearner(Learner):
    """A 2-D box; the left half is learnable cell by cell (4x4 grid)."""

    def __init__(self, seed: int):
        self.space = Box([0.0, 0.0], [1.0, 1.0], names=["u", "v"])
        self.rng = np.random.default_rng(seed)
        self.p = np.zeros((4, 4))

    def practice(self, task: Any) -> float:
        i, j = np.minimum((np.asarray(task) * 4).astype(int), 3)
        p = self.p[i, j]
        if i < 2:
            self.p[i, j] = p + 0.1 * (1 - p)
        return float(p + 0.05 * self.rng.standard_normal())

    def evaluate(self) -> dict[str, float]:
        return {"mastered_fraction": float(np.mean(self.p > 0.5)), "error": float(1.0 - self.p.mean())}


class GreedyTeacher(Teacher):
    """Test-only teacher: mostly the discrete task with the best mean score so far (never registered for users)."""

    name = GREEDY
    space_types = (Discrete,)

    def _setup(self) -> None:
        self.sums = [0.0] * self.space.n
        self.counts = [0] * self.space.n

    def _propose(self, n: int) -> list[Any]:
        out = []
        for _ in range(n):
            if self.rng.random() < 0.3:
                out.append(int(self.rng.integers(self.space.n)))
            else:
                means = [(s + 1.0) / (c + 1.0) for s, c in zip(self.sums, self.counts)]
                out.append(int(np.argmax(means)))
        return out

    def _observe(self, task: Any, score: float) -> None:
        self.sums[task] += score
        self.counts[task] += 1

    def _get_state(self) -> dict[str, Any]:
        return {"sums": self.sums, "counts": self.counts}

    def _set_state(self, state: dict[str, Any]) -> None:
        self.sums, self.counts = list(state["sums"]), list(state["counts"])


@pytest.fixture(scope="module", autouse=True)
def tiny_registry():
    """Register the tiny scenarios and the test teacher for this module only."""
    sim_base.register_scenario(Scenario(DISC, "tiny discrete test scenario", TinyDiscreteLearner, budget_quick=60, budget_full=120, evaluations=6, batch=4))
    sim_base.register_scenario(Scenario(BOX, "tiny box test scenario", TinyBoxLearner, budget_quick=50, budget_full=100, evaluations=5,
                                        metric="error", lower_is_better=True))
    teachers.register(GreedyTeacher)
    yield
    sim_base._SCENARIOS.pop(DISC, None)
    sim_base._SCENARIOS.pop(BOX, None)
    teachers.REGISTRY.unregister(GREEDY)


def _run(**kw: Any) -> dict[str, Any]:
    args = dict(scenarios=[DISC, BOX], teachers=["random", GREEDY], seeds=2, jobs=1)
    args.update(kw)
    return bench.run(**args)


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    return _run()


def _strip_timing(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _strip_timing(v) for k, v in obj.items() if k not in ("wall_time_s", "meta")}
    if isinstance(obj, list):
        return [_strip_timing(v) for v in obj]
    return obj


# ------------------------------------------------------------------ runner
def test_runner_curves_and_schema(results):
    assert results["format"] == runner.RESULTS_FORMAT
    json.dumps(results, allow_nan=False)  # strict JSON
    meta = results["meta"]
    assert meta["seeds"] == 2 and meta["suite"] == "quick" and meta["budgets"] == {DISC: 60, BOX: 50}
    for key in ("pedagogy", "numpy", "python", "wall_time_s", "base_seed", "command"):
        assert key in meta
    d = results["scenarios"][DISC]
    # evaluations at 0 and after each batch that crosses an evenly spaced point; batch 4 -> multiples of 4
    assert d["episodes"][0] == 0 and d["episodes"][-1] == 60
    assert all(e % 4 == 0 for e in d["episodes"]) and len(d["episodes"]) == 7
    assert set(d["teachers"]) == {"random", GREEDY}
    for name, t in d["teachers"].items():
        assert len(t["runs"]) == 2
        for r in t["runs"]:
            assert set(r["curve"]) == {"mastered_fraction", "mean_p"}
            assert len(r["curve"]["mastered_fraction"]) == len(d["episodes"])
            assert r["final"] == r["curve"]["mastered_fraction"][-1]
            assert r["curve"]["mastered_fraction"][0] == 0.0  # nothing learned before practice
            assert r["wall_time_s"] >= 0
        assert t["final_mean"] == pytest.approx(np.mean([r["final"] for r in t["runs"]]))
        assert 0.0 <= t["auc_mean"] <= 1.0
        assert t["rank"] in (1.0, 1.5, 2.0)
    assert d["teachers"]["random"]["ratio_to_random"] == pytest.approx(1.0)
    # the box learner is not accepted by the discrete-only test teacher: skipped with a reason
    b = results["scenarios"][BOX]
    assert list(b["teachers"]) == ["random"] and GREEDY in b["skipped"]
    assert {row["teacher"] for row in results["leaderboard"]} == {"random", GREEDY}


def test_same_learners_for_every_teacher(results):
    d = results["scenarios"][DISC]["teachers"]
    for i in range(2):
        assert d["random"]["runs"][i]["learner_seed"] == d[GREEDY]["runs"][i]["learner_seed"]
        assert d["random"]["runs"][i]["teacher_seed"] != d[GREEDY]["runs"][i]["teacher_seed"]
    assert d["random"]["runs"][0]["learner_seed"] != d["random"]["runs"][1]["learner_seed"]


def test_box_tasks_are_recorded_and_bounded(monkeypatch):
    monkeypatch.setattr(runner, "MAX_TASK_POINTS", 10)
    res = bench.run(scenarios=[BOX], teachers=["random"], seeds=1, budget=45, jobs=1)
    tasks = res["scenarios"][BOX]["teachers"]["random"]["tasks"]
    assert len(tasks["episode"]) == len(tasks["x"]) <= 10
    assert tasks["episode"] == sorted(tasks["episode"]) and tasks["episode"][-1] < 45
    assert all(len(x) == 2 and 0.0 <= min(x) and max(x) <= 1.0 for x in tasks["x"])
    assert "tasks" not in res["scenarios"][BOX]["teachers"]["random"]["runs"][0]


def test_discrete_task_counts(results):
    d = results["scenarios"][DISC]
    for name, t in d["teachers"].items():
        tasks = t["tasks"]
        assert tasks["names"] == [f"t{i}" for i in range(6)]
        counts = np.asarray(tasks["counts"])
        assert counts.shape == (runner.TASK_BINS, 6) and counts.sum() == d["budget"]
        assert counts.sum(axis=1).tolist() == [3] * 20  # 60 episodes in 20 equal bins
    # the greedy test teacher concentrates on a few tasks; random spreads out
    greedy = np.asarray(d["teachers"][GREEDY]["tasks"]["counts"]).sum(axis=0)
    assert greedy.max() > 20


def test_lower_is_better_ranks_and_budget_to_reach():
    assert runner._ranks({"a": 0.2, "b": 0.5, "c": 0.5}, lower_is_better=False) == {"a": 3.0, "b": 1.5, "c": 1.5}
    assert runner._ranks({"a": 0.2, "b": 0.5}, lower_is_better=True) == {"a": 1.0, "b": 2.0}
    a, b = 0.1 + 0.2, 0.3  # equal up to rounding
    assert a != b
    assert runner._ranks({"a": a, "b": b, "c": 0.0}, lower_is_better=False) == {"a": 1.5, "b": 1.5, "c": 3.0}
    # reaches 0.5 halfway between episodes 10 and 20 of a budget of 40
    assert runner.budget_to_reach([0, 10, 20, 40], [0.0, 0.4, 0.6, 0.9], 0.5, 40) == pytest.approx(15 / 40)
    assert runner.budget_to_reach([0, 10], [0.0, 0.4], 0.5, 10) is None
    assert runner.budget_to_reach([0, 10, 20], [1.0, 0.5, 0.2], 0.5, 20, lower_is_better=True) == pytest.approx(0.5)


def test_mastery_episode_is_timed_by_probes():
    coarse = _run(scenarios=[DISC], teachers=["random"], seeds=1, budget=400, mastery_probes=0)
    fine = _run(scenarios=[DISC], teachers=["random"], seeds=1, budget=400, mastery_probes=100)
    rc = coarse["scenarios"][DISC]["teachers"]["random"]["runs"][0]
    rf = fine["scenarios"][DISC]["teachers"]["random"]["runs"][0]
    assert rc["curve"] == rf["curve"]  # probes do not change the run
    mf, eps = rc["curve"]["mastered_fraction"], rc["episodes"]
    k = mf.index(1.0)  # random masters the three learnable tasks well within 400 episodes
    assert rc["mastery_episode"] == eps[k]
    # the probes find it between the last curve point without mastery and the first one with it, on a batch boundary
    assert eps[k - 1] < rf["mastery_episode"] <= eps[k] and rf["mastery_episode"] % 4 == 0
    assert rf["mastery_episode"] < eps[k]  # 4-episode probes beat 67-episode curve points here
    assert fine["scenarios"][DISC]["teachers"]["random"]["mastery_episode_mean"] == rf["mastery_episode"]


def test_a_raising_run_is_recorded_not_fatal(monkeypatch):
    def boom(self, tasks):
        raise RuntimeError("learner exploded")

    monkeypatch.setattr(TinyDiscreteLearner, "practice_many", boom)
    res = _run(scenarios=[DISC], teachers=["random"], seeds=1)
    assert res["failures"] and "learner exploded" in res["failures"][0]["error"]
    assert res["scenarios"][DISC]["teachers"]["random"]["final_mean"] is None
    with pytest.raises(RuntimeError, match="learner exploded"):
        _run(scenarios=[DISC], teachers=["random"], seeds=1, on_error="raise")


# -------------------------------------------------------- reproducibility
def test_reproducible_bit_for_bit_across_jobs(results):
    again = _run()
    parallel = _run(jobs=2)
    a = json.dumps(_strip_timing(results), sort_keys=True)
    assert a == json.dumps(_strip_timing(again), sort_keys=True)
    assert a == json.dumps(_strip_timing(parallel), sort_keys=True)
    other = _run(base_seed=1)
    assert json.dumps(_strip_timing(other), sort_keys=True) != a


# ------------------------------------------------------------------ targets
def test_target_checks_are_honest():
    def info(finals: dict[str, float], **extra: Any) -> dict[str, Any]:
        return {
            "metric": "mastered_fraction", "budget": 100, "lower_is_better": False, "episodes": [0, 100],
            "teachers": {n: {"curve_mean": {"mastered_fraction": [0.0, v]}, **extra.get(n, {})} for n, v in finals.items()},
        }

    grid_info = info({"random": 0.5, "alp-gmm": 0.3, "x": 0.95})
    short = runner._targets_grid("grid-2d", grid_info)  # below the paper's 20,000 episodes: not judged
    assert [c["met"] for c in short] == [None, None] and "20,000" in short[0]["detail"]
    grid = runner._targets_grid("grid-2d", {**grid_info, "budget": runner.GRID_TARGET_BUDGET})
    assert [c["met"] for c in grid] == [True, False] and grid[1]["value"] == pytest.approx(0.3)
    un = runner._targets_unlearnable("mostly-unlearnable", info({"random": 0.1, "x": 0.25}))
    assert un[0]["met"] is False and un[0]["value"] == pytest.approx(2.5)
    st = runner._targets_students("students", info({"sequential": 1.0, "x": 1.0},
                                                   sequential={"mastery_episode_mean": 100.0}, x={"mastery_episode_mean": 60.0}))
    assert st[0]["met"] is True and st[0]["value"] == pytest.approx(0.4)
    llm = runner._targets_llm("llm-mix", info({"random": 0.5, "dump": 0.6}, dump={"budget_to_random_final": 0.8}))
    assert llm[0]["met"] is False and llm[1]["met"] is None  # sec did not run: not measurable, not "met"


def test_equal_finals_ranked_by_area_under_curve():
    ranks = runner._ranks({"slow": 1.0, "fast": 1.0, "none": 0.5}, False, {"slow": 0.6, "fast": 0.9, "none": 0.1})
    assert ranks == {"fast": 1.0, "slow": 2.0, "none": 3.0}
    tied = runner._ranks({"a": 1.0, "b": 1.0}, False, {"a": 0.5, "b": 0.5})
    assert tied == {"a": 1.5, "b": 1.5}


# ------------------------------------------------------------------- report
def test_report_files(results, tmp_path):
    written = bench.write_report(results, tmp_path / "out")
    out = tmp_path / "out"
    for name in ("results.json", "report.html", f"curves_{DISC}.png", f"curves_{BOX}.png", f"tasks_{BOX}.png"):
        assert (out / name).stat().st_size > 0, name
        if name.endswith(".png"):
            assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / f"tasks_{DISC}.png").stat().st_size > 0  # discrete space: proposals per task over time
    assert json.loads((out / "results.json").read_text()) == json.loads(json.dumps(results))
    summary = (out / "summary.md").read_text()
    assert "| teacher | mean rank (scenarios) |" in summary and f"`{GREEDY}`" in summary and DISC in summary
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == 4
    assert DISC in page and GREEDY in page and "Overall" in page
    assert len(written["figures"]) == 4


# ---------------------------------------------------------------------- CLI
@pytest.fixture(autouse=False)
def bench_only_cli(monkeypatch):
    """Build ``pedagogy`` with the bench subcommand only, so these tests do not depend on other features' modules."""
    monkeypatch.setattr(cli, "_COMMAND_MODULES", ("pedagogy.bench.cli",))


def test_cli_runs_and_writes(tmp_path, capsys, bench_only_cli):
    out = tmp_path / "cli"
    code = cli.main(["bench", "--scenarios", f"{DISC},{BOX}", "--teachers", f"random,{GREEDY}", "--seeds", "2",
                     "--budget", "20", "--jobs", "1", "--out", str(out), "--no-plots"])
    assert code == 0
    captured = capsys.readouterr()
    assert DISC in captured.out and "overall" in captured.out
    assert "6/6" in captured.err  # the progress bar (stderr) counted every run
    res = json.loads((out / "results.json").read_text())
    assert res["meta"]["budgets"] == {DISC: 20, BOX: 20}
    assert "--budget 20" in res["meta"]["command"]
    assert (out / "report.html").exists() and not list(out.glob("*.png"))


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["--teachers", "no-such-teacher"], "unknown teacher 'no-such-teacher'"),
        (["--scenarios", "no-such-scenario"], "unknown scenario 'no-such-scenario'"),
        (["--scenarios", BOX, "--teachers", GREEDY], f"teacher '{GREEDY}' accepts Discrete"),
        (["--seeds", "0"], "--seeds must be an integer >= 1"),
        (["--seeds", "abc"], "--seeds must be an integer >= 1"),
        (["--budget", "-5"], "--budget must be an integer >= 1"),
        (["--jobs", "0"], "--jobs must be an integer >= 1"),
        (["--suite", "huge"], "invalid choice"),
    ],
)
def test_cli_bad_arguments_exit_2_with_one_line(argv, needle, capsys, tmp_path, bench_only_cli):
    try:
        code = cli.main(["bench", "--out", str(tmp_path / "x"), "--no-progress", "--scenarios", DISC, *argv])
    except SystemExit as exc:
        code = exc.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and "Traceback" not in err, err
    assert needle in err and err.startswith("pedagogy bench: error:")
    assert not (tmp_path / "x").exists()


def test_cli_help_and_list(capsys, bench_only_cli):
    with pytest.raises(SystemExit) as exc:
        cli.main(["bench", "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for opt in ("--suite", "--teachers", "--scenarios", "--seeds", "--budget", "--out", "--jobs", "--seed", "--no-plots"):
        assert opt in text
    assert cli.main(["bench", "--list"]) == 0
    assert DISC in capsys.readouterr().out


def test_library_rejects_bad_values():
    for kw, msg in ((dict(seeds=0), "seeds"), (dict(budget=1.5), "budget"), (dict(jobs=-1), "jobs"), (dict(suite="x"), "suite"), (dict(mastery_probes=-1), "mastery_probes")):
        with pytest.raises(bench.BenchError, match=msg):
            _run(**kw)
    assert math.isclose(runner._auc([0, 50, 100], [0.0, 1.0, 1.0], 100), 0.75)
