"""Judging the targets scenarios declare (:mod:`pedagogy.sim.targets`) on a benchmark's summaries.

Each check is one row: ``value op threshold``, ``met`` true or false, or
``None`` with the reason when it cannot be measured (a teacher did not run,
the run was shorter than the scenario's ``judged_budget``, ...).  A target
that cannot be measured is never reported as met.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from pedagogy.bench.stats import budget_to_reach, finite
from pedagogy.sim import targets as declared

__all__ = ["check_scenario", "judge", "median_answers", "target_checks"]


@dataclass(frozen=True)
class _Measured:
    value: float | None
    detail: str
    met: bool | None = None  # set when the comparison alone would be wrong (see RatioOfFinals)


def _compare(value: float, op: str, threshold: float) -> bool:
    return {">=": value >= threshold, ">": value > threshold, "<=": value <= threshold, "<": value < threshold}[op]


def judge(scenario: str, target: declared.Target, info: dict[str, Any], judged_budget: int | None = None) -> dict[str, Any]:
    """One target on one scenario's summary (``info`` as in ``results["scenarios"][scenario]``)."""
    row = {"scenario": scenario, "target": target.description, "value": None, "threshold": target.threshold, "op": target.op, "met": None}
    if judged_budget is not None and info["budget"] < judged_budget:
        row["detail"] = f"not judged: the targets are set at {judged_budget:,} episodes, this run had {info['budget']:,} (run --suite full)"
        return row
    m = _MEASURES[type(target.measure)](info, target.measure)
    value = finite(m.value)
    met = m.met if m.met is not None else (None if value is None else bool(_compare(value, target.op, target.threshold)))
    return {**row, "value": value, "met": met, "detail": m.detail}


def check_scenario(scenario: str, info: dict[str, Any]) -> list[dict[str, Any]]:
    """The checks of every target the registered scenario ``scenario`` declares."""
    from pedagogy import sim

    sc = sim.get_scenario(scenario)
    return [judge(scenario, t, info, sc.judged_budget) for t in sc.targets]


def target_checks(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The target checks of every scenario in ``results``, in order."""
    return [c for s, info in results["scenarios"].items() for c in check_scenario(s, info)]


# ------------------------------------------------------------- measures
def _contestants(info: dict[str, Any], exclude: tuple[str, ...] = ()) -> dict[str, dict[str, Any]]:
    """The teachers' summaries, baselines, the oracle reference and ``exclude`` left out."""
    return {n: t for n, t in info["teachers"].items() if "baseline" not in t and not t.get("oracle") and n not in exclude}


def _final(info: dict[str, Any], teacher: str, key: str | None = None) -> float | None:
    ys = (info["teachers"].get(teacher) or {}).get("curve_mean", {}).get(key or info["metric"])
    return ys[-1] if ys else None


def _best(info: dict[str, Any], key: str | None, exclude: tuple[str, ...] = ()) -> tuple[str | None, float | None]:
    sign = -1.0 if info.get("lower_is_better") else 1.0
    best, val = None, None
    for name in _contestants(info, exclude):
        v = _final(info, name, key)
        if v is not None and (val is None or sign * v > sign * val):
            best, val = name, v
    return best, val


def _measure_final(info: dict[str, Any], m: declared.Final) -> _Measured:
    if m.teacher is None:
        best, val = _best(info, m.key)
        return _Measured(val, f"best: {best} ({val:.3f})" if val is not None else "no teacher results")
    val = _final(info, m.teacher, m.key)
    return _Measured(val, f"{m.teacher}: {val:.3f}" if val is not None else f"{m.teacher} did not run")


def _measure_ratio(info: dict[str, Any], m: declared.RatioOfFinals) -> _Measured:
    best, val = _best(info, None, exclude=(m.reference,))
    ref = _final(info, m.reference)
    if val is None or ref is None:
        return _Measured(None, f"needs {m.reference} and at least one other teacher")
    if ref > 0:
        return _Measured(val / ref, f"best: {best} {val:.3f} vs {m.reference} {ref:.3f}")
    # the reference learned nothing: the ratio is undefined, the target holds iff the best teacher learned something
    return _Measured(
        None, f"best: {best} {val:.3f} vs {m.reference} {ref:.3f} (ratio undefined: {m.reference} learned nothing)", met=val > 0
    )


def median_answers(tres: dict[str, Any]) -> tuple[float | None, int, int]:
    """(median answers to full mastery, seeds that got there, seeds) of one teacher's runs; seeds that never did sort last.

    The median is ``None`` unless more than half of the seeds got there.
    """
    eps = [math.inf if r.get("mastery_episode") is None else float(r["mastery_episode"]) for r in tres.get("runs", []) if "error" not in r]
    if not eps:
        return None, 0, 0
    med = float(np.median(eps))
    return (med if math.isfinite(med) else None), sum(math.isfinite(e) for e in eps), len(eps)


def _measure_saving(info: dict[str, Any], m: declared.Saving) -> _Measured:
    ref = m.reference.name if isinstance(m.reference, declared.Baseline) else m.reference
    cands: dict[str, tuple[float, int, int]] = {}
    for n, t in _contestants(info, (ref,)).items():
        med, k, total = median_answers(t)
        if med is not None:
            cands[n] = (med, k, total)
    if not cands:
        return _Measured(None, f"no teacher other than {ref} reached full mastery on more than half of the seeds")
    best = min(cands, key=lambda n: cands[n][0])
    b_med, b_k, b_n = cands[best]
    if ref not in info["teachers"]:
        return _Measured(None, f"{ref} did not run")
    r_med, r_k, r_n = median_answers(info["teachers"][ref])
    head = f"median answers to full mastery: best {best} {b_med:.0f} ({b_k}/{b_n} seeds got there)"
    if r_med is None:
        # the reference did not get there on half the seeds or more: its median is beyond the budget
        return _Measured(
            1.0 - b_med / info["budget"],
            f"{head}; {ref} got there on only {r_k}/{r_n} seeds within {info['budget']} (the saving is a lower bound)",
        )
    return _Measured(1.0 - b_med / r_med if r_med > 0 else None, f"{head} vs {ref} {r_med:.0f} ({r_k}/{r_n})")


def _measure_budget(info: dict[str, Any], m: declared.BudgetToReach) -> _Measured:
    metric, tt = info["metric"], info["teachers"]
    name = m.teacher.name if isinstance(m.teacher, declared.Baseline) else m.teacher
    if name not in tt:
        return _Measured(None, f"{name} did not run")
    ref_curve = (tt.get(m.reference) or {}).get("curve_mean", {}).get(metric)
    if not ref_curve:
        return _Measured(None, f"{m.reference} did not run")
    if ref_curve[-1] == ref_curve[0]:
        return _Measured(None, f"{m.reference} ended where it started: nothing to reach")
    curve = tt[name].get("curve_mean", {}).get(metric)
    level = tt[m.reference]["final_mean"]
    frac = budget_to_reach(info["episodes"], curve, level, info["budget"], info["lower_is_better"]) if curve else None
    if frac is None:
        return _Measured(None, f"{name} never reached {m.reference}'s final {metric}")
    return _Measured(frac, f"{name} needs {frac:.0%} of the budget")


_MEASURES: dict[type, Callable[[dict[str, Any], Any], _Measured]] = {
    declared.Final: _measure_final,
    declared.RatioOfFinals: _measure_ratio,
    declared.Saving: _measure_saving,
    declared.BudgetToReach: _measure_budget,
}
