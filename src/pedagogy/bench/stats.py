"""The numbers of a benchmark: areas under curves, budget to reach a level, ranks, per-scenario and overall summaries."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from pedagogy.bench.plan import BenchError

__all__ = ["auc", "budget_to_reach", "finite", "mean_std", "overall_ranks", "ranks", "summarise_scenario"]


def finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def mean_std(values: Sequence[float]) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    a = np.asarray(values, dtype=float)
    std = float(a.std(ddof=1)) if a.size > 1 else 0.0
    return finite(a.mean()), finite(std)


def auc(episodes: Sequence[int], values: Sequence[float], budget: int) -> float:
    """Area under the curve divided by the budget: the run's average metric."""
    x = np.asarray(episodes, dtype=float)
    y = np.asarray(values, dtype=float)
    if x.size < 2 or budget <= 0:
        return float(y[-1]) if y.size else float("nan")
    return float(np.sum((x[1:] - x[:-1]) * (y[1:] + y[:-1]) / 2.0) / budget)


def budget_to_reach(
    episodes: Sequence[int], values: Sequence[float], level: float, budget: int, lower_is_better: bool = False
) -> float | None:
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


def ranks(values: dict[str, float], lower_is_better: bool, tiebreak: dict[str, float] | None = None) -> dict[str, float]:
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

    out = np.empty(len(v))
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and close(v[order[j + 1]], v[order[i]]) and close(t[order[j + 1]], t[order[i]]):
            j += 1
        out[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return {n: float(r) for n, r in zip(names, out)}


def summarise_scenario(info: dict[str, Any]) -> None:
    """Fill in per-teacher summaries and ranks of one scenario's results (in place).

    Baseline runs (entries with a ``"baseline"`` key) and the oracle
    reference (``"oracle": true``) are summarised like the teachers but not
    ranked: they are references, not contestants.  Every entry gets
    ``ratio_to_oracle`` (final mean / the oracle's) and
    ``budget_ratio_to_oracle`` (budget to reach random's final / the
    oracle's), ``None`` where undefined (no oracle, an oracle at 0, random
    that did not move, a curve that never got there).
    """
    metric, lib, budget = info["metric"], info["lower_is_better"], info["budget"]
    finals: dict[str, float] = {}
    for name, tres in info["teachers"].items():
        ok = [r for r in tres["runs"] if "error" not in r]
        tres["failed_runs"] = len(tres["runs"]) - len(ok)
        tres["errors"] = sorted({r["error"] for r in tres["runs"] if "error" in r})
        if not ok:
            tres.update(
                final_mean=None,
                final_std=None,
                auc_mean=None,
                auc_std=None,
                mastery_episode_mean=None,
                mastery_reached=0,
                curve_mean={},
                curve_std={},
                ratio_to_random=None,
                budget_to_random_final=None,
                rank=None,
                ratio_to_oracle=None,
                budget_ratio_to_oracle=None,
            )
            continue
        if not info.get("episodes"):
            info["episodes"] = ok[0]["episodes"]
        fin, areas = [], []
        for r in ok:
            ys = r["curve"].get(metric)
            if ys is None:
                raise BenchError(f"scenario {info['name']!r}: evaluate() has no key {metric!r} (its metric)")
            r["final"] = ys[-1]
            r["auc"] = auc(r["episodes"], ys, budget)
            fin.append(r["final"])
            areas.append(r["auc"])
        tres["final_mean"], tres["final_std"] = mean_std(fin)
        tres["auc_mean"], tres["auc_std"] = mean_std(areas)
        reached = [r["mastery_episode"] for r in ok if r["mastery_episode"] is not None]
        tres["mastery_reached"] = len(reached)
        # Only defined when every seed reached full mastery (else it would be biased low).
        tres["mastery_episode_mean"] = float(np.mean(reached)) if len(reached) == len(ok) else None
        tres["mastery_episode_std"] = mean_std(reached)[1] if len(reached) == len(ok) else None
        keys = sorted(set.intersection(*(set(r["curve"]) for r in ok)))
        tres["curve_mean"] = {k: [float(v) for v in np.mean([r["curve"][k] for r in ok], axis=0)] for k in keys}
        tres["curve_std"] = {
            k: [
                float(v) for v in (np.std([r["curve"][k] for r in ok], axis=0, ddof=1) if len(ok) > 1 else np.zeros(len(ok[0]["curve"][k])))
            ]
            for k in keys
        }
        if tres["final_mean"] is not None and "baseline" not in tres and not tres.get("oracle"):
            finals[name] = tres["final_mean"]
    rnd = info["teachers"].get("random", {}).get("final_mean")
    rnd_curve = info["teachers"].get("random", {}).get("curve_mean", {}).get(metric)
    # "budget to reach random's final" means nothing when random ended where it started
    rnd_moved = bool(rnd_curve) and rnd_curve[-1] != rnd_curve[0]
    for tres in info["teachers"].values():
        fm = tres.get("final_mean")
        tres["ratio_to_random"] = finite(fm / rnd) if fm is not None and rnd not in (None, 0.0) else None
        if rnd is not None and rnd_moved and tres.get("curve_mean", {}).get(metric):
            tres["budget_to_random_final"] = budget_to_reach(info["episodes"], tres["curve_mean"][metric], rnd, budget, lib)
        else:
            tres["budget_to_random_final"] = None
    orc: dict[str, Any] = next((t for t in info["teachers"].values() if t.get("oracle")), {})
    orc_final, orc_budget = orc.get("final_mean"), orc.get("budget_to_random_final")
    for tres in info["teachers"].values():
        fm, bt = tres.get("final_mean"), tres.get("budget_to_random_final")
        tres["ratio_to_oracle"] = finite(fm / orc_final) if fm is not None and orc_final not in (None, 0.0) else None
        tres["budget_ratio_to_oracle"] = finite(bt / orc_budget) if bt is not None and orc_budget not in (None, 0.0) else None
    # Equal finals (e.g. several teachers reach full mastery) are ordered by the area under the curve: sooner is better.
    aucs = {n: info["teachers"][n]["auc_mean"] for n in finals}
    order = ranks(finals, lib, aucs) if finals else {}
    for name, tres in info["teachers"].items():
        tres["rank"] = order.get(name)
    if finals:
        best = min(finals, key=lambda n: order[n])
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
    rows: list[dict[str, Any]] = [{"teacher": n, "mean_rank": float(np.mean(r)), "scenarios": len(r)} for n, r in acc.items()]
    rows.sort(key=lambda row: (row["mean_rank"], -row["scenarios"], row["teacher"]))
    for i, row in enumerate(rows):
        row["position"] = i + 1
    return rows
