"""The tutoring table of docs/benchmarks/tutoring.md from a ``pedagogy bench`` results.json.

Median answers to full mastery over seeds (a seed that never got there counts as
"never" and sorts last), the ratio to the oracle's median and to the
"3 correct in a row" rule's, per scenario and teacher.

    python benchmarks/tutoring_table.py bench-out/results.json
"""

from __future__ import annotations

import json
import math
import sys


def median_answers(runs: list[dict]) -> float:
    """Median first full-mastery answer over runs (``inf`` for a run that never got there)."""
    xs = sorted(math.inf if r["mastery_episode"] is None else float(r["mastery_episode"]) for r in runs)
    n = len(xs)
    return xs[n // 2] if n % 2 else (xs[n // 2 - 1] + xs[n // 2]) / 2


def main(path: str) -> None:
    results = json.load(open(path, encoding="utf-8"))
    print("| scenario | teacher | median answers | reached | × oracle | × 3 in a row |")
    print("|---|---|---:|---:|---:|---:|")
    for name, sc in results["scenarios"].items():
        rows = {
            t: (median_answers(v["runs"]), sum(r["mastery_episode"] is not None for r in v["runs"]), len(v["runs"]))
            for t, v in sc["teachers"].items()
        }
        oracle = rows.get("oracle", (math.nan,))[0]
        rule = rows.get("sequential (3 in a row)", (math.nan,))[0]
        for t, (med, got, n) in sorted(rows.items(), key=lambda kv: kv[1][0]):
            ratio = f"{med / oracle:.2f}" if math.isfinite(oracle) and math.isfinite(med) else "–"
            vs = f"{med / rule:.2f}" if math.isfinite(rule) and math.isfinite(med) else "–"
            print(f"| {name} | `{t}` | {med:g} | {got}/{n} | {ratio} | {vs} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "bench-out/results.json")
