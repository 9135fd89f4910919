"""Run teachers on simulated-learner scenarios and summarise the results.

The unit of work is a *run*: one teacher on one fresh learner of one scenario
for one seed index.  A run loops over the budget in steps of
``scenario.batch`` proposals (``propose`` -> ``practice_many`` -> ``observe``)
and calls the learner's ground-truth ``evaluate()`` at evenly spaced points to
build mastery curves.  Runs are independent and fully seeded, so they can be
spread over processes and the results do not depend on how they were spread.

:func:`run` returns one plain-JSON ``dict`` (see :data:`RESULTS_FORMAT`) with
every curve, the per-teacher summaries, the leaderboard ranks and the
scenario-specific target checks.
"""

from __future__ import annotations

import math
import os
import platform
import sys
import time
import traceback
import zlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["run", "BenchError", "RESULTS_FORMAT", "SUITES", "resolve_selection", "run_one"]

RESULTS_FORMAT = "pedagogy.bench/1"

#: suite name -> (seeds, which scenario budget)
SUITES: dict[str, tuple[int, str]] = {"quick": (3, "budget_quick"), "full": (10, "budget_full")}

#: most proposed tasks recorded per run for the "where did the teacher send tasks" picture
MAX_TASK_POINTS = 2000
#: time bins and most tasks of the per-task proposal counts recorded for Discrete spaces
TASK_BINS = 20
MAX_DISCRETE_TASKS = 200


class BenchError(ValueError):
    """A bad benchmark request (unknown name, impossible combination, bad number)."""


# --------------------------------------------------------------------- seeds
def _name_key(name: str) -> int:
    # crc32, not hash(): Python salts str hashes per process.
    return zlib.crc32(name.encode("utf-8"))


def derive_seeds(base_seed: int, scenario: str, seed_index: int, teacher: str) -> tuple[int, int]:
    """The (learner seed, teacher seed) of one run.

    The learner seed depends on the base seed, the scenario and the seed index
    only, so every teacher meets the *same* learners at a given seed index;
    the teacher seed also depends on the teacher's name.
    """
    learner = np.random.SeedSequence([base_seed, _name_key(scenario), seed_index]).generate_state(1)[0]
    teacher_s = np.random.SeedSequence([base_seed, _name_key(scenario), seed_index, _name_key(teacher)]).generate_state(1)[0]
    return int(learner), int(teacher_s)


# ----------------------------------------------------------------- selection
def _check_int(value: Any, what: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise BenchError(f"{what} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _space_info(space: Any) -> dict[str, Any]:
    from pedagogy.spaces import Box, Discrete

    if isinstance(space, Box):
        return space.to_dict()
    if isinstance(space, Discrete):
        return {"type": space.kind, "n": space.n}
    return {"type": getattr(space, "kind", type(space).__name__)}


def resolve_selection(
    scenarios: Iterable[str] | None, teachers: Iterable[str] | None
) -> tuple[list[str], list[str], dict[str, list[str]], dict[str, dict[str, str]], dict[str, Any]]:
    """Check the requested names and decide which teacher runs on which scenario.

    Returns ``(scenario names, teacher names, applicable, skipped, spaces)``:
    ``applicable[scenario]`` lists the teachers that accept the scenario's
    space, ``skipped[scenario][teacher]`` says why a teacher does not run, and
    ``spaces[scenario]`` is one learner's space.  Raises :class:`BenchError`
    for an unknown name, an empty selection, or an explicitly requested
    teacher that accepts none of the selected scenarios' spaces.
    """
    from pedagogy import sim
    from pedagogy import teachers as teachers_mod

    explicit_teachers = teachers is not None
    scen_names = _unique(scenarios) if scenarios is not None else sim.scenarios()
    teach_names = _unique(teachers) if teachers is not None else teachers_mod.available()
    if not scen_names:
        raise BenchError("no scenario selected (no scenario is registered, or the list is empty)")
    if not teach_names:
        raise BenchError("no teacher selected")
    for s in scen_names:
        try:
            sim.get_scenario(s)
        except ValueError as exc:
            raise BenchError(str(exc)) from None
    classes = {}
    for t in teach_names:
        try:
            classes[t] = teachers_mod.get(t)
        except ValueError as exc:
            raise BenchError(str(exc)) from None
    spaces: dict[str, Any] = {}
    applicable: dict[str, list[str]] = {}
    skipped: dict[str, dict[str, str]] = {}
    for s in scen_names:
        # A learner's space does not depend on its seed; seed 0 is only a probe.
        space = sim.get_scenario(s).factory(0).space
        spaces[s] = space
        applicable[s] = [t for t in teach_names if isinstance(space, classes[t].space_types)]
        skipped[s] = {
            t: f"accepts {' or '.join(c.__name__ for c in classes[t].space_types)}, not {type(space).__name__}"
            for t in teach_names
            if t not in applicable[s]
        }
    if explicit_teachers:
        for t in teach_names:
            if not any(t in applicable[s] for s in scen_names):
                kinds = ", ".join(f"{s} ({type(spaces[s]).__name__})" for s in scen_names)
                raise BenchError(
                    f"teacher {t!r} accepts {' or '.join(c.__name__ for c in classes[t].space_types)} spaces "
                    f"and cannot run on any selected scenario: {kinds}"
                )
    if not any(applicable.values()):
        raise BenchError("no selected teacher can run on any selected scenario")
    return scen_names, teach_names, applicable, skipped, spaces


def _unique(names: Iterable[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        if not isinstance(n, str) or not n:
            raise BenchError(f"names must be non-empty strings, got {n!r}")
        if n not in out:
            out.append(n)
    return out


# ---------------------------------------------------------------- one run
def _limit_threads() -> Any:
    """Run numerical libraries single-threaded (returns a context to undo it).

    Parallelism comes from processes; one BLAS/torch thread per run also keeps
    floating-point reductions identical whatever ``jobs`` is.
    """
    from contextlib import ExitStack

    stack = ExitStack()
    try:
        from threadpoolctl import threadpool_limits

        stack.enter_context(threadpool_limits(limits=1))
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        pass
    _limit_torch(stack)
    return stack


def _limit_torch(stack: Any) -> None:
    """One torch thread, if torch is loaded (learners may import it lazily, so this is called twice)."""
    torch = sys.modules.get("torch")
    if torch is not None and not getattr(stack, "_torch_limited", False):
        before = torch.get_num_threads()
        torch.set_num_threads(1)
        stack.callback(torch.set_num_threads, before)
        stack._torch_limited = True


def _eval_points(budget: int, evaluations: int) -> list[int]:
    """Episodes after which ``evaluate()`` is called: 0, ``evaluations`` evenly spaced points, the end."""
    pts = np.round(np.linspace(0, budget, max(1, evaluations) + 1)).astype(int)
    return sorted(set(pts.tolist()))


def run_one(
    scenario: str,
    teacher: str,
    seed_index: int,
    learner_seed: int,
    teacher_seed: int,
    budget: int,
    record_tasks: bool = True,
    mastery_probes: int = 400,
) -> dict[str, Any]:
    """One teacher on one fresh learner; returns the curve and the run's facts.

    Returns a dict with ``episodes`` (where ``evaluate()`` was called),
    ``curve`` (``evaluate()`` key -> values), ``mastery_episode`` (first
    episode where ``mastered_fraction`` was seen at 1, or ``None``: besides
    the curve points, ``evaluate()`` is probed up to ``mastery_probes`` times
    along the run until it is, so the resolution is ``budget /
    mastery_probes`` episodes, rounded up to whole batches),
    ``tasks`` (Box: a bounded subsample of proposed tasks, first two
    dimensions and episode index; Discrete: proposals per task in
    :data:`TASK_BINS` equal time bins) and ``wall_time_s``.  Any exception inside the run is
    caught and returned as ``error`` so one broken teacher does not stop a
    benchmark.
    """
    from pedagogy import sim, teachers
    from pedagogy.spaces import Box, Discrete

    t0 = time.perf_counter()
    out: dict[str, Any] = {
        "scenario": scenario,
        "teacher": teacher,
        "seed_index": seed_index,
        "learner_seed": learner_seed,
        "teacher_seed": teacher_seed,
    }
    try:
        sc = sim.get_scenario(scenario)
        with _limit_threads() as limits:
            learner = sc.factory(learner_seed)
            tutor = teachers.make(teacher, learner.space, seed=teacher_seed)
            _limit_torch(limits)
            points = _eval_points(budget, sc.evaluations)
            is_box = isinstance(learner.space, Box)
            stride = max(1, math.ceil(budget / MAX_TASK_POINTS))
            task_ep: list[int] = []
            task_xy: list[list[float]] = []
            # Discrete spaces: how often each task was proposed in each of TASK_BINS time bins
            is_disc = isinstance(learner.space, Discrete) and learner.space.n <= MAX_DISCRETE_TASKS
            counts = np.zeros((TASK_BINS, learner.space.n if is_disc else 0), dtype=np.int64)
            episodes: list[int] = []
            curve: dict[str, list[float]] = {}
            mastery: int | None = None

            def evaluate(done: int) -> None:
                nonlocal mastery
                ev = learner.evaluate()
                episodes.append(done)
                for k, v in ev.items():
                    curve.setdefault(str(k), []).append(float(v))
                if mastery is None and float(ev.get("mastered_fraction", 0.0)) >= 1.0:
                    mastery = done

            evaluate(0)
            nxt = 1
            done = 0
            batch = max(1, int(sc.batch))
            probe_every = math.ceil(budget / mastery_probes) if mastery_probes > 0 else None
            next_probe = probe_every
            while done < budget:
                n = min(batch, budget - done)
                tasks = tutor.propose(n)
                scores = learner.practice_many(tasks)
                tutor.observe(tasks, [float(s) for s in scores])
                if is_box and record_tasks:
                    for i, task in enumerate(tasks):
                        if (done + i) % stride == 0:
                            task_ep.append(done + i)
                            task_xy.append([round(float(v), 5) for v in np.asarray(task)[:2]])
                elif is_disc and record_tasks:
                    for i, task in enumerate(tasks):
                        counts[(done + i) * TASK_BINS // budget, learner.space.index(task)] += 1
                done += n
                if nxt < len(points) and points[nxt] <= done:
                    evaluate(done)
                    while nxt < len(points) and points[nxt] <= done:
                        nxt += 1
                elif mastery is None and next_probe is not None and next_probe <= done:
                    # a finer look for the first full mastery only (not part of the curve)
                    if float(learner.evaluate().get("mastered_fraction", 0.0)) >= 1.0:
                        mastery = done
                if next_probe is not None:
                    while next_probe <= done:
                        next_probe += probe_every
        out.update(episodes=episodes, curve=curve, mastery_episode=mastery)
        if is_box and record_tasks:
            out["tasks"] = {"episode": task_ep, "x": task_xy}
        elif is_disc and record_tasks:
            out["tasks"] = {"bins": TASK_BINS, "names": [str(t) for t in learner.space.tasks], "counts": counts.tolist()}
    except Exception as exc:  # noqa: BLE001 - reported, not hidden: see "error"
        tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
        out["error"] = f"{type(exc).__name__}: {exc}"
        out["traceback"] = "".join(tb[-6:])
    out["wall_time_s"] = time.perf_counter() - t0
    return out


def _worker_init() -> None:
    # Libraries a worker imports later (e.g. torch inside a learner) start
    # single-threaded; those already loaded are limited by _limit_threads.
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = "1"


def _run_job(job: tuple) -> dict[str, Any]:
    return run_one(*job)


# ------------------------------------------------------------- statistics
def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _mean_std(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    a = np.asarray(values, dtype=float)
    std = float(a.std(ddof=1)) if a.size > 1 else 0.0
    return _finite(a.mean()), _finite(std)


def _auc(episodes: Sequence[int], values: Sequence[float], budget: int) -> float:
    """Area under the curve divided by the budget: the run's average metric."""
    x = np.asarray(episodes, dtype=float)
    y = np.asarray(values, dtype=float)
    if x.size < 2 or budget <= 0:
        return float(y[-1]) if y.size else float("nan")
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0) / budget)


def budget_to_reach(episodes: Sequence[int], values: Sequence[float], level: float, budget: int, lower_is_better: bool = False) -> float | None:
    """Fraction of the budget a (mean) curve needs to reach ``level``, linearly interpolated; ``None`` if never."""
    x = np.asarray(episodes, dtype=float)
    y = np.asarray(values, dtype=float)
    if lower_is_better:
        y, level = -y, -level
    for i in range(len(y)):
        if y[i] >= level:
            if i == 0:
                return 0.0
            # interpolate between the last point below and this one
            frac = (level - y[i - 1]) / (y[i] - y[i - 1]) if y[i] != y[i - 1] else 1.0
            return float((x[i - 1] + frac * (x[i] - x[i - 1])) / budget)
    return None


def _ranks(values: dict[str, float], lower_is_better: bool, tiebreak: dict[str, float] | None = None) -> dict[str, float]:
    """Rank 1 = best; ``tiebreak`` (same direction) orders equal values; remaining ties share the average rank."""
    names = list(values)
    v = np.array([values[n] for n in names], dtype=float)
    t = np.array([(tiebreak or {}).get(n, 0.0) for n in names], dtype=float)
    if not lower_is_better:
        v, t = -v, -t
    order = np.lexsort((t, v))

    def close(a: float, b: float) -> bool:
        # ties up to rounding: means of the same values in another order differ in the last bits
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)

    ranks = np.empty(len(v))
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and close(v[order[j + 1]], v[order[i]]) and close(t[order[j + 1]], t[order[i]]):
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return {n: float(r) for n, r in zip(names, ranks)}


def summarise_scenario(info: dict[str, Any]) -> None:
    """Fill in per-teacher summaries and ranks of one scenario's results (in place)."""
    metric, lib, budget = info["metric"], info["lower_is_better"], info["budget"]
    finals: dict[str, float] = {}
    for name, tres in info["teachers"].items():
        ok = [r for r in tres["runs"] if "error" not in r]
        tres["failed_runs"] = len(tres["runs"]) - len(ok)
        tres["errors"] = sorted({r["error"] for r in tres["runs"] if "error" in r})
        if not ok:
            tres.update(final_mean=None, final_std=None, auc_mean=None, auc_std=None, mastery_episode_mean=None,
                        mastery_reached=0, curve_mean={}, curve_std={}, ratio_to_random=None, budget_to_random_final=None, rank=None)
            continue
        if not info.get("episodes"):
            info["episodes"] = ok[0]["episodes"]
        fin, auc = [], []
        for r in ok:
            ys = r["curve"].get(metric)
            if ys is None:
                raise BenchError(f"scenario {info['name']!r}: evaluate() has no key {metric!r} (its metric)")
            r["final"] = ys[-1]
            r["auc"] = _auc(r["episodes"], ys, budget)
            fin.append(r["final"])
            auc.append(r["auc"])
        tres["final_mean"], tres["final_std"] = _mean_std(fin)
        tres["auc_mean"], tres["auc_std"] = _mean_std(auc)
        reached = [r["mastery_episode"] for r in ok if r["mastery_episode"] is not None]
        tres["mastery_reached"] = len(reached)
        # Only defined when every seed reached full mastery (else it would be biased low).
        tres["mastery_episode_mean"] = float(np.mean(reached)) if len(reached) == len(ok) else None
        tres["mastery_episode_std"] = _mean_std(reached)[1] if len(reached) == len(ok) else None
        keys = sorted(set.intersection(*(set(r["curve"]) for r in ok)))
        tres["curve_mean"] = {k: [float(v) for v in np.mean([r["curve"][k] for r in ok], axis=0)] for k in keys}
        tres["curve_std"] = {
            k: [float(v) for v in (np.std([r["curve"][k] for r in ok], axis=0, ddof=1) if len(ok) > 1 else np.zeros(len(ok[0]["curve"][k])))]
            for k in keys
        }
        if tres["final_mean"] is not None:
            finals[name] = tres["final_mean"]
    rnd = info["teachers"].get("random", {}).get("final_mean")
    rnd_curve = info["teachers"].get("random", {}).get("curve_mean", {}).get(metric)
    # "budget to reach random's final" means nothing when random ended where it started
    rnd_moved = bool(rnd_curve) and rnd_curve[-1] != rnd_curve[0]
    for name, tres in info["teachers"].items():
        fm = tres.get("final_mean")
        tres["ratio_to_random"] = _finite(fm / rnd) if fm is not None and rnd not in (None, 0.0) else None
        if rnd is not None and rnd_moved and tres.get("curve_mean", {}).get(metric):
            tres["budget_to_random_final"] = budget_to_reach(info["episodes"], tres["curve_mean"][metric], rnd, budget, lib)
        else:
            tres["budget_to_random_final"] = None
    # Equal finals (e.g. several teachers reach full mastery) are ordered by the area under the curve: sooner is better.
    aucs = {n: info["teachers"][n]["auc_mean"] for n in finals}
    ranks = _ranks(finals, lib, aucs) if finals else {}
    for name, tres in info["teachers"].items():
        tres["rank"] = ranks.get(name)
    if finals:
        best = min(finals, key=lambda n: ranks[n])
        info["best_teacher"] = best
    else:
        info["best_teacher"] = None


def overall_ranks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Mean rank of each teacher over the scenarios it ran on, best first."""
    acc: dict[str, list[float]] = {}
    for info in results["scenarios"].values():
        for name, tres in info["teachers"].items():
            if tres.get("rank") is not None:
                acc.setdefault(name, []).append(tres["rank"])
    rows = [{"teacher": n, "mean_rank": float(np.mean(r)), "scenarios": len(r)} for n, r in acc.items()]
    rows.sort(key=lambda row: (row["mean_rank"], -row["scenarios"], row["teacher"]))
    for i, row in enumerate(rows):
        row["position"] = i + 1
    return rows


# ---------------------------------------------------------------- targets
def _check(scenario: str, name: str, value: float | None, threshold: float, op: str, detail: str, na: str | None = None,
           met: bool | None = None) -> dict[str, Any]:
    """One target: ``value op threshold`` (or ``met`` when given); ``met`` is None when it cannot be measured."""
    if met is not None:
        pass
    elif value is None:
        met = None
    else:
        met = bool(value >= threshold) if op == ">=" else bool(value > threshold) if op == ">" else bool(value <= threshold)
    return {
        "scenario": scenario,
        "target": name,
        "value": _finite(value),
        "threshold": threshold,
        "op": op,
        "met": met,
        "detail": na if value is None and na else detail,
    }


def _final(info: dict[str, Any], teacher: str, key: str | None = None) -> float | None:
    tres = info["teachers"].get(teacher)
    if not tres or not tres.get("curve_mean"):
        return None
    k = key or info["metric"]
    ys = tres["curve_mean"].get(k)
    return ys[-1] if ys else None


def _best(info: dict[str, Any], key: str, exclude: Sequence[str] = ()) -> tuple[str | None, float | None]:
    best, val = None, None
    for name, tres in info["teachers"].items():
        if name in exclude:
            continue
        v = _final(info, name, key)
        if v is not None and (val is None or v > val):
            best, val = name, v
    return best, val


#: the grid-2d targets are the ALP-GMM paper's figures at 20,000 episodes
GRID_TARGET_BUDGET = 20_000


def _targets_grid(s: str, info: dict[str, Any]) -> list[dict[str, Any]]:
    key = "mastered_fraction"
    if info["budget"] < GRID_TARGET_BUDGET:
        why = f"not judged: the targets are set at {GRID_TARGET_BUDGET:,} episodes, this run had {info['budget']:,} (run --suite full)"
        return [
            _check(s, "best teacher masters >= 90 % of the space", None, 0.90, ">=", "", why),
            _check(s, "alp-gmm masters > 35 %", None, 0.35, ">", "", why),
        ]
    best, val = _best(info, key)
    out = [_check(s, "best teacher masters >= 90 % of the space", val, 0.90, ">=", f"best: {best} ({val:.3f} mastered)" if val is not None else "", "no teacher results")]
    a = _final(info, "alp-gmm", key)
    out.append(_check(s, "alp-gmm masters > 35 %", a, 0.35, ">", f"alp-gmm: {a:.3f}" if a is not None else "", "alp-gmm did not run"))
    return out


def _targets_unlearnable(s: str, info: dict[str, Any]) -> list[dict[str, Any]]:
    metric = info["metric"]
    best, val = _best(info, metric, exclude=("random",))
    rnd = _final(info, "random")
    name = f"best teacher's final {metric} >= 3x random's"
    if val is None or rnd is None:
        return [_check(s, name, None, 3.0, ">=", "", "needs random and at least one other teacher")]
    ratio = val / rnd if rnd > 0 else None
    # random at 0: the ratio is undefined, the target holds iff the best teacher learned something
    met = bool(val >= 3.0 * rnd and val > 0)
    detail = f"best: {best} {val:.3f} vs random {rnd:.3f}" + (" (ratio undefined: random learned nothing)" if ratio is None else "")
    return [_check(s, name, ratio, 3.0, ">=", detail, met=met)]


def _targets_students(s: str, info: dict[str, Any]) -> list[dict[str, Any]]:
    tt = info["teachers"]
    seq = tt.get("sequential", {}).get("mastery_episode_mean")
    cands = {n: r["mastery_episode_mean"] for n, r in tt.items() if n != "sequential" and r.get("mastery_episode_mean") is not None}
    best = min(cands, key=lambda n: cands[n]) if cands else None
    if best is None:
        return [_check(s, "best teacher reaches full mastery in >= 30 % fewer exercises than sequential", None, 0.30, ">=", "",
                       "no teacher other than sequential reached full mastery on every seed")]
    if seq is None:
        reached = tt.get("sequential", {}).get("mastery_reached")
        if "sequential" not in tt:
            return [_check(s, "best teacher reaches full mastery in >= 30 % fewer exercises than sequential", None, 0.30, ">=", "", "sequential did not run")]
        # sequential never got there on some seed within the budget: the saving is at least 1 - best/budget
        saving = 1.0 - cands[best] / info["budget"]
        return [_check(s, "best teacher reaches full mastery in >= 30 % fewer exercises than sequential", saving, 0.30, ">=",
                       f"best: {best} {cands[best]:.0f} episodes; sequential reached mastery on only {reached} seeds within {info['budget']} (saving is a lower bound)")]
    saving = 1.0 - cands[best] / seq if seq > 0 else None
    return [_check(s, "best teacher reaches full mastery in >= 30 % fewer exercises than sequential", saving, 0.30, ">=",
                   f"best: {best} {cands[best]:.0f} vs sequential {seq:.0f} episodes")]


def _targets_llm(s: str, info: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for t in ("dump", "sec"):
        tres = info["teachers"].get(t)
        frac = tres.get("budget_to_random_final") if tres else None
        reason = f"{t} did not run" if not tres else ("random did not run" if "random" not in info["teachers"] else f"{t} never reached random's final {info['metric']}")
        out.append(_check(s, f"{t} reaches random's final {info['metric']} within 70 % of the budget", frac, 0.70, "<=",
                          f"{t} needs {frac:.0%} of the budget" if frac is not None else "", reason))
    return out


#: scenario name -> check function(scenario name, scenario results) -> list of checks
TARGETS: dict[str, Callable[[str, dict[str, Any]], list[dict[str, Any]]]] = {
    "grid-2d": _targets_grid,
    "mostly-unlearnable": _targets_unlearnable,
    "students": _targets_students,
    "llm-mix": _targets_llm,
}


def target_checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Evaluate the scenario-specific targets that apply to the scenarios present."""
    out: list[dict[str, Any]] = []
    for s, info in results["scenarios"].items():
        fn = TARGETS.get(s)
        if fn is not None:
            out.extend(fn(s, info))
    return out


# ------------------------------------------------------------------- run
def _versions() -> dict[str, str]:
    import pedagogy

    return {"pedagogy": pedagogy.__version__, "numpy": np.__version__, "python": platform.python_version(), "platform": platform.platform()}


def default_jobs() -> int:
    """Number of CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def run(
    scenarios: Iterable[str] | None = None,
    teachers: Iterable[str] | None = None,
    seeds: int | None = None,
    budget: int | None = None,
    jobs: int | None = 1,
    suite: str = "quick",
    base_seed: int = 0,
    progress: bool = False,
    command: str | None = None,
    on_error: str = "record",
    mastery_probes: int = 400,
) -> dict[str, Any]:
    """Run the benchmark and return its results as plain JSON data.

    Parameters
    ----------
    scenarios, teachers:
        Names to run (default: every registered one).  A teacher runs on each
        selected scenario whose space it accepts.
    seeds:
        Seed indices per (scenario, teacher) (default: the suite's, 3 or 10).
    budget:
        Practice calls per run for every scenario (default: the suite's
        ``budget_quick`` / ``budget_full`` of each scenario).
    jobs:
        Worker processes (``None``: one per CPU; 1: run in this process).
    suite:
        ``"quick"`` or ``"full"``.
    base_seed:
        Root of every learner and teacher seed; same arguments, same numbers.
    progress:
        Show a progress bar on stderr (needs ``rich``).
    command:
        The command line, recorded in the results.
    on_error:
        ``"record"`` keeps going when a run raises (the error is in the
        results), ``"raise"`` raises a ``RuntimeError`` at the first one.
    """
    t_start = time.perf_counter()
    if suite not in SUITES:
        raise BenchError(f"unknown suite {suite!r}; known suites: {', '.join(SUITES)}")
    if on_error not in ("record", "raise"):
        raise BenchError(f"on_error must be 'record' or 'raise', got {on_error!r}")
    n_seeds = SUITES[suite][0] if seeds is None else _check_int(seeds, "seeds", 1)
    if budget is not None:
        budget = _check_int(budget, "budget", 1)
    n_jobs = default_jobs() if jobs is None else _check_int(jobs, "jobs", 1)
    base_seed = _check_int(base_seed, "seed", 0)
    mastery_probes = _check_int(mastery_probes, "mastery_probes", 0)

    from pedagogy import sim

    scen_names, teach_names, applicable, skipped, spaces = resolve_selection(scenarios, teachers)
    budgets = {s: int(budget if budget is not None else getattr(sim.get_scenario(s), SUITES[suite][1])) for s in scen_names}

    jobs_list: list[tuple] = []
    for s in scen_names:
        for t in applicable[s]:
            for i in range(n_seeds):
                ls, ts = derive_seeds(base_seed, s, i, t)
                # tasks are drawn only for seed 0: the picture shows one run per teacher
                jobs_list.append((s, t, i, ls, ts, budgets[s], i == 0, mastery_probes))
    # Longest first: better load balance across processes.
    order = sorted(range(len(jobs_list)), key=lambda k: -jobs_list[k][5])
    outputs = _execute([jobs_list[k] for k in order], n_jobs, progress, on_error)

    results: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "meta": {
            **_versions(),
            "command": command,
            "suite": suite,
            "seeds": n_seeds,
            "base_seed": base_seed,
            "jobs": n_jobs,
            "budgets": budgets,
            "mastery_probes": mastery_probes,
            "teachers": teach_names,
            "scenarios": scen_names,
        },
        "scenarios": {},
    }
    by_key = {(o["scenario"], o["teacher"], o["seed_index"]): o for o in outputs}
    for s in scen_names:
        sc = sim.get_scenario(s)
        info: dict[str, Any] = {
            "name": s,
            "description": sc.description,
            "metric": sc.metric,
            "lower_is_better": bool(sc.lower_is_better),
            "budget": budgets[s],
            "batch": int(sc.batch),
            "evaluations": int(sc.evaluations),
            "space": _space_info(spaces[s]),
            "episodes": [],
            "skipped": skipped[s],
            "teachers": {},
        }
        for t in applicable[s]:
            runs = [by_key[(s, t, i)] for i in range(n_seeds)]
            tres: dict[str, Any] = {"runs": runs}
            if runs[0].get("tasks") is not None:
                tres["tasks"] = runs[0].pop("tasks")
            for r in runs:
                r.pop("tasks", None)
            info["teachers"][t] = tres
        summarise_scenario(info)
        results["scenarios"][s] = info
    results["leaderboard"] = overall_ranks(results)
    results["targets"] = target_checks(results)
    results["failures"] = [
        {k: o[k] for k in ("scenario", "teacher", "seed_index", "error", "traceback")} for o in outputs if "error" in o
    ]
    results["meta"]["wall_time_s"] = time.perf_counter() - t_start
    return _clean(results)


def _execute(jobs_list: list[tuple], n_jobs: int, progress: bool, on_error: str) -> list[dict[str, Any]]:
    """Run the jobs, in this process (``n_jobs == 1``) or in a process pool."""
    bar = _Progress(len(jobs_list)) if progress else None
    outputs: list[dict[str, Any]] = []

    def done(out: dict[str, Any]) -> None:
        if on_error == "raise" and "error" in out:
            raise RuntimeError(f"{out['teacher']} on {out['scenario']} (seed {out['seed_index']}) failed: {out['error']}\n{out['traceback']}")
        outputs.append(out)
        if bar:
            bar.advance(f"{out['scenario']} / {out['teacher']}")

    try:
        if n_jobs == 1 or len(jobs_list) <= 1:
            if bar:
                bar.start()
            for job in jobs_list:
                done(run_one(*job))
        else:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor, as_completed

            # fork: workers inherit the registries (scenarios or teachers
            # registered at run time, e.g. in tests); spawn where fork is missing.
            method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
            ctx = mp.get_context(method)
            with ProcessPoolExecutor(max_workers=min(n_jobs, len(jobs_list)), mp_context=ctx, initializer=_worker_init) as pool:
                futures = [pool.submit(_run_job, job) for job in jobs_list]
                # start the progress display (a thread) only after the workers were forked
                if bar:
                    bar.start()
                try:
                    for fut in as_completed(futures):
                        done(fut.result())
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
    finally:
        if bar:
            bar.stop()
    return outputs


class _Progress:
    """A rich progress bar on stderr (silently absent without rich)."""

    def __init__(self, total: int):
        self.total = total
        self._p: Any = None
        self._task: Any = None

    def start(self) -> None:
        try:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        except ImportError:  # pragma: no cover
            return
        self._p = Progress(
            TextColumn("[bold]bench"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
            TextColumn("{task.description}"), console=Console(stderr=True), transient=False,
        )
        self._p.start()
        self._task = self._p.add_task("", total=self.total)

    def advance(self, label: str) -> None:
        if self._p is not None:
            self._p.update(self._task, advance=1, description=label)

    def stop(self) -> None:
        if self._p is not None:
            self._p.stop()
            self._p = None


def _clean(obj: Any) -> Any:
    """Plain JSON data: numpy scalars to Python, NaN/inf to None."""
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        f = float(obj)
        return f if math.isfinite(f) else None
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj
