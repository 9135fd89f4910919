"""Run teachers on simulated-learner scenarios and summarise the results: :func:`run`.

The unit of work is a *run* (:class:`~pedagogy.bench.plan.RunSpec`): one
teacher on one fresh learner of one scenario for one seed index.  The jobs
are split by module: :mod:`~pedagogy.bench.plan` (arguments, selection,
seeds), :mod:`~pedagogy.bench.loop` (one run), :mod:`~pedagogy.bench.pool`
(processes, progress bar), :mod:`~pedagogy.bench.stats` (summaries, ranks),
:mod:`~pedagogy.bench.targets` (the scenarios' declared targets) and
:mod:`~pedagogy.bench.results` (the JSON document).  Runs are independent and
fully seeded, so the results do not depend on how they were spread.

:func:`run` returns one plain-JSON ``dict`` (see :data:`RESULTS_FORMAT`) with
every curve, the per-teacher summaries, the leaderboard ranks and the
scenario target checks.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from pedagogy.bench.loop import run_one
from pedagogy.bench.plan import (
    ORACLE,
    SUITES,
    BenchError,
    RunSpec,
    Selection,
    check_arguments,
    plan_runs,
    resolve_selection,
)
from pedagogy.bench.pool import default_jobs, execute
from pedagogy.bench.results import RESULTS_FORMAT, clean, space_info, versions
from pedagogy.bench.stats import overall_ranks, summarise_scenario
from pedagogy.bench.targets import target_checks

__all__ = ["RESULTS_FORMAT", "SUITES", "BenchError", "RunSpec", "resolve_selection", "run", "run_one"]


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
    split: str = "test",
    variants: int | None = None,
) -> dict[str, Any]:
    """Run the benchmark and return its results as plain JSON data.

    Parameters
    ----------
    scenarios, teachers:
        Names to run (default: every registered one).  A teacher runs on each
        selected scenario whose space it accepts; a scenario's baselines (the
        references its targets compare against) run with it.  So does the
        ``oracle`` reference row (the learner's own ``oracle_task()``, never
        ranked) on every scenario whose learner implements it.
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
    mastery_probes:
        How many times along a run ``evaluate()`` is probed for the first full mastery.
    split:
        ``"test"`` (default: the learners reported, never tuned on) or
        ``"dev"`` (the only ones defaults may be chosen on); see
        :mod:`pedagogy.sim.split`.  A scenario without a variant generator
        runs as registered, whatever the split.
    variants:
        Variants per scenario family (default: one per seed index, so every
        seed meets another variant); seed index ``i`` runs on the ``i mod
        variants``-th variant of the split.  ``split="dev", variants=1`` is
        the registered scenarios themselves.
    """
    t_start = time.perf_counter()
    check_arguments(
        seeds=seeds,
        budget=budget,
        jobs=jobs,
        suite=suite,
        base_seed=base_seed,
        progress=progress,
        command=command,
        on_error=on_error,
        mastery_probes=mastery_probes,
        split=split,
        variants=variants,
    )
    n_seeds = SUITES[suite][0] if seeds is None else int(seeds)
    n_jobs = default_jobs() if jobs is None else int(jobs)

    from pedagogy import sim
    from pedagogy.sim.split import has_variants, variant_seeds

    sel = resolve_selection(scenarios, teachers)
    budgets = {s: int(budget if budget is not None else getattr(sim.get_scenario(s), SUITES[suite][1])) for s in sel.scenarios}
    n_variants = n_seeds if variants is None else int(variants)
    variant_of = {s: variant_seeds(split, n_variants) if has_variants(s) else [0] for s in sel.scenarios}
    specs = plan_runs(sel, n_seeds, budgets, int(base_seed), int(mastery_probes), variant_of)
    outputs = execute(specs, n_jobs, progress, on_error)
    # the oracle reference rows are part of the results (never ranked); record which scenarios have one
    oracles = [s for s in sel.scenarios if sel.oracle.get(s)]

    results: dict[str, Any] = {
        "format": RESULTS_FORMAT,
        "meta": {
            **versions(),
            "command": command,
            "suite": suite,
            "seeds": n_seeds,
            "base_seed": int(base_seed),
            "jobs": n_jobs,
            "budgets": budgets,
            "mastery_probes": int(mastery_probes),
            "teachers": sel.teachers,
            "scenarios": sel.scenarios,
            "oracle": oracles,
            "split": split,
            "variants": n_variants,
            "left_out": dict(sel.left_out),
        },
        "scenarios": {s: _scenario_results(s, sel, budgets[s], n_seeds, outputs, variant_of[s]) for s in sel.scenarios},
    }
    results["leaderboard"] = overall_ranks(results)
    results["targets"] = target_checks(results)
    results["failures"] = [{k: o[k] for k in ("scenario", "teacher", "seed_index", "error", "traceback")} for o in outputs if "error" in o]
    results["meta"]["wall_time_s"] = time.perf_counter() - t_start
    return clean(results)


def _scenario_results(s: str, sel: Selection, budget: int, n_seeds: int, outputs: list[dict[str, Any]], seeds: list[int]) -> dict[str, Any]:
    """One scenario's part of the results: its description, its variants, every run by teacher, the summaries."""
    from pedagogy import sim
    from pedagogy.sim.split import split_of, variant

    sc = sim.get_scenario(s)
    by_key = {(o["teacher"], o["seed_index"]): o for o in outputs if o["scenario"] == s}
    info: dict[str, Any] = {
        "name": s,
        "description": sc.description,
        "metric": sc.metric,
        "lower_is_better": bool(sc.lower_is_better),
        "budget": budget,
        "batch": int(sc.batch),
        "evaluations": int(sc.evaluations),
        "space": space_info(sel.spaces[s]),
        "episodes": [],
        "skipped": sel.skipped[s],
        "variants": [
            {"seed": k, "split": split_of(k), "name": variant(s, k).name, "description": variant(s, k).description} for k in seeds
        ],
        "teachers": {},
    }
    if sc.judged_budget is not None:
        info["judged_budget"] = sc.judged_budget
    entries: list[tuple[str, dict[str, Any] | None]] = [(t, None) for t in sel.applicable[s]]
    entries += [(b.name, {"teacher": b.teacher, "options": dict(b.options), "doc": b.doc}) for b in sel.baselines[s]]
    if sel.oracle.get(s):
        entries.append((ORACLE, None))
    if sc.signals:
        info["signals"] = dict(sc.signals)
    for name, baseline in entries:
        runs = [by_key[(name, i)] for i in range(n_seeds)]
        tres: dict[str, Any] = {"runs": runs}
        if baseline is not None:
            tres["baseline"] = baseline
        if name == ORACLE and sel.oracle.get(s):
            tres["oracle"] = True
        if runs[0].get("tasks") is not None:
            tres["tasks"] = runs[0].pop("tasks")
        for r in runs:
            r.pop("tasks", None)
        info["teachers"][name] = tres
    summarise_scenario(info)
    return info
